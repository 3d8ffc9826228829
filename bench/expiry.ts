import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from '@playwright/test'
import { build } from 'vite'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { forwardApi, SIMPLEJWT_OPTIONS, startSimpleJwt } from '../e2e/simplejwt.js'
import type { InterceptorKind } from './page/interceptors.js'
import { summarize, type Summary } from './stats.js'

/** The proxy against a server of the seed's protocol: opaque tokens, and refresh answers with no expiry. */
const SEED = 'sw-token-proxy, seed protocol (no expiry in refresh answers)'
/** The proxy against a real Django REST framework SimpleJWT server, its names mapped with `fields` (B18). */
const SIMPLEJWT = 'sw-token-proxy, Django REST framework SimpleJWT'

/**
 * The contenders at expiry. The proxy twice: with B10 (it knows the expiry, so
 * it refreshes before sending) and without (it learns of the expiry from the
 * 401s, as the page interceptors do).
 */
export const EXPIRY_CONTENDERS = [
  'sw-token-proxy, B10 on',
  'sw-token-proxy, B10 off',
  'classic interceptor',
  'axios-auth-refresh',
  'axios-auth-refresh, deduplicateRefresh off',
  SEED,
  SIMPLEJWT,
] as const
export type ExpiryContender = (typeof EXPIRY_CONTENDERS)[number]
export const TAB_CONTENDERS = ['sw-token-proxy', 'classic interceptor', 'axios-auth-refresh'] as const
export type TabContender = (typeof TAB_CONTENDERS)[number]

export interface ExpiryResult {
  contender: ExpiryContender
  /** Requests the server received for one burst of `requests` at expiry, refresh calls included, per round. */
  serverRequests: Summary
  refreshCalls: Summary
  /** Requests of the burst that did not end in a 200, per round. */
  failed: Summary
  /** Time until the whole burst settled, per round (ms). */
  expiredTotal: Summary
  /** The same burst with a valid token, per round (ms): the floor (the mean of one just before and one just after). */
  validTotal: Summary
  /** Per round: expired burst time - valid burst time (ms). */
  extra: Summary
}

export interface TabsResult {
  contender: TabContender
  tabs: number
  refreshCalls: Summary
  reuseDetections: Summary
  /** Tabs that saw their session end. */
  logouts: Summary
  /** Requests of all tabs that did not end in a 200. */
  failed: Summary
}

interface Burst {
  total: number
  failed: number
}

/** Builds the interceptor page code (axios and axios-auth-refresh bundled in) into a temporary folder. */
async function buildInterceptors(): Promise<{ file: string; dispose: () => Promise<void> }> {
  const outDir = await mkdtemp(join(tmpdir(), 'sw-token-proxy-bench-'))
  await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      outDir,
      minify: true,
      lib: { entry: resolve(import.meta.dirname, 'page/interceptors.ts'), formats: ['iife'], name: 'benchPage', fileName: () => 'interceptors.js' },
    },
  })
  return { file: join(outDir, 'interceptors.js'), dispose: () => rm(outDir, { recursive: true, force: true }) }
}

type Kind = 'proxy' | InterceptorKind

/** Opens one tab of a contender: the proxy's console page, or a page with no worker and the interceptor. */
async function openTab(page: Page, server: DemoServer, kind: Kind): Promise<void> {
  if (kind === 'proxy') {
    await page.goto(`${server.url}/console?stay`)
    await page.waitForFunction(() => document.getElementById('state')?.dataset.ready === 'true')
  } else {
    await page.goto(`${server.url}/console?manual`)
    await page.addScriptTag({ url: '/bench/interceptors.js' })
    await page.evaluate((k) => window.bench.use(k), kind)
  }
}

/** `count` concurrent GETs of `path` through the tab's axios instance, each on its own URL (the HTTP cache lock would queue identical ones). */
function burst(page: Page, kind: Kind, count: number, tag: string, path = '/api/me'): Promise<Burst> {
  return page.evaluate(
    async ({ proxy, count, tag, path }) => {
      const http = proxy ? window.tokenProxy.http : window.bench.http!
      const started = performance.now()
      const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => http.get(`${path}?b=${tag}&i=${i}`)))
      const total = performance.now() - started
      return { total, failed: results.filter((r) => r.status === 'rejected' || r.value.status !== 200).length }
    },
    { proxy: kind === 'proxy', count, tag, path },
  )
}

