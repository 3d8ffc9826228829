import { resolve } from 'node:path'
import type { Browser, Page } from '@playwright/test'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { summarize, type Summary } from './stats.js'

/**
 * The ways a page's API request can travel. With DPoP the demo server checks
 * a proof on every request (its `jose` verification is in the end-to-end time).
 * DPoP's floor is the way libraries without a worker do it (auth0-spa-js
 * `useDpop`, oidc-client-ts `dpop`): the page signs the same proof with a
 * non-extractable WebCrypto key of its own, with no worker and through the
 * bare worker.
 */
export const CONTENDERS = [
  'no worker',
  'bare worker',
  'sw-token-proxy',
  'sw-token-proxy + DPoP',
  'DPoP signed in the page',
  'DPoP signed in the page, bare worker',
] as const

declare global {
  interface Window {
    /** Set up by `setUp` for the page-signed contenders: one API request with the page's own proof. */
    pageSignedFetch?: (url: string) => Promise<Response>
  }
}
export type Contender = (typeof CONTENDERS)[number]

export interface OverheadResult {
  contender: Contender
  /** Per-request latency of sequential requests, pooled over rounds (ms). */
  sequential: Summary
  /** The median sequential latency of each round (ms): how much the rounds disagree. */
  sequentialRounds: Summary
  /** Time for all concurrent requests of a round to settle (ms), one value per round. */
  concurrentTotal: Summary
}

const BARE_WORKER = resolve(import.meta.dirname, 'bare-sw.js')

export interface Setup {
  server: DemoServer
  page: Page
  /** Whether the page must write the Authorization header itself (no token proxy). */
  withHeader: boolean
  token: string
  /** Whether the page signs a DPoP proof for each request itself. */
  pageSigned: boolean
}

/**
 * What a page does for DPoP without a worker: a non-extractable P-256 key
 * made with WebCrypto, a login with a proof (which binds the token to it),
 * and for each request a new proof (`htm`, `htu`, `iat`, `jti`, `ath`, the
 * server's latest nonce), once more with the server's nonce when it asks.
 * Runs in the page; leaves `window.pageSignedFetch`.
 */
async function signInThePage(): Promise<void> {
  const text = (value: string) => new TextEncoder().encode(value)
  const base64url = (bytes: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey)
  const header = base64url(text(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })))
  let nonce: string | undefined
  let token: string | undefined
  const proof = async (method: string, url: string) => {
    const target = new URL(url, location.href)
    const claims: Record<string, unknown> = { htm: method, htu: target.origin + target.pathname, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID() }
    if (nonce) claims.nonce = nonce
    if (token) claims.ath = base64url(await crypto.subtle.digest('SHA-256', text(token)))
    const input = `${header}.${base64url(text(JSON.stringify(claims)))}`
    return `${input}.${base64url(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, text(input)))}`
  }
  const send = async (url: string, init: RequestInit = {}): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const sentWith = nonce
      const headers = new Headers(init.headers)
      headers.set('DPoP', await proof(init.method ?? 'GET', url))
      if (token) headers.set('Authorization', `DPoP ${token}`)
      const response = await fetch(url, { ...init, headers })
      nonce = response.headers.get('DPoP-Nonce') ?? nonce
      // The server's request for its nonce (RFC 9449 §8, §9): once more, with a new proof.
      if (attempt > 0 || (response.status !== 400 && response.status !== 401) || nonce === sentWith) return response
      await response.arrayBuffer()
    }
  }
  const login = await send('/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'demo' }) })
  const answer = (await login.json()) as { accessToken?: string; token_type?: string }
  if (login.status !== 200 || answer.token_type !== 'DPoP') throw new Error(`the page's DPoP login answered ${login.status} ${JSON.stringify(answer)}`)
  token = answer.accessToken
  window.pageSignedFetch = (url) => send(url)
}

