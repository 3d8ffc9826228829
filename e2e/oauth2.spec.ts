import type { Page } from '@playwright/test'
import { expect, foreignProof, storedTokens, test, workerQuery } from './fixtures.js'
import { authorize, CLIENT_ID, exchangeCode, startOidc } from './oidc.js'

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
  test('B13 an authorization-code login with PKCE in the browser; the page exchanges the code through the worker, which keeps the tokens, and refreshes them', async ({ page, server, openConsole }) => {
    const oidc = await startOidc(server)
    const login = await authorize(page, server)
    await openConsole(page, `stay&${options()}`)
    const answer = await exchangeCode(page, login)
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

test.describe('B16 proof of possession against oidc-provider with DPoP, nonces required, rotation on', () => {
  const dpopOptions = () =>
    workerQuery({ refreshUrl: '/oidc/token', refreshProtocol: 'oauth2', clientId: CLIENT_ID, scope: 'openid offline_access', dpop: true })

  /** Gets the login key's thumbprint, logs in at the provider with it as dpop_jkt, and exchanges the code through the worker. */
  async function dpopLogin(page: Page, server: import('../demo/server/app.js').DemoServer, openConsole: (page?: Page, query?: string) => Promise<Page>) {
    await openConsole(page, `stay&${dpopOptions()}`)
    const dpopJkt = await page.evaluate(() => window.tokenProxy.dpopThumbprint())
    const login = await authorize(page, server, { dpopJkt })
    await openConsole(page, `stay&${dpopOptions()}`)
    const answer = await exchangeCode(page, login)
    return { dpopJkt, answer }
  }

  test('a PKCE login bound with dpop_jkt; three expiries, each one refresh with the bound refresh token; every request a proof of the key', async ({ page, server, openConsole }) => {
    const oidc = await startOidc(server, { dpop: true })
    const { dpopJkt, answer } = await dpopLogin(page, server, openConsole)
    expect(answer).toMatchObject({ status: 200, body: { token_type: 'DPoP' } })
    expect(Object.keys(answer.body).sort()).toEqual(['id_token', 'scope', 'token_type'])
    // The code exchange met the provider's nonce once: 400 use_dpop_nonce, then 200.
    expect(server.requestsTo('/oidc/token').map((r) => r.status)).toEqual([400, 200])
    const stored = (await storedTokens(page)) as { accessToken: string; tokenType: string }
    expect(stored.tokenType).toBe('DPoP')
    expect((await oidc.provider.AccessToken.find(stored.accessToken))?.jkt).toBe(dpopJkt)

    expect(await me(page)).toEqual([{ status: 200, proxy: null, body: { sub: 'grace', path: '/me?i=0' } }])
    let accessToken = stored.accessToken
    const tokenCalls = () => server.requestsTo('/oidc/token').filter((r) => r.status === 200).length
    for (const round of [1, 2, 3]) {
      await oidc.expire(accessToken)
      expect((await me(page, 5)).map((r) => r.status)).toEqual(Array(5).fill(200))
      expect(tokenCalls()).toBe(1 + round)
      accessToken = ((await storedTokens(page)) as { accessToken: string }).accessToken
      expect((await oidc.provider.AccessToken.find(accessToken))?.jkt).toBe(dpopJkt)
    }
    const resource = server.requestsTo('/api/oidc/me')
    expect(resource.every((r) => /^DPoP /.test(r.authorization ?? '') && typeof r.headers.dpop === 'string')).toBe(true)
    expect(new Set(resource.map((r) => r.headers.dpop)).size).toBe(resource.length)
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual(Array(3).fill({ type: 'refresh', reason: 'unauthorized' }))
  })

  test('tokens copied out of IndexedDB are refused by the resource and the token endpoint from elsewhere; in the page they go on working', async ({ page, server, openConsole }) => {
    const oidc = await startOidc(server, { dpop: true })
    await dpopLogin(page, server, openConsole)
    const { accessToken, refreshToken } = (await storedTokens(page)) as { accessToken: string; refreshToken: string }
    for (const authorization of [`Bearer ${accessToken}`, `DPoP ${accessToken}`]) {
      expect((await fetch(`${server.url}/api/oidc/me`, { headers: { Authorization: authorization } })).status, authorization).toBe(401)
    }
    const resource = `${server.url}/api/oidc/me`
    const foreign = await fetch(resource, { headers: { Authorization: `DPoP ${accessToken}`, DPoP: await foreignProof('GET', resource, { accessToken }) } })
    expect(foreign.status).toBe(401)
    const token = `${server.url}/oidc/token`
    const refresh = (proof?: string) =>
      fetch(token, {
        method: 'POST',
        headers: proof ? { DPoP: proof } : {},
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID }),
      })
    const bare = await refresh()
    expect([bare.status, ((await bare.json()) as { error: string }).error]).toEqual([400, 'invalid_grant'])
    // A proof of another key, with the provider's current nonce: refused, and the token not spent.
    const nonce = (await refresh(await foreignProof('POST', token))).headers.get('DPoP-Nonce') ?? undefined
    const stolen = await refresh(await foreignProof('POST', token, { nonce }))
    expect([stolen.status, ((await stolen.json()) as { error: string }).error]).toEqual([400, 'invalid_grant'])

    expect(await me(page)).toEqual([{ status: 200, proxy: null, body: { sub: 'grace', path: '/me?i=0' } }])
    await oidc.expire(accessToken)
    expect((await me(page)).map((r) => r.status)).toEqual([200])
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'refresh', reason: 'unauthorized' }])
  })

  test('B7 invalid_grant still ends the session', async ({ page, server, openConsole }) => {
    const oidc = await startOidc(server, { dpop: true })
    await dpopLogin(page, server, openConsole)
    const { accessToken } = (await storedTokens(page)) as { accessToken: string }
    const found = await oidc.provider.AccessToken.find(accessToken)
    await oidc.provider.RefreshToken.revokeByGrantId(found!.grantId!)
    await oidc.expire(accessToken)
    expect((await me(page)).map((r) => r.status)).toEqual([401])
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'refresh-rejected' }])
    expect(await storedTokens(page)).toBeUndefined()
  })
})
