import { createHash, randomUUID } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test as base, firefox, type Browser, type Page } from '@playwright/test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { proxyOptions } from '../demo/app/config.js'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { readStandalone, workerFile } from '../node/worker-file.js'
import type { TokenProxyOptions } from '../common/options.js'
import type { Tokens } from '../common/tokens.js'
import { ENGINES, FIREFOX_WORKER_IDLE_MS, WEBKIT } from './engines/index.js'
import { expect } from './engines/matchers.js'
import { WebKitBrowser } from './engines/webkit.js'

export { expect }

interface WorkerFixtures {
  /** Playwright's browser; in the webkit project, the WebKit layer (engines/webkit.ts) in its place. */
  browser: Browser
}

interface Fixtures {
  /** A fresh demo server on its own port, so every test has its own origin, worker and IndexedDB. */
  server: DemoServer
  /**
   * Opens the console page (the proxy registered, nothing else) and waits until
   * the worker controls it. `query` is added to its URL (`worker={…}`, `stay`, `scope=…`).
   */
  openConsole: (page?: Page, query?: string, path?: string) => Promise<Page>
  /**
   * Logs a user in at the server and hands the tokens to the worker through
   * `setTokens`; `withExpiry: false` leaves `expiresAt` out (the worker reads the JWT `exp`).
   */
  login: (page: Page, options?: { withExpiry?: boolean }) => Promise<Tokens>
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  browser: [
    async ({ playwright, browserName }, use) => {
      // Launch options come from the project, as with Playwright's own fixture.
      let browser: Browser
      if (browserName === 'webkit') browser = (await WebKitBrowser.launch(WEBKIT)) as unknown as Browser
      else browser = await playwright[browserName].launch()
      await use(browser)
      await browser.close()
    },
    { scope: 'worker', timeout: 0 },
  ],
  server: async ({}, use) => {
    const server = await startDemoServer({ accessTtlMs: 60_000 })
    await use(server)
    await server.close()
  },
  openConsole: async ({ server, page, context }, use) => {
    await use(async (target = page, query = '', path = '/console') => {
      const tab = target ?? (await context.newPage())
      await tab.goto(`${server.url}${path}${query ? `?${query}` : ''}`)
      await expect(tab.locator('#state')).toHaveAttribute('data-ready', 'true')
      return tab
    })
  },
  login: async ({ server }, use) => {
    await use(async (page, { withExpiry = true } = {}) => {
      const { accessToken, refreshToken, expiresIn } = server.auth.login('ada')
      const tokens = withExpiry ? { accessToken, refreshToken, expiresAt: Date.now() + expiresIn * 1000 } : { accessToken, refreshToken }
      await page.evaluate((t) => window.tokenProxy.setTokens(t), tokens)
      return tokens
    })
  },
})

/** The `Authorization` headers the server received on `path`, in order. */
export const authorizations = (server: DemoServer, path: string) =>
  server.requestsTo(path).map((r) => r.authorization)

/** Per restartable Firefox: where the BiDi relay writes its workers' starts and stops, a JSON line each. */
const workerLogs = new WeakMap<Browser, string>()

/**
 * The page a restart spec (B9) runs in. Chromium: the test's own `page`
 * (CDP stops its worker). Firefox: a page in a Firefox of the spec's own,
 * whose workers stop after FIREFOX_WORKER_IDLE_MS idle and whose relay logs
 * their starts and stops (see stopWorkers); `prefs` are added. Only there,
 * so that no other spec runs with workers that short-lived.
 */
export async function restartablePage(page: Page, prefs: Record<string, number> = {}): Promise<{ page: Page; close: () => Promise<void> }> {
  if (page.context().browser()?.browserType().name() !== 'firefox') return { page, close: async () => {} }
  const log = join(await mkdtemp(join(tmpdir(), 'sw-token-proxy-workers-')), 'log.jsonl')
  await writeFile(log, '')
  const { env, ...options } = ENGINES.find((engine) => engine.name === 'firefox')!.launchOptions
  const browser = await firefox.launch({
    ...options,
    env: { ...env, SW_TOKEN_PROXY_WORKER_LOG: log },
    firefoxUserPrefs: { 'dom.serviceWorkers.idle_timeout': FIREFOX_WORKER_IDLE_MS, ...prefs },
  })
  workerLogs.set(browser, log)
  return { page: await (await browser.newContext()).newPage(), close: () => browser.close() }
}

/**
 * Stops the service workers, as the browser does to an idle one, and
 * resolves once they stopped. Chromium: CDP stops every worker now. Firefox:
 * nothing stops one on demand, so this waits, the page idle, until Firefox
 * stops the page's workers itself (after FIREFOX_WORKER_IDLE_MS), as the
 * relay reports it. Elsewhere (`needs('stopWorker')`) it throws.
 */