/** One origin per contender, so workers and storage never mix. `files` are served too (by URL path). */
export async function setUp(browser: Browser, contender: Contender, files: Record<string, string> = {}): Promise<Setup> {
  const pageSigned = contender.startsWith('DPoP signed in the page')
  const dpop = contender === 'sw-token-proxy + DPoP'
  const server = await startDemoServer({ accessTtlMs: 3_600_000, dpop: dpop || pageSigned, files: { '/bare-sw.js': BARE_WORKER, ...files } })
  const context = await browser.newContext()
  // tsx names functions with an `__name` helper that the page lacks; the functions
  // passed to page.evaluate are sent as source text, helper calls included.
  // (The WebKit layer has no init scripts: it defines the helper beside each function it runs.)
  if (browser.browserType().name() !== 'webkit') await context.addInitScript('globalThis.__name = (f) => f')
  const page = await context.newPage()
  const { accessToken } = server.auth.login('bench')
  if (contender === 'sw-token-proxy') {
    await page.goto(`${server.url}/console`)
    await page.waitForFunction(() => document.getElementById('state')?.dataset.ready === 'true')
    await page.evaluate((t) => window.tokenProxy.setTokens({ accessToken: t }), accessToken)
  } else if (dpop) {
    // Bound tokens come from a login the worker signed: through the worker, as an app logs in.
    await page.goto(`${server.url}/console?worker=${encodeURIComponent(JSON.stringify({ dpop: true }))}`)
    await page.waitForFunction(() => document.getElementById('state')?.dataset.ready === 'true')
    const status = await page.evaluate(async () => {
      const body = JSON.stringify({ username: 'bench', password: 'demo' })
      return (await fetch('/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status
    })
    if (status !== 200) throw new Error(`the DPoP login answered ${status}`)
  } else {
    await page.goto(`${server.url}/console?manual`)
    if (contender === 'bare worker' || contender === 'DPoP signed in the page, bare worker') {
      await page.evaluate(async () => {
        const changed = new Promise((done) => navigator.serviceWorker.addEventListener('controllerchange', done, { once: true }))
        await navigator.serviceWorker.register('/bare-sw.js')
        await changed
      })
    }
    if (pageSigned) await page.evaluate(signInThePage)
  }
  return { server, page, withHeader: contender === 'no worker' || contender === 'bare worker', token: accessToken, pageSigned }
}

/** Runs `count` requests in the page, one after another or all at once; returns per-request ms and the total. */
export function run(setup: Setup, count: number, concurrent: boolean, round: number) {
  return setup.page.evaluate(
    async ({ count, concurrent, round, header, pageSigned }) => {
      const init: RequestInit = header ? { headers: { Authorization: header } } : {}
      // Distinct URLs: the HTTP cache lock would send identical GETs one at a time.
      const one = async (i: number) => {
        const started = performance.now()
        const url = `/api/me?r=${round}&i=${i}`
        const response = await (pageSigned ? window.pageSignedFetch!(url) : fetch(url, init))
        if (response.status !== 200) throw new Error(`status ${response.status}`)
        await response.arrayBuffer()
        return performance.now() - started
      }
      const started = performance.now()
      const latencies: number[] = []
      if (concurrent) latencies.push(...(await Promise.all(Array.from({ length: count }, (_, i) => one(i)))))
      else for (let i = 0; i < count; i++) latencies.push(await one(i))
      return { latencies, total: performance.now() - started }
    },
    { count, concurrent, round, header: setup.withHeader ? `Bearer ${setup.token}` : null, pageSigned: setup.pageSigned },
  )
}

/**
 * Benchmark 1: the same small authenticated GET, 1,000 sequential and 1,000
 * concurrent, with no worker, a bare pass-through worker (the floor for any
 * worker design), this proxy, and this proxy signing a DPoP proof for each. Rounds interleave the contenders so that
 * drift in the machine hits all three alike.
 */
export async function measureOverhead(browser: Browser, { requests = 1_000, rounds = 5 } = {}): Promise<OverheadResult[]> {
  const setups = new Map<Contender, Setup>()
  for (const contender of CONTENDERS) setups.set(contender, await setUp(browser, contender))
  const sequential = new Map<Contender, number[]>(CONTENDERS.map((c) => [c, []]))
  const roundMedians = new Map<Contender, number[]>(CONTENDERS.map((c) => [c, []]))
  const concurrent = new Map<Contender, number[]>(CONTENDERS.map((c) => [c, []]))
  // A warm-up round per contender, not counted: JIT, connections, the worker's first IndexedDB read.
  for (const contender of CONTENDERS) await run(setups.get(contender)!, 100, false, -1)
  for (let round = 0; round < rounds; round++) {
    for (const contender of CONTENDERS) {
      const setup = setups.get(contender)!
      const { latencies } = await run(setup, requests, false, round)
      sequential.get(contender)!.push(...latencies)
      roundMedians.get(contender)!.push(summarize(latencies).median)
      concurrent.get(contender)!.push((await run(setup, requests, true, round)).total)
    }
  }
  for (const setup of setups.values()) {
    await setup.page.context().close()
    await setup.server.close()
  }
  return CONTENDERS.map((contender) => ({
    contender,
    sequential: summarize(sequential.get(contender)!),
    sequentialRounds: summarize(roundMedians.get(contender)!),
    concurrentTotal: summarize(concurrent.get(contender)!),
  }))
}
