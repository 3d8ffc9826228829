import { REFRESH_FAILURES } from '../demo/server/app.js'
import { expect, storedTokens, test, workerQuery } from './fixtures.js'

test.describe('B8 refresh unavailable', () => {
  for (const failure of REFRESH_FAILURES) {
    test(`refresh endpoint fails with '${failure}': tokens kept, no LOGOUT, requests settle with 503, the next request tries again`, async ({ page, context, server, openConsole, login }) => {
      // The refresh requests the worker makes, as the browser saw them: when a kept-alive
      // connection drops without an answer, Chromium itself resends the POST a few times.
      const refreshCalls: string[] = []
      context.on('request', (request) => {
        if (new URL(request.url()).pathname === '/api/auth/refresh') refreshCalls.push(request.method())
      })
      await openConsole(page, `stay&${workerQuery({ refreshTimeout: 1_000 })}`)
      const tokens = await login(page)
      server.auth.expireAccessTokens()
      server.faults.refreshFailure = failure
      // Slow enough that all three are sent before the refresh fails: a request sent
      // after a failure tries again, by design.
      server.faults.refreshDelayMs = 300

      const answers = await page.evaluate(() =>
        Promise.all(
          [0, 1, 2].map(async (i) => {
            const response = await fetch(`/api/me?i=${i}`)
            return { status: response.status, proxy: response.headers.get('X-Token-Proxy'), body: await response.json() }
          }),
        ),
      )
      for (const answer of answers) {
        expect(answer).toEqual({
          status: 503,
          proxy: 'refresh-unavailable',
          body: { error: 'token_refresh_unavailable', reason: expect.any(String) },
        })
      }
      // One refresh for the three.
      expect(refreshCalls).toEqual(['POST'])
      expect(await storedTokens(page)).toMatchObject({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken })
      expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([])

      // The endpoint is back: the next request refreshes and goes through.
      server.faults.refreshFailure = null
      expect(await page.evaluate(async () => (await fetch('/api/me?after')).status)).toBe(200)
      expect(server.requestsTo('/api/auth/refresh').map((r) => r.status).at(-1)).toBe(200)
      expect(server.auth.stats.reuseDetections).toBe(0)
    })
  }
})