async function logoutsOf(page: Page, kind: Kind): Promise<number> {
  return kind === 'proxy'
    ? page.evaluate(() => window.tokenProxyEvents.filter((e) => e.type === 'logout').length)
    : page.evaluate(() => window.bench.logouts)
}

/** Hands a fresh session's tokens to the tab; for the proxy with B10, an expiry that is now. */
async function signIn(page: Page, server: DemoServer, kind: Kind, knownExpiry: boolean): Promise<void> {
  const { accessToken, refreshToken } = server.auth.login('bench')
  if (kind !== 'proxy') await page.evaluate((t) => window.bench.setTokens(t), { accessToken, refreshToken })
  else if (knownExpiry) await page.evaluate((t) => window.tokenProxy.setTokens(t), { accessToken, refreshToken, expiresAt: Date.now() + 1_000 })
  // Without an expiry the worker reads the JWT's `exp`, an hour away: it learns of the expiry from the 401s.
  else await page.evaluate((t) => window.tokenProxy.setTokens(t), { accessToken, refreshToken })
}

const apiRequestsSince = (server: DemoServer, from: number) => server.requests.slice(from).filter((r) => r.path.startsWith('/api/'))
const wait = (ms: number) => new Promise((done) => setTimeout(done, ms))

async function withServer<T>(browser: Browser, interceptors: string, body: (server: DemoServer, open: () => Promise<Page>) => Promise<T>): Promise<T> {
  const server = await startDemoServer({ accessTtlMs: 3_600_000, files: { '/bench/interceptors.js': interceptors } })
  const context = await browser.newContext()
  // tsx names functions with an `__name` helper that pages lack; evaluated functions carry its calls.
  await context.addInitScript('globalThis.__name = (f) => f')
  try {
    return await body(server, () => context.newPage())
  } finally {
    await context.close()
    await server.close()
  }
}

interface Round {
  valid: Burst
  after: Burst
  expired: Burst
  /** The API requests the server received for the expired burst. */
  seen: { path: string }[]
}

type Samples = Record<'server' | 'refresh' | 'failed' | 'expired' | 'valid' | 'extra', number[]>

function addSample(sample: Samples, { valid, after, expired, seen }: Round): void {
  const floor = (valid.total + after.total) / 2
  sample.server.push(seen.length)
  sample.refresh.push(seen.filter((r) => r.path === '/api/auth/refresh' || r.path === '/api/token/refresh/').length)
  sample.failed.push(expired.failed)
  sample.expired.push(expired.total)
  sample.valid.push(floor)
  sample.extra.push(expired.total - floor)
}

/** How long the seed server's access tokens live (real time: the worker must learn it, not be told). */
const SEED_TTL_MS = 4_000

/**
 * One round of the seed's protocol: a login through the worker (the answer
 * says `expiresIn`), one refresh ahead of expiry (its answer says nothing of
 * the new token's life), then the burst at the moment that refreshed token
 * expires at the server. With the previous token's lifetime assumed (B10),
 * the worker refreshes before sending: N + 1 requests, as with a known expiry.
 */
