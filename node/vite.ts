import type { Plugin, ResolvedConfig } from 'vite'
import type { TokenProxyOptions } from '../common/options.js'
import { readStandalone, workerFile } from './worker-file.js'

export type { TokenProxyOptions }

export interface TokenProxyPluginOptions {
  /** The worker file's name, at the root of the site (its scope is its folder). @default 'sw.js' */
  fileName?: string
}

/**
 * Serves the standalone worker, with `options` written into it, at
 * `/sw.js` under Vite's `base`: from memory in `vite` (dev: the development
 * build, which logs each decision to the worker's console), and as a file
 * of the build in `vite build` (production), so that the worker always comes from the
 * installed version of the package. Register it with
 * `registerTokenProxy({ workerUrl: '/sw.js' })`, without `worker` options.
 * Invalid options fail when the config loads, naming the option.
 */
export function tokenProxy(options: TokenProxyOptions, { fileName = 'sw.js' }: TokenProxyPluginOptions = {}): Plugin {
  // Fails now, with the option named, rather than in the browser.
  workerFile(options, '')
  // The dev server serves the development build, whose worker logs each decision; `vite build`, the production one.
  const source = async (build: 'production' | 'development') => workerFile(options, await readStandalone(build, options))
  let config: ResolvedConfig
  return {
    name: 'sw-token-proxy',
    configResolved(resolved) {
      config = resolved
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0]
        // A relative base ('./') serves from the root in dev.
        const base = config.base.startsWith('/') ? config.base : '/'
        if (path !== `${base}${fileName}`) return next()
        source('development').then(
          (code) => {
            res.setHeader('Content-Type', 'text/javascript; charset=utf-8')
            res.setHeader('Cache-Control', 'no-cache')
            res.end(code)
          },
          (error: unknown) => next(error),
        )
      })
    },
    async generateBundle() {
      // The browser's build only: not an SSR bundle, not a worker's.
      if (config.build.ssr || (this.environment && this.environment.config.consumer !== 'client')) return
      this.emitFile({ type: 'asset', fileName, source: await source('production') })
    },
  }
}
