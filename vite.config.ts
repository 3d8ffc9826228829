import { resolve } from 'node:path'
import { defineConfig, type UserConfig } from 'vite'

const root = import.meta.dirname

/**
 * The builds, chosen with `--mode`:
 * - `lib`: `dist/client.js`, `dist/sw/index.js` and `dist/playwright.js`, ES
 *   modules for bundlers and test runners, and `dist/vite.js` and
 *   `dist/cli.js` for Node, dependencies left as imports;
 * - `sw`: `dist/sw.js`, the standalone worker, one classic script with
 *   everything inlined (`sw-dev`: `dist/sw.development.js`, see `standalone`;
 *   `sw-written` and `sw-written-bearer`: the worker files written with
 *   options, see sw/written.ts);
 * - `demo`: the demo app's pages into `demo/dist`.
 */
/**
 * The standalone worker: `dist/sw.js` for production, `dist/sw.development.js`
 * with the development logging (Workbox's logger: what took each request, each
 * refresh and replay, what was left alone and why) and unminified, for the
 * Vite plugin's dev server and `sw-token-proxy init --development`.
 */
function standalone(env: 'production' | 'development', entry = 'sw/standalone.ts', fileName = env === 'production' ? 'sw.js' : 'sw.development.js'): UserConfig {
  return {
    // Workbox, and the proxy, read process.env.NODE_ENV to leave out the development logging.
    define: { 'process.env.NODE_ENV': JSON.stringify(env) },
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      minify: env === 'production',
      lib: { entry: resolve(root, entry), formats: ['iife'], name: 'swTokenProxy', fileName: () => fileName },
    },
  }
}

const builds: Record<string, UserConfig> = {
  lib: {
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      minify: true,
      lib: {
        entry: {
          client: resolve(root, 'client/index.ts'),
          // The page module with `proxy.http`, for apps that use axios (the main entry imports none).
          axios: resolve(root, 'client/axios.ts'),
          'sw/index': resolve(root, 'sw/index.ts'),
          playwright: resolve(root, 'playwright/index.ts'),
          // Node: the Vite plugin and the `sw-token-proxy` command.
          vite: resolve(root, 'node/vite.ts'),
          cli: resolve(root, 'node/cli.ts'),
        },
        formats: ['es'],
      },
      rollupOptions: {
        // Dependencies stay imports, so that an app's bundler shares them with its own (Workbox above all).
        external: [/^axios/, /^idb-keyval/, /^workbox-/, /^@playwright\/test/, /^node:/, /^vite$/],
        output: { chunkFileNames: 'chunks/[name].js' },
      },
    },
  },
  sw: standalone('production'),
  'sw-dev': standalone('development'),
  // The worker files written with options (sw/written.ts): no URL reader; DPoP's code only in the first.
  'sw-written': standalone('production', 'sw/written-dpop.ts', 'sw.written.js'),
  'sw-written-bearer': standalone('production', 'sw/written-bearer.ts', 'sw.written.bearer.js'),
  demo: {
    root: resolve(root, 'demo/app'),
    build: {
      outDir: resolve(root, 'demo/dist'),
      emptyOutDir: true,
      rollupOptions: {
        input: {
          index: resolve(root, 'demo/app/index.html'),
          login: resolve(root, 'demo/app/login.html'),
          console: resolve(root, 'demo/app/console.html'),
        },
      },
    },
  },
}

export default defineConfig(({ mode }) => {
  const config = builds[mode]
  if (!config) throw new Error(`vite.config.ts: unknown mode '${mode}', use --mode lib, sw, sw-dev, sw-written, sw-written-bearer or demo`)
  return config
})
