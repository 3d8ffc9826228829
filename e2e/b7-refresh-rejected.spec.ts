import { expect, storedTokens, test } from './fixtures.js'

test.describe('B7 refresh rejected', () => {
  test('every tab goes to the login page, tokens are gone, every queued request settles', async ({ page, context, server, openConsole, login }) => {
    // This tab stays (it records LOGOUT instead of redirecting) to watch its requests settle.
    await page.goto(`${server.url}/console?stay`)
    await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
    const others = [await openConsole(await context.newPage()), await openConsole(await context.newPage())]
    await login(page)
    expect(await storedTokens(page)).toMatchObject({ accessToken: expect.any(String) })
    server.auth.revokeSessions()
    server.faults.refreshDelayMs = 200

    const statuses = await page.evaluate(() =>
      Promise.all(Array.from({ length: 10 }, () => fetch('/api/me').then((r) => r.status))),
    )
    expect(statuses).toEqual(Array(10).fill(401))
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'refresh-rejected' }])
    for (const tab of others) await expect(tab).toHaveURL(`${server.url}/login?next=%2Fconsole`)
    expect(await storedTokens(page)).toBeUndefined()

    // Memory is cleared too: the next request goes out without a token.
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401)
    expect(server.requestsTo('/api/me').at(-1)!.authorization).toBeNull()
  })
})
