import type { Browser } from '@playwright/test'
import { workerSession } from './cdp.js'
import { setUp, type Contender } from './overhead.js'

export interface MemorySample {
  /** V8 heap in use (bytes), after a garbage collection. */
  heap: number
  /** ArrayBuffer backing stores held by the worker (bytes): where a buffered body would show. */
  buffers: number
}

export interface MemoryResult {
  contender: Contender
  idle: MemorySample
  /** After the first tenth of the load: growth from here on would be a leak. */
  afterTenth: MemorySample
  /** After `requests` requests and, for the proxy, `refreshes` refreshes. */
  afterLoad: MemorySample
  /** While a 20 MB upload's answer is pending. */
  uploadInFlight: MemorySample
  refreshes: number
}

const UPLOAD_BYTES = 20 * 1024 * 1024

/**
 * Benchmark 5: the worker's memory, the bare pass-through worker beside the
 * proxy: idle, after `requests` requests in bursts of 100 (for the proxy, the
 * server lets the access token expire before each burst: one refresh each),
 * and while a 20 MB upload waits for its answer (B5: a body over
 * `maxReplayBytes` is not kept for a replay).
 */
export async function measureMemory(browser: Browser, { requests = 10_000 } = {}): Promise<MemoryResult[]> {
  const results: MemoryResult[] = []
  for (const contender of ['bare worker', 'sw-token-proxy'] as const) {
    const setup = await setUp(browser, contender)
    const { server, page } = setup
    try {
      const header = setup.withHeader ? `Bearer ${setup.token}` : null
      if (!setup.withHeader) {
        // The proxy refreshes in this benchmark: it needs a refresh token.
        const { accessToken, refreshToken } = server.auth.login('bench')
        await page.evaluate((t) => window.tokenProxy.setTokens(t), { accessToken, refreshToken })
      }
      // Make sure the worker runs (the first request starts it) before attaching to it.
      await page.evaluate(() => fetch('/api/me?start').then((r) => r.arrayBuffer()))
      const worker = await workerSession(browser, server.url)
      const idle = await worker.sample()
      let afterTenth = idle
      for (let burst = 0; burst < requests / 100; burst++) {
        if (burst === requests / 1_000) afterTenth = await worker.sample()
        if (contender === 'sw-token-proxy') server.auth.expireAccessTokens()
        await page.evaluate(
          async ({ burst, header }) => {
            const init: RequestInit = header ? { headers: { Authorization: header } } : {}
            const statuses = await Promise.all(Array.from({ length: 100 }, (_, i) => fetch(`/api/me?m=${burst}&i=${i}`, init).then((r) => (void r.arrayBuffer(), r.status))))
            if (statuses.some((s) => s !== 200)) throw new Error(`burst ${burst}: statuses ${[...new Set(statuses)].join(', ')}`)
          },
          { burst, header },
        )
      }
      const afterLoad = await worker.sample()
      const refreshes = server.requestsTo('/api/auth/refresh').length
      const arrived = server.arrivals.length
      const upload = page.evaluate(
        ({ bytes, header }) =>
          fetch('/api/slow?ms=3000', { method: 'POST', body: new Blob([new Uint8Array(bytes)]), headers: header ? { Authorization: header } : {} }).then((r) => r.status),
        { bytes: UPLOAD_BYTES, header },
      )
      // Measure once the server has the request and holds its answer back.
      while (!server.arrivals.slice(arrived).includes('/api/slow')) await new Promise((done) => setTimeout(done, 20))
      await new Promise((done) => setTimeout(done, 500))
      const uploadInFlight = await worker.sample()
      const status = await upload
      if (status !== 200) throw new Error(`the 20 MB upload got ${status}`)
      await worker.detach()
      results.push({ contender, idle, afterTenth, afterLoad, uploadInFlight, refreshes })
    } finally {
      await page.context().close()
      await server.close()
    }
  }
  return results
}
