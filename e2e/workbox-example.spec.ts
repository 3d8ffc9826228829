import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Page } from '@playwright/test'
import { build } from 'vite'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { siteFiles } from '../demo/server/files.js'
import { authorizations, expect, loginThroughPage, storedTokens, test as base } from './fixtures.js'
import { can } from './engines/limits.js'

/**
 * examples/workbox: the app's own worker, built by vite-plugin-pwa's
 * injectManifest, precaches the app with Workbox and has the token proxy
 * composed in. Built once with the example's own vite.config.ts, served by
 * the demo server, which also plays the API.
 */

const EXAMPLE = resolve(import.meta.dirname, '../examples/workbox')

let temp = ''
/** The built example, by URL path. */
let site: Record<string, string> = {}
/** What the precache should hold: every built file but the worker itself, by URL path. */
let precached: string[] = []
/** The page's entry script, which every load fetches. */
let script = ''

const test = base.extend<{ files: Record<string, string> }>({
  // Each test's own copy of the site, so that it can take files out of its server.
  files: async ({}, use) => use({ ...site }),
  server: async ({ files }, use) => {
    const server = await startDemoServer({ accessTtlMs: 60_000, files })
    await use(server)
    await server.close()
  },
})

// One build for the whole file, in one worker.
test.describe.configure({ mode: 'default' })

test.beforeAll(async () => {
  test.setTimeout(120_000)
  temp = await mkdtemp(join(tmpdir(), 'sw-token-proxy-workbox-'))
  await build({ root: EXAMPLE, configFile: join(EXAMPLE, 'vite.config.ts'), logLevel: 'warn', build: { outDir: temp, emptyOutDir: true } })
  site = await siteFiles(temp)
  precached = Object.keys(site).filter((path) => path !== '/' && path !== '/sw.js').sort()
  // The page and its scripts (its entry, and the chunks of the page module it loads when needed), or the tests below would prove nothing.
  script = precached.find((path) => /^\/assets\/index-[\w-]+\.js$/.test(path)) ?? ''
  expect(precached).toEqual(expect.arrayContaining([script, '/index.html']))
  expect(precached.every((path) => path === '/index.html' || /^\/assets\/[\w-]+\.js$/.test(path))).toBe(true)
})

test.afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true })
})

/** Opens the example and waits until its worker controls it. */
async function open(page: Page, server: DemoServer): Promise<void> {
  await page.goto(`${server.url}/`)
  await ready(page)
}

async function ready(page: Page): Promise<void> {
  await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
  expect(await page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).pathname)).toBe('/sw.js')
}

/** Workbox's precache caches in Cache Storage, each with the URL paths it holds. */
function precache(page: Page): Promise<{ name: string; paths: string[] }[]> {
  return page.evaluate(async () => {
    const names = (await caches.keys()).filter((name) => name.startsWith('workbox-precache'))
    return Promise.all(
      names.map(async (name) => {
        const requests = await (await caches.open(name)).keys()
        return { name, paths: requests.map((request) => new URL(request.url).pathname).sort() }
      }),
    )
  })
}

/** Logs ada in at the server and hands her tokens to the worker, as the page's login does. */
async function login(page: Page, server: DemoServer): Promise<string> {
  const { accessToken, refreshToken, expiresIn } = server.auth.login('ada')
  await page.evaluate((tokens) => window.tokenProxy.setTokens(tokens), { accessToken, refreshToken, expiresAt: Date.now() + expiresIn * 1000 })
  return accessToken
}

/** Clicks the page's own button for GET /api/me and waits for its answer. */
async function loadMe(page: Page): Promise<void> {
  await page.evaluate(() => delete document.getElementById('me')!.dataset.status)
  await page.click('#load')
  await expect(page.locator('#me')).toHaveAttribute('data-status', /.+/)
}

