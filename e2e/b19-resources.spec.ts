import type { Page } from '@playwright/test'
import { decodeJwt } from 'jose'
import type { DemoServer } from '../demo/server/app.js'
import { expect, serveWorkerFile, storedTokens, test as base } from './fixtures.js'
import { authorize, CLIENT_ID, exchangeCode, startOidc, type OidcOptions } from './oidc.js'
import { startResourceServer, type ResourceServer } from './resource-server.js'

/**
 * B19, every API its own token (RFC 8707), against oidc-provider with
 * resource indicators and refresh-token rotation on, and two resource
 * servers on two other origins, each taking only JWTs minted for its own
 * `aud` (checked with jose) and refusing any other. The app's own API
 * (`/api/oidc/me`) takes the login's opaque token.
 */

const FILES = 'urn:sw-token-proxy:files'
const NOT_GRANTED = 'urn:sw-token-proxy:not-granted'

const test = base.extend<{ billing: ResourceServer; files: ResourceServer }>({
  billing: async ({ server }, use) => {
    const api = await startResourceServer({ issuer: `${server.url}/oidc`, appOrigin: server.url })
    await use(api)
    await api.close()
  },
  files: async ({ server }, use) => {
    const api = await startResourceServer({ issuer: `${server.url}/oidc`, appOrigin: server.url, indicator: FILES })
    await use(api)
    await api.close()
  },
})

/** The worker file: both APIs on the allowlist, each with its resource; `/v2/` on the files origin names a resource the provider never grants. */
function worker(server: DemoServer, billing: ResourceServer, files: ResourceServer, { dpop = false } = {}) {
  return serveWorkerFile(server, {
    apiPrefix: ['/api/', '/v1/', '/v2/'],
    refreshUrl: '/oidc/token',
    refreshProtocol: 'oauth2',
    clientId: CLIENT_ID,
    scope: 'openid offline_access',
    trustedOrigins: [billing.origin, files.origin],
    resources: { [`${billing.origin}/v1/`]: billing.indicator, [`${files.origin}/v1/`]: files.indicator, [`${files.origin}/v2/`]: NOT_GRANTED },
    dpop,
  })
}

interface Answer {
  status: number
  proxy: string | null
  body: { sub?: string; aud?: string; error?: string; reason?: string }
}

/** Each URL fetched by the page at once, as an app would. */
const call = (page: Page, urls: string[]) =>
  page.evaluate(
    (urls) =>
      Promise.all(
        urls.map(async (url): Promise<Answer> => {
          const response = await fetch(url)
          return { status: response.status, proxy: response.headers.get('X-Token-Proxy'), body: (await response.json()) as Answer['body'] }
        }),
      ),
    urls,
  )

/** The token grants the worker made at the provider since `from`. */
const grants = (server: DemoServer, from = 0) => server.requestsTo('/oidc/token').slice(from)

/** No token went anywhere it was not minted for: each resource server saw only its own `aud`, the app's API only the login's opaque tokens. */
function expectConfined(server: DemoServer, ...apis: ResourceServer[]) {
  const minted = new Set<string>()
  for (const api of apis) {
    const sent = api.requests.filter((r) => r.authorization)
    expect(sent.map((r) => r.audience)).toEqual(sent.map(() => api.indicator))
    for (const r of sent) minted.add(r.authorization!.replace(/^\S+ /, ''))
  }
  const own = server.requestsTo('/api/oidc/me').map((r) => r.authorization?.replace(/^\S+ /, '') ?? '')
  expect(own.filter((token) => minted.has(token) || token.split('.').length === 3)).toEqual([])
}

async function signIn(page: Page, oidc: Awaited<ReturnType<typeof startOidc>>, resources: string[]) {
  const session = await oidc.login('ada', { resources })
  await page.evaluate((t) => window.tokenProxy.setTokens(t), { accessToken: session.accessToken, refreshToken: session.refreshToken })
  return session
}

async function providerFor(server: DemoServer, billing: ResourceServer, files: ResourceServer, options: OidcOptions = {}) {
  return startOidc(server, { resources: [billing.indicator, files.indicator], ...options })
}