async function seedRound(browser: Browser, interceptors: string, requests: number, round: number): Promise<Round> {
  const server = await startDemoServer({ accessTtlMs: SEED_TTL_MS, protocol: 'seed', files: { '/bench/interceptors.js': interceptors } })
  const context = await browser.newContext()
  await context.addInitScript('globalThis.__name = (f) => f')
  try {
    const page = await context.newPage()
    await openTab(page, server, 'proxy')
    const status = await page.evaluate(async () => {
      const body = JSON.stringify({ username: 'bench', password: 'demo' })
      return (await fetch('/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status
    })
    if (status !== 200) throw new Error(`seed protocol: the login answered ${status}`)
    await burst(page, 'proxy', requests, `warm${round}`)
    // Within the leeway (half the token's life): the next request refreshes first.
    await wait(SEED_TTL_MS * 0.75)
    await burst(page, 'proxy', 1, `ahead${round}`)
    const refreshedAt = Date.now()
    if (server.requestsTo('/api/auth/refresh').length !== 1) throw new Error('seed protocol: the refresh ahead of expiry did not happen')
    const valid = await burst(page, 'proxy', requests, `valid${round}`)
    await wait(refreshedAt + SEED_TTL_MS + 100 - Date.now())
    const from = server.requests.length
    const expired = await burst(page, 'proxy', requests, `expired${round}`)
    const seen = apiRequestsSince(server, from)
    const after = await burst(page, 'proxy', requests, `after${round}`)
    if (valid.failed || after.failed) throw new Error(`${SEED}: a burst with a valid token failed`)
    return { valid, after, expired, seen }
  } finally {
    await context.close()
    await server.close()
  }
}

/** How long SimpleJWT's access tokens live, in seconds. */
export const SIMPLEJWT_TTL_S = 4

/**
 * One round against Django REST framework SimpleJWT (rotation and
 * blacklisting on), forwarded on the page's origin: a login through the
 * worker, then the burst once the access token has expired at the server.
 * The worker knows the expiry from the JWT: it refreshes before sending.
 */
async function simpleJwtRound(browser: Browser, requests: number, round: number): Promise<Round> {
  const django = await startSimpleJwt({ accessSeconds: SIMPLEJWT_TTL_S })
  const server = await startDemoServer()
  forwardApi(server, django)
  const context = await browser.newContext()
  await context.addInitScript('globalThis.__name = (f) => f')
  try {
    const page = await context.newPage()
    await page.goto(`${server.url}/console?stay&worker=${encodeURIComponent(JSON.stringify(SIMPLEJWT_OPTIONS))}`)
    await page.waitForFunction(() => document.getElementById('state')?.dataset.ready === 'true')
    const status = await page.evaluate(async () => {
      const body = JSON.stringify({ username: 'ada', password: 'demo' })
      return (await fetch('/api/token/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status
    })
    if (status !== 200) throw new Error(`${SIMPLEJWT}: the login answered ${status}`)
    await burst(page, 'proxy', requests, `warm${round}`, '/api/me/')
    const valid = await burst(page, 'proxy', requests, `valid${round}`, '/api/me/')
    const { expiresAt } = await page.evaluate(() => window.tokenProxy.session())
    await wait(expiresAt! + 100 - Date.now())
    const from = server.requests.length
    const expired = await burst(page, 'proxy', requests, `expired${round}`, '/api/me/')
    const seen = apiRequestsSince(server, from)
    const after = await burst(page, 'proxy', requests, `after${round}`, '/api/me/')
    if (valid.failed || after.failed) throw new Error(`${SIMPLEJWT}: a burst with a valid token failed`)
    return { valid, after, expired, seen }
  } finally {
    await context.close()
    await server.close()
    await django.close()
  }
}

/**
 * Benchmark 2: `requests` concurrent requests at the moment the access token
 * expires, against the same burst with a valid token. Each round has its own
 * server, browser context and session.
 */
async function measureExpiry(browser: Browser, interceptors: string, requests: number, rounds: number): Promise<ExpiryResult[]> {
  const samples = new Map(EXPIRY_CONTENDERS.map((c) => [c, { server: [] as number[], refresh: [] as number[], failed: [] as number[], expired: [] as number[], valid: [] as number[], extra: [] as number[] }]))
  for (let round = 0; round < rounds; round++) {
    for (const contender of EXPIRY_CONTENDERS) {
      if (contender === SEED) {
        addSample(samples.get(contender)!, await seedRound(browser, interceptors, requests, round))
        continue
      }
      if (contender === SIMPLEJWT) {
        addSample(samples.get(contender)!, await simpleJwtRound(browser, requests, round))
        continue
      }
      const kind: Kind = contender.startsWith('sw-token-proxy') ? 'proxy' : (contender as InterceptorKind)
      const knownExpiry = contender === 'sw-token-proxy, B10 on'
      const sample = samples.get(contender)!
      await withServer(browser, interceptors, async (server, open) => {
        const page = await open()
        await openTab(page, server, kind)
        // The floor: a session whose token is valid, warmed up first.
        const { accessToken, refreshToken } = server.auth.login('bench')
        if (kind === 'proxy') await page.evaluate((t) => window.tokenProxy.setTokens(t), { accessToken, refreshToken })
        else await page.evaluate((t) => window.bench.setTokens(t), { accessToken, refreshToken })
        await burst(page, kind, requests, `warm${round}`)
        const valid = await burst(page, kind, requests, `valid${round}`)
        // A new session whose access token the server has just let expire.
        await signIn(page, server, kind, knownExpiry)
        if (knownExpiry) await wait(1_000)
        server.auth.expireAccessTokens()
        const from = server.requests.length
        const expired = await burst(page, kind, requests, `expired${round}`)
        const seen = apiRequestsSince(server, from)
        // A second floor, with the refreshed token: the first burst of a page runs slower than
        // later ones, so a floor taken only before the expired burst would flatter it.
        const after = await burst(page, kind, requests, `after${round}`)
        if (valid.failed || after.failed) throw new Error(`${contender}: a burst with a valid token failed`)
        addSample(sample, { valid, after, expired, seen })
      })
    }
  }
  return EXPIRY_CONTENDERS.map((contender) => {
    const s = samples.get(contender)!
    return {
      contender,
      serverRequests: summarize(s.server),
      refreshCalls: summarize(s.refresh),
      failed: summarize(s.failed),
      expiredTotal: summarize(s.expired),
      validTotal: summarize(s.valid),
      extra: summarize(s.extra),
    }
  })
}

/** One refresh round trip from a page with no worker, the yardstick of benchmark 2's target (ms per call). */
async function measureRefreshTrip(browser: Browser, interceptors: string, calls: number): Promise<Summary> {
  return withServer(browser, interceptors, async (server, open) => {
    const page = await open()
    await page.goto(`${server.url}/console?manual`)
    const times: number[] = []
    for (let i = 0; i < calls + 1; i++) {
      const { refreshToken } = server.auth.login('bench')
      const ms = await page.evaluate(async (token) => {
        const started = performance.now()
        const response = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken: token }) })
        await response.json()
        return performance.now() - started
      }, refreshToken)
      if (i > 0) times.push(ms) // the first opens the connection
    }
    return summarize(times)
  })
}