export async function stopWorkers(page: Page): Promise<void> {
  const engine = page.context().browser()?.browserType().name()
  if (engine === 'firefox') return idleStopped(page)
  if (engine !== 'chromium') throw new Error(`stopWorkers: ${engine} cannot stop a service worker (the spec checks needs('stopWorker'))`)
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('ServiceWorker.enable')
  const stopped = new Promise<void>((resolve) => {
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      if (versions.some((v) => v.runningStatus === 'stopped')) resolve()
    })
  })
  await cdp.send('ServiceWorker.stopAllWorkers')
  // A worker that was already stopped reports nothing: don't wait for it forever.
  await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5_000))])
  await cdp.detach()
}

async function idleStopped(page: Page): Promise<void> {
  const log = workerLogs.get(page.context().browser()!)
  if (!log) throw new Error('stopWorkers: in Firefox the page must come from restartablePage()')
  const origin = new URL(page.url()).origin
  let seen = false
  const running = async () => {
    const live = new Set<string>()
    for (const line of (await readFile(log, 'utf8')).split('\n').filter(Boolean)) {
      const { event, realm, script } = JSON.parse(line) as { event: 'started' | 'stopped'; realm: string; script: string }
      if (!script.startsWith(`${origin}/`)) continue
      seen = true
      if (event === 'started') live.add(realm)
      else live.delete(realm)
    }
    return live.size
  }
  // The page used its worker before: a log without it would make this wait prove nothing.
  await running()
  if (!seen) throw new Error(`stopWorkers: Firefox reported no service worker of ${origin} running`)
  // Firefox stops an idle worker after FIREFOX_WORKER_IDLE_MS; ten times that is a worker that never idles.
  await expect.poll(running, { timeout: 10 * FIREFOX_WORKER_IDLE_MS, intervals: [50] }).toBe(0)
}

/** Reads the tokens the worker persisted, straight from IndexedDB (any same-origin script can). */
export function storedTokens(page: Page): Promise<unknown> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('sw-token-proxy')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const db = open.result
          if (!db.objectStoreNames.contains('tokens')) return resolve(undefined)
          const get = db.transaction('tokens').objectStore('tokens').get('tokens')
          get.onsuccess = () => resolve(get.result)
          get.onerror = () => reject(get.error)
        }
      }),
  )
}

/**
 * Logs in the way the demo's login page does: a plain fetch to `path` (the
 * login endpoint unless given), through the worker. `remember: false` asks
 * the server for an access token only.
 */
export function loginThroughPage(page: Page, { user = 'ada', remember = true, path = '/api/auth/login' } = {}) {
  return page.evaluate(
    async ({ user, remember, path }) => {
      const response = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: user, password: 'demo', ...(remember ? {} : { remember: false }) }),
      })
      return { status: response.status, proxy: response.headers.get('X-Token-Proxy'), body: (await response.json()) as Record<string, unknown> }
    },
    { user, remember, path },
  )
}

/**
 * Serves, at `path` on `server`, the standalone worker (its production or
 * development build) with the demo's options and `extra` written into the
 * file (as `sw-token-proxy init` does);
 * returns the console page's query that registers it.
 */
export async function serveWorkerFile(server: DemoServer, extra: Partial<TokenProxyOptions>, path = '/sw-options.js', build: 'production' | 'development' = 'production'): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'sw-token-proxy-')), 'sw.js')
  const options = { ...proxyOptions.worker!, ...extra }
  // The build `sw-token-proxy init` and the Vite plugin pick for these options.
  await writeFile(file, workerFile(options, await readStandalone(build, options)))
  server.files[path] = file
  return `script=${encodeURIComponent(path)}`
}

/** Worker options for the console page's `?worker=` switch. */
export const workerQuery = (options: Record<string, unknown>) => `worker=${encodeURIComponent(JSON.stringify(options))}`

/** What someone who copied the tokens out of IndexedDB can do from elsewhere: a proof of a key of their own. */
export async function foreignProof(method: string, url: string, { accessToken, nonce }: { accessToken?: string; nonce?: string } = {}): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  return new SignJWT({
    htm: method,
    htu: url,
    jti: randomUUID(),
    ...(nonce ? { nonce } : {}),
    ...(accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {}),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .setIssuedAt()
    .sign(privateKey)
}

/** Registers `url` for `scope` from page script, as an injected script would, and waits until it is active. */
export const registerFromPage = (page: Page, url: string, scope: string) =>
  page.evaluate(
    async ({ url, scope }) => {
      const registration = await navigator.serviceWorker.register(url, { scope })
      const worker = registration.installing ?? registration.waiting ?? registration.active!
      if (worker.state !== 'activated') {
        await new Promise<void>((resolve) => worker.addEventListener('statechange', () => worker.state === 'activated' && resolve()))
      }
    },
    { url, scope },
  )
