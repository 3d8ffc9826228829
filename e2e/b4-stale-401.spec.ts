import { expect, test } from './fixtures.js'

test.describe('B4 stale 401', () => {
  test('a 401 for a request sent with an older token is replayed with the current one, no refresh', async ({ page, server, openConsole, login }) => {
    await openConsole()
    const { accessToken: old } = await login(page)
    // A slow request leaves with the old token; the server checks it only when it answers.
    await page.evaluate(() => {
      ;(window as unknown as { slow: Promise<number> }).slow = fetch('/api/slow?ms=1500').then((r) => r.status)
    })
    await expect.poll(() => server.arrivals.includes('/api/slow')).toBe(true)
    server.auth.expireAccessTokens()
    // Meanwhile another request gets a 401 and the worker refreshes.
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    const current = server.requestsTo('/api/me').at(-1)!.authorization

    expect(await page.evaluate(() => (window as unknown as { slow: Promise<number> }).slow)).toBe(200)
    expect(server.requestsTo('/api/slow').map((r) => [r.status, r.authorization])).toEqual([
      [401, `Bearer ${old}`],
      [200, current],
    ])
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
  })
})