test.describe('B19 every API its own token (RFC 8707) against oidc-provider, rotation on', () => {
  test('a PKCE login naming both APIs; each API gets a token minted for it alone, on its first request, and the app\'s own API the login\'s', async ({ page, server, openConsole, billing, files }) => {
    await providerFor(server, billing, files)
    const login = await authorize(page, server, { resources: [billing.indicator, files.indicator] })
    await openConsole(page, `stay&${await worker(server, billing, files)}`)
    expect((await exchangeCode(page, login)).status).toBe(200)
    expect(grants(server).map((r) => r.status)).toEqual([200])

    const answers = await call(page, ['/api/oidc/me', `${billing.origin}/v1/me`, `${files.origin}/v1/me`])
    expect(answers).toEqual([
      { status: 200, proxy: null, body: { sub: 'grace', path: '/me' } },
      { status: 200, proxy: null, body: { sub: 'grace', aud: billing.indicator, path: '/v1/me' } },
      { status: 200, proxy: null, body: { sub: 'grace', aud: FILES, path: '/v1/me' } },
    ])
    // One grant for each API's first token, naming it; the login's token needed none.
    const minted = grants(server, 1)
    expect(minted.map((r) => r.status)).toEqual([200, 200])
    // Kept: the next requests mint nothing.
    expect((await call(page, [`${billing.origin}/v1/a`, `${files.origin}/v1/b`])).map((a) => a.status)).toEqual([200, 200])
    expect(grants(server)).toHaveLength(3)
    expectConfined(server, billing, files)
    expect(await storedTokens(page)).toMatchObject({ resources: { [billing.indicator]: { accessToken: expect.any(String) }, [FILES]: { accessToken: expect.any(String) } } })
  })

  test('B3 + B4 per API: a burst to every API at expiry costs one grant per API, all 200, each on the refresh token the last grant rotated (no reuse detected)', async ({ page, server, openConsole, billing, files }) => {
    const oidc = await providerFor(server, billing, files)
    await openConsole(page, `stay&${await worker(server, billing, files)}`)
    await signIn(page, oidc, [billing.indicator, files.indicator])
    const urls = (i: number) => ['/api/oidc/me', `${billing.origin}/v1/x?${i}`, `${files.origin}/v1/x?${i}`]
    expect((await call(page, urls(0))).map((a) => a.status)).toEqual([200, 200, 200])
    for (const round of [1, 2]) {
      const before = grants(server).length
      billing.expireAll()
      files.expireAll()
      await oidc.expire(((await storedTokens(page)) as { accessToken: string }).accessToken)
      const burst = await call(page, Array.from({ length: 5 }, (_, i) => urls(i)).flat())
      expect(burst.map((a) => a.status), `round ${round}`).toEqual(Array(15).fill(200))
      expect(grants(server, before).map((r) => r.status), `round ${round}`).toEqual([200, 200, 200])
    }
    expect(oidc.reuse).toBe(0)
    expectConfined(server, billing, files)
    // on('refresh') says whose token it was (the login's has no resource); an API's first token comes as one ahead of expiry.
    const refreshes = (await page.evaluate(() => window.tokenProxyEvents)).map((e) => `${e.reason} ${e.resource ?? 'login'}`)
    expect(refreshes.sort()).toEqual(
      [`expiry ${billing.indicator}`, `expiry ${FILES}`, ...Array(2).fill([`unauthorized ${billing.indicator}`, 'unauthorized login', `unauthorized ${FILES}`]).flat()].sort(),
    )
  })

  test('B7 a revoked grant, met by one API\'s refresh, logs every tab out: every resource\'s token goes too', async ({ page, server, openConsole, billing, files }) => {
    const oidc = await providerFor(server, billing, files)
    const script = await worker(server, billing, files)
    await openConsole(page, `stay&${script}`)
    const other = await openConsole(undefined, `stay&${script}`)
    const session = await signIn(page, oidc, [billing.indicator, files.indicator])
    expect((await call(page, [`${billing.origin}/v1/x`, `${files.origin}/v1/x`])).map((a) => a.status)).toEqual([200, 200])

    await oidc.provider.RefreshToken.revokeByGrantId(session.grantId)
    billing.expireAll()
    expect((await call(page, [`${billing.origin}/v1/x`])).map((a) => a.status)).toEqual([401])
    expect(grants(server).at(-1)).toMatchObject({ status: 400 })
    for (const tab of [page, other]) {
      await expect.poll(() => tab.evaluate(() => window.tokenProxyEvents.filter((e) => e.type === 'logout'))).toEqual([{ type: 'logout', reason: 'refresh-rejected' }])
    }
    expect(await storedTokens(page)).toBeUndefined()
    // The files API's token still works at the files API, but the worker no longer has it to send.
    expect((await call(other, [`${files.origin}/v1/after`])).map((a) => a.status)).toEqual([401])
    expect(files.requests.at(-1)).toMatchObject({ path: '/v1/after', authorization: undefined })
  })

  test('invalid_target: an API the provider will not mint for gets the worker\'s 403 naming its resource, is never sent, and the session goes on (a provider that rotates only once the resource is granted)', async ({ page, server, openConsole, billing, files }) => {
    const oidc = await providerFor(server, billing, files, { spendOnRefusal: false })
    await openConsole(page, `stay&${await worker(server, billing, files)}`)
    await signIn(page, oidc, [billing.indicator, files.indicator])

    const [refused] = await call(page, [`${files.origin}/v2/x`])
    expect(refused).toEqual({ status: 403, proxy: 'resource-refused', body: { error: 'invalid_target', reason: expect.stringContaining(`'${NOT_GRANTED}'`) } })
    expect(grants(server).map((r) => r.status)).toEqual([200, 400])
    expect(files.requests.filter((r) => r.path.startsWith('/v2/'))).toEqual([])
    // Nothing ended: every other API goes on, grants included.
    expect((await call(page, ['/api/oidc/me', `${billing.origin}/v1/x`, `${files.origin}/v1/x`])).map((a) => a.status)).toEqual([200, 200, 200])
    expect(oidc.reuse).toBe(0)
    expect(await page.evaluate(() => window.tokenProxyEvents.filter((e) => e.type === 'logout'))).toEqual([])
    expectConfined(server, billing, files)
  })

  test('invalid_target from a provider that spends the refresh token before it refuses (oidc-provider 9 rotating, its default): the next grant meets its reuse detection and the session ends, as the README says', async ({ page, server, openConsole, billing, files }) => {
    const oidc = await providerFor(server, billing, files)
    await openConsole(page, `stay&${await worker(server, billing, files)}`)
    await signIn(page, oidc, [billing.indicator, files.indicator])

    expect((await call(page, [`${files.origin}/v2/x`]))[0]).toMatchObject({ status: 403, proxy: 'resource-refused' })
    // The refresh token the worker holds was spent by that refusal: the provider revokes the grant when it comes back.
    expect((await call(page, [`${billing.origin}/v1/x`])).map((a) => a.status)).toEqual([401])
    expect(oidc.reuse).toBe(1)
    await expect.poll(() => page.evaluate(() => window.tokenProxyEvents.filter((e) => e.type === 'logout'))).toEqual([{ type: 'logout', reason: 'refresh-rejected' }])
  })
})

