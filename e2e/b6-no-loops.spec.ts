import { expect, test } from './fixtures.js'

test.describe('B6 no loops', () => {
  test('a 401 after the replay goes to the page as it is', async ({ page, server, openConsole, login }) => {
    await openConsole()
    const { accessToken: old } = await login(page)
    server.faults.rejectAllTokens = true
    const answer = await page.evaluate(async () => {
      const response = await fetch('/api/me')
      return { status: response.status, body: await response.json() }
    })
    expect(answer).toEqual({ status: 401, body: { error: 'invalid_token' } })
    const attempts = server.requestsTo('/api/me')
    expect(attempts).toHaveLength(2)
    expect(attempts[0]!.authorization).toBe(`Bearer ${old}`)
    expect(attempts[1]!.authorization).not.toBe(`Bearer ${old}`)
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    // The refresh itself succeeded: the session is not ended by a 401 from the API.
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'refresh', reason: 'unauthorized' }])
  })
})
