import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

const here = import.meta.dirname
const repo = resolve(here, '../..')

export default defineConfig({
  root: here,
  resolve: {
    // The package by its name, mapped to the sources `npm run build` makes it
    // from: the example then runs from a clean clone with one command and shows
    // today's code, no pack, install or build first. What the published
    // tarball holds is e2e/package.spec.ts's job. Exact names only, so that an
    // import of anything else the package does not export fails here too.
    alias: [
      { find: /^sw-token-proxy$/, replacement: resolve(repo, 'client/index.ts') },
      { find: /^sw-token-proxy\/sw$/, replacement: resolve(repo, 'sw/index.ts') },
      { find: /^sw-token-proxy\/axios$/, replacement: resolve(repo, 'client/axios.ts') },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true },
  plugins: [
    VitePWA({
      // Our own worker (sw.ts), with the precache manifest injected into it.
      strategies: 'injectManifest',
      srcDir: '.',
      filename: 'sw.ts',
      // main.ts registers the worker, through registerTokenProxy; no web app manifest.
      injectRegister: false,
      manifest: false,
      // A classic script, as registerTokenProxy registers it (no `type: 'module'`).
      // The plugin builds it with this config's `resolve` and defines
      // process.env.NODE_ENV for Workbox itself.
      injectManifest: { rollupFormat: 'iife' },
    }),
  ],
})