/**
 * Benchmark 3: 1, 2, 4, 8 tabs of one origin, `perTab` requests each, all at
 * the moment the server lets the access token expire; the server rotates
 * refresh tokens and ends the session when a spent one comes back.
 * Every contender learns of the expiry from the 401s.
 */
async function measureTabs(browser: Browser, interceptors: string, perTab: number, rounds: number): Promise<TabsResult[]> {
  const results: TabsResult[] = []
  for (const tabs of [1, 2, 4, 8]) {
    for (const contender of TAB_CONTENDERS) {
      const kind: Kind = contender === 'sw-token-proxy' ? 'proxy' : contender
      const refresh: number[] = []
      const reuse: number[] = []
      const logouts: number[] = []
      const failed: number[] = []
      for (let round = 0; round < rounds; round++) {
        await withServer(browser, interceptors, async (server, open) => {
          const pages: Page[] = []
          for (let i = 0; i < tabs; i++) {
            const page = await open()
            await openTab(page, server, kind)
            pages.push(page)
          }
          await signIn(pages[0]!, server, kind, false)
          for (const [i, page] of pages.entries()) await burst(page, kind, 2, `warm${i}`)
          server.auth.expireAccessTokens()
          const bursts = await Promise.all(pages.map((page, i) => burst(page, kind, perTab, `tab${i}`)))
          refresh.push(server.requestsTo('/api/auth/refresh').length)
          reuse.push(server.auth.stats.reuseDetections)
          logouts.push((await Promise.all(pages.map((page) => logoutsOf(page, kind)))).reduce((a, b) => a + b, 0))
          failed.push(bursts.reduce((sum, b) => sum + b.failed, 0))
        })
      }
      results.push({ contender, tabs, refreshCalls: summarize(refresh), reuseDetections: summarize(reuse), logouts: summarize(logouts), failed: summarize(failed) })
    }
  }
  return results
}

export interface ExpiryBenchmarks {
  expiry: ExpiryResult[]
  refreshTrip: Summary
  tabs: TabsResult[]
}

export async function measureExpiryBenchmarks(browser: Browser, { requests = 100, perTab = 25, rounds = 5 } = {}): Promise<ExpiryBenchmarks> {
  const { file, dispose } = await buildInterceptors()
  try {
    const refreshTrip = await measureRefreshTrip(browser, file, 20)
    const expiry = await measureExpiry(browser, file, requests, rounds)
    const tabs = await measureTabs(browser, file, perTab, rounds)
    return { expiry, refreshTrip, tabs }
  } finally {
    await dispose()
  }
}
