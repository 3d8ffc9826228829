import { expect, test } from './fixtures.js'

test.describe('B15 abort', () => {
  test('a proxy.http request aborted while it waits for the refresh is never sent again; the refresh goes on for the others', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    const { accessToken: old } = await login(page)
    server.auth.expireAccessTokens()
    server.faults.refreshDelayMs = 1_000
    const outcomes = await page.evaluate(async () => {
      const http = window.tokenProxy.http
      const controller = new AbortController()
      const victim = http.get('/api/me?victim', { signal: controller.signal }).then((r) => r.status, (e: Error) => e.name)
      const others = [0, 1, 2].map((i) => http.get(`/api/me?other=${i}`).then((r) => r.status))
      setTimeout(() => controller.abort(), 400)
      return { victim: await victim, others: await Promise.all(others) }
    })
    expect(outcomes).toEqual({ victim: 'CanceledError', others: [200, 200, 200] })
    await page.waitForTimeout(300)
    const victim = server.requestsTo('/api/me').filter((r) => r.search === '?victim')
    // Sent once with the old token before the refresh; never replayed.
    expect(victim.map((r) => [r.status, r.authorization])).toEqual([[401, `Bearer ${old}`]])
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    // The id header is for the worker only: the server never sees it.
    expect(server.requests.some((r) => 'x-token-proxy-request' in r.headers)).toBe(false)
  })

  test('a proxy.http request aborted while queued behind a refresh is not sent at all', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    await login(page)
    server.auth.expireAccessTokens()
    server.faults.refreshDelayMs = 1_000
    const outcomes = await page.evaluate(async () => {
      const http = window.tokenProxy.http
      const first = http.get('/api/me?first').then((r) => r.status)
      // Arrives while the refresh runs, so the worker holds it back.
      await new Promise((resolve) => setTimeout(resolve, 300))
      const controller = new AbortController()
      const queued = http.get('/api/me?queued', { signal: controller.signal }).then((r) => r.status, (e: Error) => e.name)
      setTimeout(() => controller.abort(), 200)
      return { first: await first, queued: await queued }
    })
    expect(outcomes).toEqual({ first: 200, queued: 'CanceledError' })
    await page.waitForTimeout(300)
    expect(server.requestsTo('/api/me').filter((r) => r.search === '?queued')).toEqual([])
  })

  test('raw fetch: Chromium does not tell the worker about an abort, so the replay still goes out', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    await login(page)
    server.auth.expireAccessTokens()
    server.faults.refreshDelayMs = 1_000
    const outcome = await page.evaluate(async () => {
      const controller = new AbortController()
      const call = fetch('/api/me?raw', { signal: controller.signal }).then((r) => r.status, (e: Error) => e.name)
      setTimeout(() => controller.abort(), 400)
      return call
    })
    expect(outcome).toBe('AbortError')
    // The page saw its abort at once; the worker, not knowing, replays after the refresh.
    await expect.poll(() => server.requestsTo('/api/me').filter((r) => r.search === '?raw').map((r) => r.status)).toEqual([401, 200])
  })
})
