import { resolve } from 'node:path'
import { defineConfig, type UserConfig } from 'vite'

const root = import.meta.dirname

/**
 * Three builds, chosen with `--mode`:
 * - `lib`: `dist/client.js`, `dist/sw/index.js` and `dist/playwright.js`, ES
 *   modules for bundlers and test runners, and `dist/vite.js` and
 *   `dist/cli.js` for Node, dependencies left as imports;
 * - `sw`: `dist/sw.js`, the standalone worker, one classic script with
 *   everything inlined;
 * - `demo`: the demo app's pages into `demo/dist`.
 */
const builds: Record<string, UserConfig> = {
  lib: {
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      minify: true,
      lib: {
        entry: {
          client: resolve(root, 'client/index.ts'),
          'sw/index': resolve(root, 'sw/index.ts'),
          playwright: resolve(root, 'playwright/index.ts'),
          // Node: the Vite plugin and the `sw-token-proxy` command.
          vite: resolve(root, 'node/vite.ts'),
          cli: resolve(root, 'node/cli.ts'),
        },
        formats: ['es'],
      },
      rollupOptions: {
        external: [/^axios/, /^idb-keyval/, /^@playwright\/test/, /^node:/, /^vite$/],
        output: { chunkFileNames: 'chunks/[name].js' },
      },
    },
  },
  sw: {
    // Workbox reads process.env.NODE_ENV to leave out its development logging.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      minify: true,
      lib: { entry: resolve(root, 'sw/standalone.ts'), formats: ['iife'], name: 'swTokenProxy', fileName: () => 'sw.js' },
    },
  },
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
  if (!config) throw new Error(`vite.config.ts: unknown mode '${mode}', use --mode lib, sw or demo`)
  return config
})
