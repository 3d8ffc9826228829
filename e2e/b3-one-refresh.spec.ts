import { expect, test } from './fixtures.js'

test.describe('B3 one refresh', () => {
  test('50 concurrent requests across 2 tabs at expiry cause exactly one refresh', async ({ page, context, server, openConsole, login }) => {
    await openConsole(page)
    const second = await openConsole(await context.newPage())
    const { accessToken: old } = await login(page)
    server.auth.expireAccessTokens()
    // A slow refresh, so that requests also arrive while it runs.
    server.faults.refreshDelayMs = 300

    const burst = (tab: typeof page) =>
      tab.evaluate(async () => {
        const http = window.tokenProxy.http
        // Distinct URLs: identical GETs would be sent one at a time by the HTTP cache lock.
        const calls = Array.from({ length: 25 }, (_, i) =>
          i % 2 ? fetch(`/api/me?i=${i}`).then((r) => r.status) : http.get(`/api/me?i=${i}`).then((r) => r.status),
        )
        return Promise.all(calls)
      })
    const [one, two] = await Promise.all([burst(page), burst(second)])

    expect([...one, ...two]).toEqual(Array(50).fill(200))
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    expect(server.auth.stats.reuseDetections).toBe(0)
    const records = server.requestsTo('/api/me')
    const answered = records.filter((r) => r.status === 200)
    const rejected = records.filter((r) => r.status === 401)
    // Every request answered once, with one new token; every 401 was for the old one.
    expect(answered).toHaveLength(50)
    expect(new Set(answered.map((r) => r.authorization)).size).toBe(1)
    expect(answered[0]!.authorization).not.toBe(`Bearer ${old}`)
    expect(rejected.every((r) => r.authorization === `Bearer ${old}`)).toBe(true)
    expect(records).toHaveLength(50 + rejected.length)
    // Both tabs heard about the one refresh.
    for (const tab of [page, second]) {
      await expect.poll(() => tab.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'refresh', reason: 'unauthorized' }])
    }
  })
})
