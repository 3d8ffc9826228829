import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { Page } from '@playwright/test'
import { build } from 'vite'
import { startDemoServer } from '../demo/server/app.js'
import { siteFiles } from '../demo/server/files.js'
import { expect, test, authorizations } from './fixtures.js'

/**
 * The package as users get it: `npm pack` of what `npm run build` wrote,
 * installed into a fresh project (e2e/consumer/, copied to a temp folder)
 * that imports it by name, typechecks against its declarations, builds with
 * its own Vite and serves the result.
 */

const ROOT = resolve(import.meta.dirname, '..')
const run = promisify(execFile)

/** What `npm pack --json` says about the tarball. */
interface Packed {
  filename: string
  files: { path: string }[]
}

let temp = ''
let consumer = ''
let packed: Packed
/** The consumer's built files, by URL path. */
let site: Record<string, string> = {}

// One consumer project for the whole file: build it once, in one worker.
test.describe.configure({ mode: 'default' })

test.beforeAll(async () => {
  test.setTimeout(180_000)
  for (const file of ['dist/client.js', 'dist/sw/index.js', 'dist/sw.js', 'dist/types/client/index.d.ts', 'dist/types/sw/index.d.ts']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is not built: run npm run build first.`)
  }
  temp = await mkdtemp(join(tmpdir(), 'sw-token-proxy-package-'))
  // --ignore-scripts: prepack would rebuild dist/ while other specs serve it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', temp], { cwd: ROOT })
  ;[packed] = JSON.parse(stdout) as [Packed]

  consumer = join(temp, 'consumer')
  await cp(join(ROOT, 'e2e/consumer'), consumer, { recursive: true })
  const manifest = { name: 'consumer', private: true, type: 'module', dependencies: { 'sw-token-proxy': `file:${join(temp, packed.filename)}` } }
  await writeFile(join(consumer, 'package.json'), JSON.stringify(manifest, null, 2))
  // `npm ci` left every manifest and tarball this needs in npm's cache (it
  // installs with --offline too); the registry is asked only for what is not,
  // such as a version published since.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: consumer })

  const out = join(consumer, 'dist')
  // The page, as the app's Vite builds it (the repo's Vite: no second install).
  await build({ root: consumer, configFile: false, logLevel: 'warn', build: { outDir: out, emptyOutDir: true } })
  // The app's worker: one classic script, as vite-plugin-pwa's injectManifest
  // builds it. Library mode leaves Workbox's process.env.NODE_ENV to define.
  await build({
    root: consumer,
    configFile: false,
    logLevel: 'warn',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: { outDir: out, emptyOutDir: false, lib: { entry: join(consumer, 'worker.ts'), formats: ['iife'], name: 'worker', fileName: () => 'worker.js' } },
  })
  // The standalone worker, copied out of the installed package by its export name.
  await copyFile(createRequire(join(consumer, 'package.json')).resolve('sw-token-proxy/sw.js'), join(out, 'sw.js'))
  site = await siteFiles(out)
})

test.afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true })
})

test.describe('Package', () => {
  test('the tarball holds the build, README, LICENSE and package.json, and every target of exports', async () => {
    const paths = packed.files.map((f) => f.path)
    expect(paths.filter((p) => !p.startsWith('dist/')).sort()).toEqual(['LICENSE', 'README.md', 'package.json'])
    // Declarations, not sources.
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([])

    const installed = join(consumer, 'node_modules/sw-token-proxy')
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      sideEffects: unknown
      exports: Record<string, string | Record<string, string>>
    }
    expect(manifest.sideEffects).toBe(false)
    expect(Object.keys(manifest.exports)).toEqual(['.', './sw', './sw.js', './playwright', './package.json'])
    expect(manifest.exports['.']).toEqual({ types: './dist/types/client/index.d.ts', default: './dist/client.js' })
    expect(manifest.exports['./sw']).toEqual({ types: './dist/types/sw/index.d.ts', default: './dist/sw/index.js' })
    expect(manifest.exports['./playwright']).toEqual({ types: './dist/types/playwright/index.d.ts', default: './dist/playwright.js' })
    const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
    for (const target of targets) expect(paths, target).toContain(target.slice(2))
  })

  test('the packed declarations type a fresh project: page and worker, Bundler and NodeNext resolution', async () => {
    const tsc = join(ROOT, 'node_modules/.bin/tsc')
    for (const [config, entry] of [
      ['tsconfig.json', 'client/index.d.ts'],
      ['tsconfig.nodenext.json', 'client/index.d.ts'],
      ['tsconfig.worker.json', 'sw/index.d.ts'],
    ] as const) {
      // --listFiles: proof that the types came from the installed package.
      const output = await run(tsc, ['-p', config, '--listFiles'], { cwd: consumer }).then(
        ({ stdout }) => stdout,
        (error: { stdout?: string }) => error.stdout ?? String(error),
      )
      expect(output.split('\n').filter((line) => /error TS\d+/.test(line)), config).toEqual([])
      expect(output, config).toContain(`node_modules/sw-token-proxy/dist/types/${entry}`)
    }
  })

  test('B14 importing the page module in plain Node (server-side rendering) does not throw', async () => {
    // Node 21+ has a `navigator`: take it away, so the import meets no browser global at all.
    const script = `
      const globals = ['window', 'document', 'navigator', 'location', 'self']
      for (const name of globals) delete globalThis[name]
      const module = await import('sw-token-proxy')
      console.log(JSON.stringify({ present: globals.filter((name) => name in globalThis), exports: Object.keys(module) }))
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', script], { cwd: consumer })
    const { present, exports } = JSON.parse(stdout) as { present: string[]; exports: string[] }
    expect(present).toEqual([])
    expect(exports).toEqual(expect.arrayContaining(['registerTokenProxy', 'TokenProxyError', 'TokenProxyOptionsError', 'isTokenProxyError', 'safeNext']))
  })

  const WORKERS = [
    { query: 'worker=composed', script: '/worker.js', name: "the app's own worker calling installTokenProxy from 'sw-token-proxy/sw'" },
    { query: 'worker=standalone', script: '/sw.js', name: "the standalone worker copied from 'sw-token-proxy/sw.js'" },
  ]
  for (const worker of WORKERS) {
    test(`B1 + B3 a consumer's Vite build injects the token and refreshes it: ${worker.name}`, async ({ page }) => {
      const server = await startDemoServer({ accessTtlMs: 60_000, files: site })
      try {
        await page.goto(`${server.url}/?${worker.query}`)
        await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
        expect(await page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).pathname)).toBe(worker.script)

        const { accessToken, refreshToken, expiresIn } = server.auth.login('ada')
        await page.evaluate((tokens) => window.tokenProxy.setTokens(tokens), { accessToken, refreshToken, expiresAt: Date.now() + expiresIn * 1000 })
        const me = (tab: Page) =>
          tab.evaluate(async () => [(await fetch('/api/me')).status, (await window.tokenProxy.http.get('/api/me')).status])
        expect(await me(page)).toEqual([200, 200])
        expect(authorizations(server, '/api/me')).toEqual([`Bearer ${accessToken}`, `Bearer ${accessToken}`])

        server.auth.expireAccessTokens()
        expect(await me(page)).toEqual([200, 200])
        expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
        const renewed = authorizations(server, '/api/me').slice(2)
        expect(renewed).toEqual([`Bearer ${accessToken}`, expect.not.stringContaining(accessToken), expect.any(String)])
        expect(renewed[2]).toBe(renewed[1])
        expect(server.requestsTo('/api/me').map((r) => r.status)).toEqual([200, 200, 401, 200, 200])
      } finally {
        await server.close()
      }
    })
  }
})
