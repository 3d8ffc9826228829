import { REFRESH_FAILURES, type DemoServer } from '../demo/server/app.js'
import { can, lacks } from './engines/limits.js'
import { expect, storedTokens, test, workerQuery } from './fixtures.js'

/**
 * The refresh requests the worker made: as the browser saw them where
 * Playwright reports a worker's requests, else as the server received them.
 */
function refreshCallsSeen(browserSaw: string[], server: DemoServer): string[] {
  if (lacks('workerNetwork')) return server.arrivals.filter((path) => path === '/api/auth/refresh').map(() => 'POST')
  return browserSaw
}

test.describe('B8 refresh unavailable', () => {
  for (const failure of REFRESH_FAILURES) {
    test(`refresh endpoint fails with '${failure}': tokens kept, no LOGOUT, requests settle with 503, the next request tries again`, async ({ page, context, server, openConsole, login }) => {
      // The refresh requests the worker makes, as the browser saw them: when a kept-alive
      // connection drops without an answer, Chromium itself resends the POST a few times.
      const refreshCalls: string[] = []
      if (!lacks('workerNetwork')) {
        context.on('request', (request) => {
          if (new URL(request.url()).pathname === '/api/auth/refresh') refreshCalls.push(request.method())
        })
      }
      // Short only where the failure is the wait itself: a 503's second ask must start within it, and on a
      // loaded machine the first one (held until the burst is in) can take most of a second.
      await openConsole(page, `stay&${workerQuery({ refreshTimeout: failure === 'hang' ? 1_000 : 10_000 })}`)
      const tokens = await login(page)
      server.auth.expireAccessTokens()
      server.faults.refreshFailure = failure
      // The refresh fails only once all three were sent (their 401s arrived): a request sent
      // after a failure tries again, by design.
      const release = server.hold('/api/auth/refresh')
      const burst = page.evaluate(() =>
        Promise.all(
          [0, 1, 2].map(async (i) => {
            const response = await fetch(`/api/me?i=${i}`)
            return { status: response.status, proxy: response.headers.get('X-Token-Proxy'), body: await response.json() }
          }),
        ),
      )
      await server.arrival('/api/me', 3)
      release()
      const answers = await burst
      for (const answer of answers) {
        expect(answer).toEqual({
          status: 503,
          proxy: 'refresh-unavailable',
          body: { error: 'token_refresh_unavailable', reason: expect.any(String) },
        })
      }
      // One refresh for the three; a 503 is asked once more, within refreshTimeout.
      if (failure === 'network' && lacks('workerNetwork')) {
        // Counted at the server, a dropped connection shows the browser's own resends too (Firefox 153
        // resent the POST 3 times, as Chromium does): the worker's one request is not told apart here.
        expect(refreshCallsSeen(refreshCalls, server).length).toBeGreaterThanOrEqual(1)
        can('workerNetwork')
        // The browser's report of the worker's request can come after the answers (Firefox, over BiDi).
      } else await expect.poll(() => refreshCallsSeen(refreshCalls, server)).toEqual(failure === '503' ? ['POST', 'POST'] : ['POST'])
      // A redirecting refresh endpoint is not followed.
      expect(server.requestsTo('/moved')).toEqual([])
      expect(await storedTokens(page)).toMatchObject({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken })
      expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([])

      // The endpoint is back: the next request refreshes and goes through.
      server.faults.refreshFailure = null
      expect(await page.evaluate(async () => (await fetch('/api/me?after')).status)).toBe(200)
      expect(server.requestsTo('/api/auth/refresh').map((r) => r.status).at(-1)).toBe(200)
      expect(server.auth.stats.reuseDetections).toBe(0)
    })
  }

  test('a 503 from the refresh endpoint is asked once more: the requests get their answers, one refresh in flight, no logout', async ({ page, context, server, openConsole, login }) => {
    const refreshCalls: string[] = []
    if (!lacks('workerNetwork')) {
      context.on('request', (request) => {
        if (new URL(request.url()).pathname === '/api/auth/refresh') refreshCalls.push(request.method())
      })
    }
    await openConsole(page, 'stay')
    await login(page)
    server.auth.expireAccessTokens()
    // The first refresh call is answered 503, the second as usual.
    server.faults.refreshFailureFor = (call) => (call === 1 ? '503' : null)
    const statuses = await page.evaluate(() => Promise.all([0, 1, 2].map(async (i) => (await fetch(`/api/me?i=${i}`)).status)))
    expect(statuses).toEqual([200, 200, 200])
    expect(refreshCallsSeen(refreshCalls, server)).toEqual(['POST', 'POST'])
    expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([503, 200])
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'refresh', reason: 'unauthorized' }])
    expect(server.auth.stats.reuseDetections).toBe(0)
  })
})