test.describe('B16 + B19 with DPoP: every API\'s token bound to the one session key', () => {
  test('a PKCE login bound with dpop_jkt; each resource token carries the same cnf.jkt, and every request to every API a proof of that key', async ({ page, server, openConsole, billing, files }) => {
    const oidc = await providerFor(server, billing, files, { dpop: true })
    const script = await worker(server, billing, files, { dpop: true })
    await openConsole(page, `stay&${script}`)
    const dpopJkt = await page.evaluate(() => window.tokenProxy.dpopThumbprint())
    const login = await authorize(page, server, { dpopJkt, resources: [billing.indicator, files.indicator] })
    await openConsole(page, `stay&${script}`)
    expect(await exchangeCode(page, login)).toMatchObject({ status: 200, body: { token_type: 'DPoP' } })

    expect((await call(page, ['/api/oidc/me', `${billing.origin}/v1/x`, `${files.origin}/v1/x`])).map((a) => a.status)).toEqual([200, 200, 200])
    billing.expireAll()
    files.expireAll()
    expect((await call(page, [`${billing.origin}/v1/y`, `${files.origin}/v1/y`])).map((a) => a.status)).toEqual([200, 200])
    for (const api of [billing, files]) {
      const sent = api.requests.filter((r) => r.status === 200)
      expect(sent).toHaveLength(2)
      for (const r of sent) {
        expect(r.authorization).toMatch(/^DPoP /)
        expect((decodeJwt(r.authorization!.slice(5)).cnf as { jkt?: string }).jkt).toBe(dpopJkt)
      }
    }
    expect((await oidc.provider.AccessToken.find(((await storedTokens(page)) as { accessToken: string }).accessToken))?.jkt).toBe(dpopJkt)
    expect(oidc.reuse).toBe(0)
    expectConfined(server, billing, files)
  })
})
