import { resolve } from 'node:path'
import type { Browser, Page } from '@playwright/test'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { summarize, type Summary } from './stats.js'

/**
 * The ways a page's API request can travel. With DPoP the demo server checks
 * a proof on every request (its `jose` verification is in the end-to-end time).
 */
export const CONTENDERS = ['no worker', 'bare worker', 'sw-token-proxy', 'sw-token-proxy + DPoP'] as const
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
}

/** One origin per contender, so workers and storage never mix. `files` are served too (by URL path). */
export async function setUp(browser: Browser, contender: Contender, files: Record<string, string> = {}): Promise<Setup> {
  const dpop = contender === 'sw-token-proxy + DPoP'
  const server = await startDemoServer({ accessTtlMs: 3_600_000, dpop, files: { '/bare-sw.js': BARE_WORKER, ...files } })
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
    if (contender === 'bare worker') {
      await page.evaluate(async () => {
        const changed = new Promise((done) => navigator.serviceWorker.addEventListener('controllerchange', done, { once: true }))
        await navigator.serviceWorker.register('/bare-sw.js')
        await changed
      })
    }
  }
  return { server, page, withHeader: contender === 'no worker' || contender === 'bare worker', token: accessToken }
}

/** Runs `count` requests in the page, one after another or all at once; returns per-request ms and the total. */
export function run(setup: Setup, count: number, concurrent: boolean, round: number) {
  return setup.page.evaluate(
    async ({ count, concurrent, round, header }) => {
      const init: RequestInit = header ? { headers: { Authorization: header } } : {}
      // Distinct URLs: the HTTP cache lock would send identical GETs one at a time.
      const one = async (i: number) => {
        const started = performance.now()
        const response = await fetch(`/api/me?r=${round}&i=${i}`, init)
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
    { count, concurrent, round, header: setup.withHeader ? `Bearer ${setup.token}` : null },
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
