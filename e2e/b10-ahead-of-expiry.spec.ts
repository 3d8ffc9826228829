import { startDemoServer } from '../demo/server/app.js'
import { expect, loginThroughPage, storedTokens, test, workerQuery } from './fixtures.js'

test.describe('B10 ahead of expiry', () => {
  test('steady state: 200 requests over 20 s with 5 s tokens and a 2 s leeway, zero 401s, one refresh per token', async ({ page, server, openConsole, login }) => {
    test.setTimeout(60_000)
    server.auth.accessTtlMs = 5_000
    await openConsole(page, workerQuery({ expiryLeeway: 2_000 }))
    await login(page)
    const statuses = await page.evaluate(async () => {
      const calls: Promise<number>[] = []
      for (let i = 0; i < 200; i++) {
        const url = `/api/me?i=${i}`
        const call = i % 2 ? fetch(url).then((r) => r.status) : window.tokenProxy.http.get(url).then((r) => r.status)
        calls.push(call)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      return Promise.all(calls)
    })

    expect(statuses).toEqual(Array(200).fill(200))
    const records = server.requestsTo('/api/me')
    expect(records.filter((r) => r.status === 401)).toEqual([])
    expect(records).toHaveLength(200)
    // Each token is refreshed once, about 3 s into its 5 s life: 20 s hold 6 or 7 of them.
    const refreshes = server.requestsTo('/api/auth/refresh')
    expect(refreshes.every((r) => r.status === 200)).toBe(true)
    expect(refreshes.length).toBeGreaterThanOrEqual(5)
    expect(refreshes.length).toBeLessThanOrEqual(8)
    expect(new Set(records.map((r) => r.authorization)).size).toBe(refreshes.length + 1)
    expect(server.auth.stats.reuseDetections).toBe(0)
    const events = await page.evaluate(() => window.tokenProxyEvents)
    expect(events).toEqual(refreshes.map(() => ({ type: 'refresh', reason: 'expiry' })))
  })

  test("the expiry is read from the JWT's exp when setTokens gives none", async ({ page, server, openConsole, login }) => {
    server.auth.accessTtlMs = 4_000
    await openConsole(page, workerQuery({ expiryLeeway: 1_500 }))
    const loggedIn = Date.now()
    const { accessToken } = await login(page, { withExpiry: false })
    // The worker takes the lifetime from exp - iat (4 s) and refreshes in its last 1.5 s;
    // 3 s after login the token is inside that window and still valid at the server.
    await page.waitForTimeout(loggedIn + 3_000 - Date.now())
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(server.requestsTo('/api/me').map((r) => r.status)).toEqual([200])
    expect(server.requestsTo('/api/me')[0]!.authorization).not.toBe(`Bearer ${accessToken}`)
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'refresh', reason: 'expiry' }])
  })

  test('a token far from expiry is not refreshed', async ({ page, server, openConsole, login }) => {
    await openConsole(page, workerQuery({ expiryLeeway: 2_000 }))
    await login(page)
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(0)
  })

  test("the seed's protocol (opaque tokens, refresh answers with no expiry): each refreshed token is assumed to live as long as the last, so none meets a 401", async ({ page }) => {
    const server = await startDemoServer({ protocol: 'seed', accessTtlMs: 2_000 })
    try {
      await page.goto(`${server.url}/console?stay&${workerQuery({ expiryLeeway: 500 })}`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      expect(await loginThroughPage(page)).toEqual({ status: 200, proxy: null, body: { user: 'ada' } })
      // Traffic spread over three lifetimes of the token.
      const statuses = await page.evaluate(async ({ count, gap }) => {
        const out: number[] = []
        for (let i = 0; i < count; i++) {
          out.push((await fetch(`/api/me?i=${i}`)).status)
          await new Promise((resolve) => setTimeout(resolve, gap))
        }
        return out
      }, { count: 40, gap: 150 })
      expect(statuses).toEqual(Array(40).fill(200))
      expect(server.requestsTo('/api/me').filter((r) => r.status === 401)).toEqual([])
      const refreshes = server.requestsTo('/api/auth/refresh')
      expect(refreshes.length).toBeGreaterThanOrEqual(2)
      expect(refreshes.every((r) => r.status === 200)).toBe(true)
      expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual(refreshes.map(() => ({ type: 'refresh', reason: 'expiry' })))
      // The refreshed token's expiry is the assumed one: the login answer's lifetime again,
      // to the millisecond, however many refreshes came between.
      const stored = (await storedTokens(page)) as { expiresAt: number; obtainedAt: number }
      expect(stored.expiresAt - stored.obtainedAt).toBe(2_000)
    } finally {
      await server.close()
    }
  })
})
