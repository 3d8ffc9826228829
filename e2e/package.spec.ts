import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { builtinModules, createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import type { Page } from '@playwright/test'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { siteFiles } from '../demo/server/files.js'
import { authorizations, expect, loginThroughPage, test } from './fixtures.js'

/**
 * The package as users get it: `npm pack` of what `npm run build` wrote,
 * installed into fresh projects that use it by name. e2e/consumer/ (copied
 * to a temp folder) is a Vite app: it typechecks against the declarations,
 * builds with its own Vite and the plugin from `sw-token-proxy/vite`, and
 * runs on its own dev server. A second project, with no bundler at all, gets
 * its worker file from `npx sw-token-proxy init`.
 */

const ROOT = resolve(import.meta.dirname, '..')
const run = promisify(execFile)
const VITE_VERSION = (JSON.parse(await readFile(join(ROOT, 'node_modules/vite/package.json'), 'utf8')) as { version: string }).version
const AXIOS_VERSION = (JSON.parse(await readFile(join(ROOT, 'node_modules/axios/package.json'), 'utf8')) as { version: string }).version
const WORKER_OPTIONS = ['--apiPrefix', '/api/', '--refreshUrl', '/api/auth/refresh', '--loginUrl', '/api/auth/login']

/** What `npm pack --json` says about the tarball. */
interface Packed {
  filename: string
  files: { path: string }[]
}

let temp = ''
let consumer = ''
let plain = ''
let packed: Packed
/** The consumer's built files, by URL path. */
let site: Record<string, string> = {}

type Vite = typeof import('vite')
/** The consumer's own Vite, as its `npm install` put it there. */
const consumerVite = async (): Promise<Vite> =>
  (await import(pathToFileURL(createRequire(join(consumer, 'package.json')).resolve('vite')).href)) as Vite

/** `npm install` in `cwd`, from npm's cache where it can (`npm ci` left what this needs there). */
const install = (cwd: string, ...args: string[]) => run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...args], { cwd })

// One set of projects for the whole file: build them once, in one worker.
test.describe.configure({ mode: 'default' })