test.describe('Workbox example', () => {
  test('B2 precache: the worker caches the built app at install, and a reload renders it from there once the server no longer serves it', async ({ page, server, files }) => {
    await open(page, server)
    expect(await precache(page)).toEqual([{ name: `workbox-precache-v2-${server.url}/`, paths: precached }])

    // Take the app out of the server: its files 404 (even where the demo's own build has a chunk
    // of the same name: the same module hashes the same) and `/` is the demo's own page (or a
    // 404 where the demo is not built), never the example.
    const index = await readFile(site['/index.html']!, 'utf8')
    delete files['/']
    for (const path of precached) files[path] = join(temp, 'taken out of the server')
    for (const path of precached) expect((await fetch(`${server.url}${path}`)).status, path).toBe(404)
    expect(await (await fetch(`${server.url}/`)).text()).not.toBe(index)

    const since = server.requests.length
    const response = await page.reload()
    await ready(page)
    await expect(page.locator('h1')).toHaveText('Workbox + sw-token-proxy')
    if (can('workerNetwork')) expect(response?.fromServiceWorker()).toBe(true)
    // Not one of the app's files was asked of the server.
    const fetched = server.requests.slice(since).map((r) => r.path)
    expect(fetched.filter((path) => path === '/' || precached.includes(path))).toEqual([])
  })

  test('B1 + B3 the page\'s API request gets the token, and after expiry one refresh serves concurrent requests with the new one', async ({ page, server }) => {
    await open(page, server)
    const accessToken = await login(page, server)
    await loadMe(page)
    await expect(page.locator('#me')).toHaveText('Signed in as ada.')
    expect(authorizations(server, '/api/me')).toEqual([`Bearer ${accessToken}`])

    server.auth.expireAccessTokens()
    // Distinct URLs: WebKit sends identical concurrent GETs once (measured: six in the page, four at the server).
    const statuses = await page.evaluate(() =>
      Promise.all([
        ...Array.from({ length: 3 }, (_, i) => fetch(`/api/me?fetch=${i}`).then((r) => r.status)),
        ...Array.from({ length: 3 }, (_, i) => window.tokenProxy.http.get(`/api/me?axios=${i}`).then((r) => r.status)),
      ]),
    )
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    const after = server.requestsTo('/api/me').slice(1)
    // Whatever went out with the old token got its 401 and one replay; every success carried the new token.
    expect(after.filter((r) => r.status === 401).map((r) => r.authorization)).toEqual(
      after.filter((r) => r.status === 401).map(() => `Bearer ${accessToken}`),
    )
    const renewed = after.filter((r) => r.status === 200).map((r) => r.authorization)
    expect(renewed).toHaveLength(6)
    expect(new Set(renewed).size).toBe(1)
    expect(renewed[0]).toMatch(/^Bearer /)
    expect(renewed[0]).not.toBe(`Bearer ${accessToken}`)

    // And the page's own request goes on with it, no second refresh.
    await loadMe(page)
    await expect(page.locator('#me')).toHaveText('Signed in as ada.')
    expect(authorizations(server, '/api/me').at(-1)).toBe(renewed[0])
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
  })

  test('B2 the app\'s own files never get the token: not when a worker precaches them with tokens stored, nor when the precache falls back to the network', async ({ page, server }) => {
    await open(page, server)
    const accessToken = await login(page, server)

    // A new worker installs while the tokens sit in IndexedDB, which outlives
    // the registration: unregister, empty Cache Storage, reload.
    await page.evaluate(async () => {
      await (await navigator.serviceWorker.getRegistration())!.unregister()
      for (const name of await caches.keys()) await caches.delete(name)
    })
    let since = server.requests.length
    await page.reload()
    await ready(page)
    // The worker's own precache requests (`fetch` from a worker: destination empty).
    const install = server.requests.slice(since).filter((r) => r.headers['sec-fetch-dest'] === 'empty')
    expect(install.map((r) => r.path).sort()).toEqual(precached)
    expect(install.map((r) => r.authorization)).toEqual(precached.map(() => null))
    // That worker had the tokens: the API gets them.
    await loadMe(page)
    expect(authorizations(server, '/api/me')).toEqual([`Bearer ${accessToken}`])

    // With the worker in control and the token in use, empty the precache:
    // the page's navigation and script now go through the worker's precache
    // route to the network.
    await page.evaluate(async () => {
      for (const name of await caches.keys()) await caches.delete(name)
    })
    since = server.requests.length
    const response = await page.reload()
    await ready(page)
    if (can('workerNetwork')) expect(response?.fromServiceWorker()).toBe(true)
    const fallback = server.requests.slice(since).filter((r) => !r.path.startsWith('/api/'))
    expect(fallback.map((r) => r.path)).toEqual(expect.arrayContaining(['/', script]))
    expect(fallback.map((r) => [r.path, r.authorization])).toEqual(fallback.map((r) => [r.path, null]))
    await loadMe(page)
    expect(authorizations(server, '/api/me').at(-1)).toBe(`Bearer ${accessToken}`)
  })

  test("B17 API reads are kept for offline use per session: signed in they carry the token, offline they come from the cache, and no answer of ada's outlives her session", async ({ page, server }) => {
    await open(page, server)
    // A cache the app did not name in sessionCaches is never touched.
    await page.evaluate(async () => (await caches.open('app-own')).put('/kept', new Response('kept')))
    expect(await loginThroughPage(page, { user: 'ada' })).toMatchObject({ status: 200, body: { user: 'ada' } })
    const { accessToken } = (await storedTokens(page)) as { accessToken: string }
    const me = () =>
      page.evaluate(async () => {
        try {
          const response = await fetch('/api/me')
          return { status: response.status, user: ((await response.json()) as { user?: string }).user }
        } catch {
          return { status: 0, user: undefined }
        }
      })
    expect(await me()).toEqual({ status: 200, user: 'ada' })
    expect(authorizations(server, '/api/me')).toEqual([`Bearer ${accessToken}`])
    // Cached under the request as the page made it: no token in the key. NetworkFirst writes the
    // cache after it has answered (in the fetch event's waitUntil), so the test waits for the write.
    const keys = () => page.evaluate(async () => (await (await caches.open('api-reads')).keys()).map((r) => [new URL(r.url).pathname, r.headers.get('Authorization')]))
    await expect.poll(keys).toEqual([['/api/me', null]])

    // Offline: the read comes from the cache.
    server.faults.apiDown = true
    expect(await me()).toEqual({ status: 200, user: 'ada' })

    // Another user signs in (online): nothing of ada's can be read, offline or online.
    server.faults.apiDown = false
    expect(await loginThroughPage(page, { user: 'grace' })).toMatchObject({ status: 200, body: { user: 'grace' } })
    expect(await keys()).toEqual([])
    server.faults.apiDown = true
    expect(await me()).toEqual({ status: 0, user: undefined })
    server.faults.apiDown = false
    expect(await me()).toEqual({ status: 200, user: 'grace' })

    // A logout ends grace's session: offline, nothing of hers either.
    await page.evaluate(() => window.tokenProxy.logout())
    server.faults.apiDown = true
    expect(await me()).toEqual({ status: 0, user: undefined })
    expect(await page.evaluate(async () => (await (await caches.open('app-own')).match('/kept'))?.text())).toBe('kept')
  })

  test("B3 + B13 under the app's routes: one refresh serves a burst of API reads at expiry, and a route of the app's that would take the login still hands the page no token", async ({ page, server }) => {
    await open(page, server)
    const answer = await loginThroughPage(page, { user: 'ada' })
    expect(answer).toEqual({ status: 200, proxy: null, body: { user: 'ada' } })
    expect(await storedTokens(page)).toMatchObject({ accessToken: expect.any(String) })
    server.auth.expireAccessTokens()
    const statuses = await page.evaluate(() => Promise.all(Array.from({ length: 5 }, async (_, i) => (await fetch(`/api/items?i=${i}`)).status)))
    expect(statuses).toEqual(Array(5).fill(200))
    expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([200])
    // A POST the app routes to no strategy of its own goes through proxy.routes: token, and no refresh more.
    expect(await page.evaluate(async () => (await fetch('/api/echo', { method: 'POST', body: 'x' })).status)).toBe(200)
    expect(server.requestsTo('/api/echo').map((r) => r.authorization)).toEqual([expect.stringMatching(/^Bearer /)])
  })
})
