import type { Page } from '@playwright/test'
import { expect, storedTokens, test, workerQuery } from './fixtures.js'
import { CLIENT_ID, pkce, startOidc } from './oidc.js'

/**
 * `refreshProtocol: 'oauth2'` against a real OpenID Connect provider
 * (`oidc-provider`) on the page's origin, refresh-token rotation on: a spent
 * refresh token presented again revokes the whole grant.
 */
const options = (clientId = CLIENT_ID) =>
  workerQuery({ refreshUrl: '/oidc/token', refreshProtocol: 'oauth2', clientId, scope: 'openid offline_access' })

const me = (page: Page, count = 1) =>
  page.evaluate(
    (count) =>
      Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const response = await fetch(`/api/oidc/me?i=${i}`)
          return { status: response.status, proxy: response.headers.get('X-Token-Proxy'), body: (await response.json()) as { sub?: string } }
        }),
      ),
    count,
  )

test.describe("refreshProtocol 'oauth2' against oidc-provider", () => {
  test('B13 an authorization-code login with PKCE in the browser; the page exchanges the code through the worker, which keeps the tokens, and refreshes them', async ({ page, context, server, openConsole }) => {
    const oidc = await startOidc(server)
    // The provider's login page imports a web font; there is no network to fetch it from.
    await context.route(/fonts\.googleapis\.com/, (route) => route.abort())
    const { verifier, challenge } = pkce()
    const redirectUri = `${server.url}/callback`
    const authorize = new URL(`${server.url}/oidc/auth`)
    for (const [key, value] of Object.entries({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid offline_access',
      prompt: 'consent', // OpenID Connect grants offline_access (a refresh token) only with consent asked
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'x',
    })) {
      authorize.searchParams.set(key, value)
    }
    await page.goto(authorize.href)
    await page.locator('input[name=login]').fill('grace')
    await page.locator('input[name=password]').fill('any')
    await page.getByRole('button', { name: 'Sign-in' }).click()
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(/\/callback\?/)
    const code = new URL(page.url()).searchParams.get('code')
    expect(code).toBeTruthy()

    await openConsole(page, `stay&${options()}`)
    const answer = await page.evaluate(
      async (form) => {
        const response = await fetch('/oidc/token', { method: 'POST', body: new URLSearchParams(form) })
        return { status: response.status, body: (await response.json()) as Record<string, unknown> }
      },
      { grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: verifier },
    )
    // The page learns it is logged in, and who it is (the ID token is the client's to read); never a token it could send.
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.body).sort()).toEqual(['id_token', 'scope', 'token_type'])
    expect(await storedTokens(page)).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: expect.any(Number) })

    expect(await me(page)).toEqual([{ status: 200, proxy: null, body: { sub: 'grace', path: '/me?i=0' } }])
    const { accessToken } = (await storedTokens(page)) as { accessToken: string }
    await oidc.expire(accessToken)
    expect((await me(page, 5)).map((r) => r.status)).toEqual(Array(5).fill(200))
    expect(server.requestsTo('/oidc/token').map((r) => r.status)).toEqual([200, 200])
  })

  test('B1 + B3 the access token is injected; each expiry costs one refresh token grant, and the rotated refresh token is the one used next', async ({ page, server, openConsole }) => {
    const oidc = await startOidc(server)
    await openConsole(page, `stay&${options()}`)
    const session = await oidc.login('ada')
    await page.evaluate((t) => window.tokenProxy.setTokens(t), { accessToken: session.accessToken, refreshToken: session.refreshToken })
    expect(await me(page)).toEqual([{ status: 200, proxy: null, body: { sub: 'ada', path: '/me?i=0' } }])

    const tokenCalls = server.requestsTo('/oidc/token').length
    let accessToken = session.accessToken
    for (const round of [1, 2, 3]) {
      await oidc.expire(accessToken)
      // Ten requests at once: one grant at the token endpoint, every request replayed with the new token.
      expect((await me(page, 10)).map((r) => r.status)).toEqual(Array(10).fill(200))
      const calls = server.requestsTo('/oidc/token').slice(tokenCalls)
      expect(calls).toHaveLength(round)
      expect(calls.at(-1)).toMatchObject({ method: 'POST', status: 200, contentType: 'application/x-www-form-urlencoded;charset=UTF-8' })
      expect(calls.at(-1)!.headers.cookie).toBeUndefined()
      accessToken = /^Bearer (.+)$/.exec(server.requestsTo('/api/oidc/me').at(-1)!.authorization!)![1]!
    }
    // Had the worker presented a spent refresh token, the provider would have revoked the grant and the tab logged out.
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([
      { type: 'refresh', reason: 'unauthorized' },
      { type: 'refresh', reason: 'unauthorized' },
      { type: 'refresh', reason: 'unauthorized' },
    ])
    // The provider answers expires_in: the worker knows the expiry of what it stored (B10).
    expect(await storedTokens(page)).toMatchObject({ expiresAt: expect.any(Number), refreshToken: expect.any(String) })
  })

  test('B7 invalid_grant (the grant was revoked) ends the session: LOGOUT, tokens gone, the request gets its 401', async ({ page, server, openConsole }) => {
    const oidc = await startOidc(server)
    await openConsole(page, `stay&${options()}`)
    const session = await oidc.login('ada')
    await page.evaluate((t) => window.tokenProxy.setTokens(t), { accessToken: session.accessToken, refreshToken: session.refreshToken })
    await oidc.provider.RefreshToken.revokeByGrantId(session.grantId)
    await oidc.expire(session.accessToken)

    expect((await me(page)).map((r) => r.status)).toEqual([401])
    expect(server.requestsTo('/oidc/token').at(-1)).toMatchObject({ status: 400 })
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'refresh-rejected' }])
    expect(await storedTokens(page)).toBeUndefined()
  })

  test('invalid_client (a misconfigured clientId) keeps the session: B8 503, no logout, tokens kept', async ({ page, server, openConsole }) => {
    const oidc = await startOidc(server)
    await openConsole(page, `stay&${options('not-registered')}`)
    const session = await oidc.login('ada')
    await page.evaluate((t) => window.tokenProxy.setTokens(t), { accessToken: session.accessToken, refreshToken: session.refreshToken })
    await oidc.expire(session.accessToken)

    const [answer] = await me(page)
    expect(answer).toMatchObject({ status: 503, proxy: 'refresh-unavailable' })
    const call = server.requestsTo('/oidc/token').at(-1)!
    expect([400, 401]).toContain(call.status)
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([])
    expect(await storedTokens(page)).toMatchObject({ refreshToken: session.refreshToken })
  })
})