test.beforeAll(async () => {
  test.setTimeout(240_000)
  for (const file of ['dist/client.js', 'dist/sw/index.js', 'dist/sw.js', 'dist/vite.js', 'dist/cli.js', 'dist/types/client/index.d.ts', 'dist/types/sw/index.d.ts']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is not built: run npm run build first.`)
  }
  temp = await mkdtemp(join(tmpdir(), 'sw-token-proxy-package-'))
  // --ignore-scripts: prepack would rebuild dist/ while other specs serve it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', temp], { cwd: ROOT })
  ;[packed] = JSON.parse(stdout) as [Packed]
  const tarball = `file:${join(temp, packed.filename)}`

  consumer = join(temp, 'consumer')
  await cp(join(ROOT, 'e2e/consumer'), consumer, { recursive: true })
  // axios is the app's own choice: a peer of sw-token-proxy/axios, installed by the app.
  const manifest = { name: 'consumer', private: true, type: 'module', dependencies: { 'sw-token-proxy': tarball, axios: AXIOS_VERSION }, devDependencies: { vite: VITE_VERSION } }
  await writeFile(join(consumer, 'package.json'), JSON.stringify(manifest, null, 2))
  await install(consumer, '--ignore-scripts')

  plain = join(temp, 'plain')
  await mkdir(plain)
  await writeFile(join(plain, 'package.json'), JSON.stringify({ name: 'plain', private: true, dependencies: { 'sw-token-proxy': tarball } }, null, 2))
  await install(plain, '--ignore-scripts')

  const { build } = await consumerVite()
  const out = join(consumer, 'dist')
  // The page, as the app's own Vite builds it, with the plugin from its vite.config.ts.
  await build({ root: consumer, configFile: join(consumer, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } })
  // The app's worker: one classic script, as vite-plugin-pwa's injectManifest builds it
  // (process.env.NODE_ENV written in, as Workbox's code, and the proxy's, need).
  await build({
    root: consumer,
    configFile: false,
    logLevel: 'warn',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: { outDir: out, emptyOutDir: false, lib: { entry: join(consumer, 'worker.ts'), formats: ['iife'], name: 'worker', fileName: () => 'worker.js' } },
  })
  // The standalone worker as shipped, copied out of the installed package by its export name.
  await copyFile(createRequire(join(consumer, 'package.json')).resolve('sw-token-proxy/sw.js'), join(out, 'sw-query.js'))
  site = await siteFiles(out)
})

test.afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true })
})

/** Logs in through the page (the worker keeps the tokens), then checks B1 and B3 against `server`. */
async function injectsAndRefreshes(page: Page, server: DemoServer): Promise<void> {
  expect(await loginThroughPage(page)).toMatchObject({ status: 200, body: { user: 'ada' } })
  const me = (tab: Page) => tab.evaluate(async () => [(await fetch('/api/me')).status, (await window.tokenProxy.http.get('/api/me')).status])
  expect(await me(page)).toEqual([200, 200])
  const [first] = authorizations(server, '/api/me')
  expect(first).toMatch(/^Bearer ey/)
  expect(authorizations(server, '/api/me')).toEqual([first, first])

  server.auth.expireAccessTokens()
  expect(await me(page)).toEqual([200, 200])
  expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
  const renewed = authorizations(server, '/api/me').slice(2)
  expect(renewed).toEqual([first, expect.not.stringContaining(first!), expect.any(String)])
  expect(renewed[2]).toBe(renewed[1])
  expect(server.requestsTo('/api/me').map((r) => r.status)).toEqual([200, 200, 401, 200, 200])
}

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
      bin: Record<string, string>
      engines: Record<string, string>
    }
    expect(manifest.bin).toEqual({ 'sw-token-proxy': 'dist/cli.js' })
    expect(manifest.engines.node).toMatch(/^>=20/)
    expect(manifest.sideEffects).toBe(false)
    expect(Object.keys(manifest.exports)).toEqual(['.', './axios', './sw', './sw.js', './sw.development.js', './sw.written.js', './sw.written.bearer.js', './vite', './playwright', './package.json'])
    expect(manifest.exports['./axios']).toEqual({ types: './dist/types/client/axios.d.ts', default: './dist/axios.js' })
    expect(manifest.exports['./vite']).toEqual({ types: './dist/types/node/vite.d.ts', default: './dist/vite.js' })
    expect(manifest.exports['.']).toEqual({ types: './dist/types/client/index.d.ts', default: './dist/client.js' })
    expect(manifest.exports['./sw']).toEqual({ types: './dist/types/sw/index.d.ts', default: './dist/sw/index.js' })
    expect(manifest.exports['./playwright']).toEqual({ types: './dist/types/playwright/index.d.ts', default: './dist/playwright.js' })
    const targets = [...Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))), './dist/cli.js']
    for (const target of targets) expect(paths, target).toContain(target.slice(2))
  })

  test('the packed declarations type a fresh project: page and worker, Bundler and NodeNext resolution', async () => {
    const tsc = join(ROOT, 'node_modules/.bin/tsc')
    for (const [config, entry] of [
      ['tsconfig.json', 'client/index.d.ts'],
      ['tsconfig.nodenext.json', 'client/index.d.ts'],
      ['tsconfig.worker.json', 'sw/index.d.ts'],
      ['tsconfig.plugin.json', 'node/vite.d.ts'],
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
    // The main entry imports no axios: it loads in a project that has none.
    const { stdout: plainOut } = await run(process.execPath, ['--input-type=module', '--eval', script], { cwd: plain })
    expect((JSON.parse(plainOut) as { exports: string[] }).exports).toContain('registerTokenProxy')
  })

  test('the packed declarations name no module the package does not declare', async () => {
    const installed = join(consumer, 'node_modules/sw-token-proxy')
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})])
    const named = new Set<string>()
    for (const file of await readdir(join(installed, 'dist/types'), { recursive: true })) {
      if (!file.endsWith('.d.ts')) continue
      const text = await readFile(join(installed, 'dist/types', file), 'utf8')
      for (const [, specifier] of text.matchAll(/(?:from |import\()['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.')) continue
        const name = specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!
        if (!builtinModules.includes(name.replace(/^node:/, ''))) named.add(name)
      }
    }
    expect([...named].filter((name) => !declared.has(name))).toEqual([])
    expect([...named].sort()).toEqual(['@playwright/test', 'axios', 'idb-keyval', 'vite', 'workbox-core', 'workbox-routing'])
  })

  const WORKERS = [
    { query: 'worker=composed', script: '/worker.js', name: "the app's own worker calling installTokenProxy from 'sw-token-proxy/sw'" },
    { query: 'worker=query', script: '/sw-query.js', name: "the standalone worker as shipped ('sw-token-proxy/sw.js'), options in its URL" },
    { query: '', script: '/sw.js', name: "the worker file the Vite plugin ('sw-token-proxy/vite') emits, options inside" },
  ]
  for (const worker of WORKERS) {
    test(`B1 + B3 a consumer's Vite build injects the token and refreshes it: ${worker.name}`, async ({ page }) => {
      const server = await startDemoServer({ accessTtlMs: 60_000, files: site })
      try {
        await page.goto(`${server.url}/?${worker.query}`)
        await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
        expect(await page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).pathname)).toBe(worker.script)
        await injectsAndRefreshes(page, server)
      } finally {
        await server.close()
      }
    })
  }

  test("B2 a request the proxy answers reaches none of the app's fetch listeners after it; the others do", async ({ page }) => {
    const server = await startDemoServer({ accessTtlMs: 60_000, files: site })
    try {
      await page.goto(`${server.url}/?worker=composed`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      const seen = await page.evaluate(async () => {
        await fetch('/api/me')
        await fetch('/index.html?app')
        return (await fetch('/seen')).json()
      })
      expect(seen).toContain('/index.html')
      expect(seen).not.toContain('/api/me')
    } finally {
      await server.close()
    }
  })

  test("B1 + B3 the consumer's Vite dev server serves the worker file from the plugin, and the app works against it", async ({ page }) => {
    const server = await startDemoServer({ accessTtlMs: 60_000 })
    const { createServer } = await consumerVite()
    const dev = await createServer({
      root: consumer,
      configFile: join(consumer, 'vite.config.ts'),
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: 0, strictPort: false, proxy: { '/api': server.url } },
    })
    try {
      await dev.listen()
      const address = dev.httpServer!.address() as { port: number }
      const origin = `http://127.0.0.1:${address.port}`
      const script = await fetch(`${origin}/sw.js`)
      expect(script.headers.get('content-type')).toMatch(/^text\/javascript/)
      expect(await script.text()).toMatch(/^\/\* sw-token-proxy: options written/)
      await page.goto(`${origin}/`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      expect(await page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).pathname)).toBe('/sw.js')
      await injectsAndRefreshes(page, server)
    } finally {
      await dev.close()
      await server.close()
    }
  })

  test('npx sw-token-proxy init writes the worker file for any bundler, --save keeps it current on every install, and it works', async ({ page }) => {
    const cli = (...args: string[]) => run('npx', ['--no-install', 'sw-token-proxy', ...args], { cwd: plain })
    const { stdout } = await cli('init', 'public', ...WORKER_OPTIONS, '--save')
    expect(stdout).toContain('wrote public/sw.js')
    const file = join(plain, 'public/sw.js')
    const written = await readFile(file, 'utf8')
    // The build for these options: no DPoP, so none of its code.
    const shipped = await readFile(createRequire(join(plain, 'package.json')).resolve('sw-token-proxy/sw.written.bearer.js'), 'utf8')
    expect(written.endsWith(shipped)).toBe(true)
    expect(written).toContain('self.swTokenProxyOptions = {"apiPrefix":["/api/"],"refreshUrl":"/api/auth/refresh","loginUrl":"/api/auth/login"};')
    const manifest = JSON.parse(await readFile(join(plain, 'package.json'), 'utf8')) as { scripts: Record<string, string>; swTokenProxy: unknown }
    expect(manifest.scripts.postinstall).toBe('sw-token-proxy init')
    expect(manifest.swTokenProxy).toEqual({ workerDirectory: 'public', options: { apiPrefix: ['/api/'], refreshUrl: '/api/auth/refresh', loginUrl: '/api/auth/login' } })

    // An upgrade, or a copy gone stale: the next install writes the file again.
    await writeFile(file, '// stale\n')
    await install(plain)
    expect(await readFile(file, 'utf8')).toBe(written)

    // Invalid options fail with the worker's own message and write nothing.
    await rm(file)
    const failure = await cli('init', 'public', '--apiPrefix', '/api/', '--refreshUrl', 'https://elsewhere.example/refresh').catch((error: { stderr: string; code: number }) => error)
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining('`refreshUrl` must be a same-origin path') })
    expect(existsSync(file)).toBe(false)
    await cli('init')

    const server = await startDemoServer({ accessTtlMs: 60_000, files: { ...site, '/sw.js': file } })
    try {
      await page.goto(`${server.url}/`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      await injectsAndRefreshes(page, server)
    } finally {
      await server.close()
    }
  })
})
