import { startDemoServer } from '../demo/server/app.js'
import { expect, loginThroughPage, storedTokens, test, workerQuery } from './fixtures.js'
import { needs } from './engines/limits.js'

test.describe('B13 vault', () => {
  test('the worker keeps the tokens of the login answer; the page gets the rest', async ({ page, server, openConsole }) => {
    await openConsole(page)
    const answer = await loginThroughPage(page)
    expect(answer).toEqual({ status: 200, proxy: null, body: { user: 'ada' } })
    const stored = (await storedTokens(page)) as { accessToken: string; refreshToken: string; expiresAt: number }
    expect(stored.accessToken).toMatch(/^ey/)
    expect(stored.refreshToken).toEqual(expect.any(String))
    expect(stored.expiresAt).toBeGreaterThan(Date.now())
    expect(server.requestsTo('/api/auth/login')[0]!.authorization).toBeNull()
    // And the stored tokens are what API requests carry.
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(server.requestsTo('/api/me')[0]!.authorization).toBe(`Bearer ${stored.accessToken}`)
  })

  test('a failed login passes through untouched', async ({ page, openConsole }) => {
    await openConsole(page)
    const answer = await page.evaluate(async () => {
      const response = await fetch('/api/auth/login', { method: 'POST', body: JSON.stringify({ username: 'ada', password: 'nope' }) })
      return { status: response.status, body: await response.json() }
    })
    expect(answer).toEqual({ status: 401, body: { error: 'invalid_credentials', message: "Any user name, password 'demo'." } })
    expect(await storedTokens(page)).toBeUndefined()
  })

  test('B13 no message type returns a token to the page', async ({ page, openConsole }) => {
    await openConsole(page)
    await loginThroughPage(page)
    const { accessToken, refreshToken } = (await storedTokens(page)) as { accessToken: string; refreshToken: string }
    const replies = await page.evaluate(async () => {
      const worker = navigator.serviceWorker.controller!
      const post = (message: unknown) => {
        const channel = new MessageChannel()
        const answer = new Promise<unknown>((resolve) => (channel.port1.onmessage = (event) => resolve(event.data)))
        worker.postMessage(message, [channel.port2])
        return answer
      }
      // The documented messages are answered: wait for that. The others are followed by a HELLO,
      // the sentinel: the worker reads messages in order and answers the way it answers a HELLO,
      // so once the HELLO is answered, an answer to the message before it would be here too.
      const ignored = async (message: unknown) => {
        let reply: unknown = 'no answer'
        void post(message).then((data) => (reply = data))
        await post({ tokenProxy: 1, type: 'HELLO' })
        return reply
      }
      return [
        await post({ tokenProxy: 1, type: 'HELLO' }),
        await post({ tokenProxy: 1, type: 'CLAIM' }),
        await ignored({ tokenProxy: 1, type: 'GET_TOKENS' }),
        await ignored({ tokenProxy: 1, type: 'READ' }),
        await post({ tokenProxy: 1, type: 'SET_TOKENS', tokens: 'give them to me' }),
        await ignored({ type: 'GET_TOKENS' }),
        await ignored('tokens?'),
      ]
    })
    const seen = JSON.stringify(replies)
    expect(seen).not.toContain(accessToken)
    expect(seen).not.toContain(refreshToken)
    expect(replies).toEqual([
      { tokenProxy: 1, type: 'RESULT', ok: true },
      { tokenProxy: 1, type: 'RESULT', ok: true },
      'no answer',
      'no answer',
      { tokenProxy: 1, type: 'RESULT', ok: false, version: 1, error: 'tokens must be an object', name: 'TokenProxyOptionsError' },
      'no answer',
      'no answer',
    ])
    // Nothing changed the session either.
    expect(await storedTokens(page)).toMatchObject({ accessToken, refreshToken })
  })
})

test.describe("refreshProtocol 'cookie'", () => {
  test('B13 the refresh credential is an HttpOnly cookie: never stored, never in script reach, and it refreshes', async ({ page }) => {
    needs('secureCookieOverHttp')
    const server = await startDemoServer({ accessTtlMs: 60_000, refreshMode: 'cookie' })
    try {
      await page.goto(`${server.url}/console?${workerQuery({ refreshProtocol: 'cookie' })}`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      expect(await loginThroughPage(page)).toEqual({ status: 200, proxy: null, body: { user: 'ada' } })
      const stored = (await storedTokens(page)) as Record<string, unknown>
      expect(Object.keys(stored).sort()).toEqual(['accessToken', 'binding', 'expiresAt', 'obtainedAt'])
      expect(await page.evaluate(() => document.cookie)).toBe('')
      const cookies = await page.context().cookies()
      expect(cookies.map(({ name, httpOnly, secure, sameSite, path }) => ({ name, httpOnly, secure, sameSite, path }))).toEqual([
        { name: 'refresh_token', httpOnly: true, secure: true, sameSite: 'Strict', path: '/api/auth' },
      ])

      server.auth.expireAccessTokens()
      expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
      const [refresh] = server.requestsTo('/api/auth/refresh')
      expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
      expect(refresh!.status).toBe(200)
      expect(refresh!.bodySha256).toBe('')
      expect(refresh!.headers.cookie).toMatch(/^refresh_token=/)
      expect(refresh!.authorization).toBeNull()
      expect(Object.keys((await storedTokens(page)) as object).sort()).toEqual(['accessToken', 'binding', 'expiresAt', 'obtainedAt'])
      // Rotation went through the cookie too: a second expiry refreshes again, no reuse.
      server.auth.expireAccessTokens()
      expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
      expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([200, 200])
      expect(server.auth.stats.reuseDetections).toBe(0)

      // A page that calls the refresh endpoint itself (the cookie goes along) gets no token either.
      const own = await page.evaluate(async () => {
        const response = await fetch('/api/auth/refresh', { method: 'POST' })
        return { status: response.status, body: await response.json() }
      })
      expect(own).toEqual({ status: 200, body: {} })
      const current = (await storedTokens(page)) as { accessToken: string }
      expect(await page.evaluate(async () => (await fetch('/api/me?after-own-refresh')).status)).toBe(200)
      expect(server.requestsTo('/api/me').at(-1)!.authorization).toBe(`Bearer ${current.accessToken}`)
    } finally {
      await server.close()
    }
  })
})
