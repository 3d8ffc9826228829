import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { authorizations, expect, serveWorkerFile, storedTokens, test } from './fixtures.js'

/**
 * A server on a port whose digits start with `prefix`'s port, so that its
 * origin begins with the trusted origin as a string: http://127.0.0.1:4123
 * and http://127.0.0.1:41234. Only a comparison of parsed origins tells them apart.
 */
async function lookAlike(of: DemoServer): Promise<DemoServer | undefined> {
  for (let digit = 0; digit <= 9; digit++) {
    const port = of.port * 10 + digit
    if (port > 65535) return undefined
    try {
      return await startDemoServer({ port, auth: of.auth })
    } catch {}
  }
  return undefined
}

/**
 * The ports from 2000 to 6500 on the Fetch standard's bad-port list: browsers refuse to fetch from
 * them (WebKit's `TypeError: Load failed` showed this spec picking one).
 */
const BAD_PORTS = new Set([2049, 3659, 4045, 4190, 5060, 5061, 6000])

/** An API server trusting `app`'s tokens, on a four-digit port so that a five-digit look-alike exists. */
async function shortPortServer(app: DemoServer): Promise<DemoServer> {
  for (let attempt = 0; ; attempt++) {
    const port = 2000 + Math.floor(Math.random() * 4500)
    if (BAD_PORTS.has(port)) continue
    try {
      return await startDemoServer({ port, auth: app.auth })
    } catch (error) {
      if (attempt > 50) throw error
    }
  }
}

test.describe('allowlist', () => {
  test('B2 a trusted origin gets the token; look-alike origins and paths do not', async ({ page, server, openConsole, login }) => {
    const api = await shortPortServer(server)
    const evil = await lookAlike(api)
    expect(evil, 'a look-alike port was free').toBeDefined()
    try {
      expect(evil!.url.startsWith(api.url)).toBe(true)
      await openConsole(page, await serveWorkerFile(server, { trustedOrigins: [api.url] }))
      const { accessToken } = await login(page)
      const statuses = await page.evaluate(
        async ([apiUrl, evilUrl]) => [
          (await fetch(`${apiUrl}/api/echo`)).status,
          (await fetch(`${apiUrl}/apix/echo`)).status,
          (await fetch(`${evilUrl}/api/echo`)).status,
        ],
        [api.url, evil!.url],
      )
      expect(statuses).toEqual([200, 200, 401])
      // (The token makes the cross-origin request non-simple: OPTIONS preflights come first.)
      const sent = (on: DemoServer, path: string) => on.requestsTo(path).filter((r) => r.method === 'GET').map((r) => r.authorization)
      expect(sent(api, '/api/echo')).toEqual([`Bearer ${accessToken}`])
      expect(sent(api, '/apix/echo')).toEqual([null])
      expect(sent(evil!, '/api/echo')).toEqual([null])
    } finally {
      await api.close()
      await evil?.close()
    }
  })

  test('B2 navigations in this tab or a new one, and no-cors images, get no token', async ({ page, context, server, openConsole, login }) => {
    await openConsole(page)
    await login(page)
    await page.evaluate(async () => {
      const image = new Image()
      image.src = '/api/me?image'
      await new Promise((resolve) => (image.onerror = image.onload = resolve))
    })
    const tab = await context.newPage()
    await tab.goto(`${server.url}/api/me?tab`)
    // The popup's request reaching the server is the event to wait for (no engine need report the popup).
    const popup = server.arrival('/api/me', 3)
    await page.evaluate(() => void window.open('/api/me?popup'))
    await popup
    await page.goto(`${server.url}/api/me?top`)
    await expect
      .poll(() => server.requestsTo('/api/me').map(({ status, authorization }) => ({ status, authorization })))
      .toEqual(Array(4).fill({ status: 401, authorization: null }))
  })
})

test.describe('messages', () => {
  test("B2 credentials: 'omit' is the page's opt-out: such a request goes as the page wrote it, without the token", async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    const { accessToken } = await login(page)
    const statuses = await page.evaluate(async () => [(await fetch('/api/me', { credentials: 'omit' })).status, (await fetch('/api/me')).status])
    expect(statuses).toEqual([401, 200])
    expect(authorizations(server, '/api/me')).toEqual([null, `Bearer ${accessToken}`])
  })

  test('B2 a beacon gets the token when its body makes it a CORS request (a JSON Blob), and none as a no-cors one (text)', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    const { accessToken } = await login(page)
    const queued = await page.evaluate(() => [
      navigator.sendBeacon('/api/echo?beacon=json', new Blob(['{"seen":1}'], { type: 'application/json' })),
      navigator.sendBeacon('/api/echo?beacon=text', 'seen'),
    ])
    expect(queued).toEqual([true, true])
    // Recorded once answered.
    await expect.poll(() => server.requestsTo('/api/echo').length).toBe(2)
    const byKind = Object.fromEntries(server.requestsTo('/api/echo').map((r) => [r.search, r.authorization]))
    expect(byKind).toEqual({ '?beacon=json': `Bearer ${accessToken}`, '?beacon=text': null })
  })

  test('B1 requests the worker sends for the page reach the server with Sec-Fetch-Dest: empty (an <img crossorigin> under apiPrefix too)', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    const { accessToken } = await login(page)
    await page.evaluate(() => {
      const image = document.createElement('img')
      image.crossOrigin = 'anonymous'
      image.src = '/api/items?as=image'
      document.body.append(image)
    })
    await expect.poll(() => server.requestsTo('/api/items').length).toBe(1)
    const [request] = server.requestsTo('/api/items')
    expect(request!.authorization).toBe(`Bearer ${accessToken}`)
    expect(request!.headers['sec-fetch-dest']).toBe('empty')
  })

  test('B14 a LOGOUT forged with window.postMessage is ignored', async ({ page, server, openConsole, login }) => {
    await openConsole(page, 'stay')
    await login(page)
    await page.evaluate(async () => {
      // Delivered to every listener of the window, ours last: once it is here, the proxy's had its chance.
      const delivered = new Promise((resolve) => window.addEventListener('message', resolve, { once: true }))
      window.postMessage({ tokenProxy: 1, type: 'LOGOUT', reason: 'logout' }, '*')
      await delivered
    })
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([])
    expect(page.url()).toBe(`${server.url}/console?stay`)
    expect(await storedTokens(page)).toMatchObject({ accessToken: expect.any(String) })
  })
})

test.describe('login redirect', () => {
  for (const next of ['//evil.example/x', 'https://evil.example/x', 'javascript:alert(1)', '/\\evil.example']) {
    test(`B14 ?next=${next} does not leave the site`, async ({ page, server }) => {
      await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`)
      await page.locator('button.primary').click()
      await page.waitForURL(`${server.url}/`)
      expect(page.url()).toBe(`${server.url}/`)
    })
  }

  test('B14 a same-origin ?next= is followed', async ({ page, server }) => {
    await page.goto(`${server.url}/login?next=${encodeURIComponent('/console?from=login')}`)
    await page.locator('button.primary').click()
    await page.waitForURL(`${server.url}/console?from=login`)
  })
})

test.describe('logout endpoint', () => {
  test('B11 logout() tells the server with the token, clears the tokens and reaches every tab', async ({ page, context, server, openConsole, login }) => {
    await openConsole(page, 'stay')
    const other = await openConsole(await context.newPage())
    const { accessToken } = await login(page)
    await page.evaluate(() => window.tokenProxy.logout())
    expect(server.requestsTo('/api/auth/logout').map((r) => [r.method, r.authorization, r.status])).toEqual([
      ['POST', `Bearer ${accessToken}`, 200],
    ])
    await expect(other).toHaveURL(`${server.url}/login?next=%2Fconsole`)
    expect(await storedTokens(page)).toBeUndefined()
    // The server ended the session: the old token is worthless now.
    expect(server.auth.verify(`Bearer ${accessToken}`)).toBeUndefined()
  })

  test('B10 + B11 logout() with an expired access token refreshes first, so the server does end the session', async ({ page, server, openConsole, login }) => {
    await openConsole(page, 'stay')
    await login(page)
    server.auth.expireAccessTokens()
    await page.evaluate(() => window.tokenProxy.logout())
    expect(server.requestsTo('/api/auth/logout').map((r) => r.status)).toEqual([401, 200])
    expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([200])
    const used = server.requestsTo('/api/auth/logout')[1]!.authorization
    expect(server.auth.verify(used ?? undefined)).toBeUndefined()
    expect(await storedTokens(page)).toBeUndefined()
  })

  test('B11 a page calling logoutUrl itself ends the session everywhere', async ({ page, context, server, openConsole, login }) => {
    await openConsole(page, 'stay')
    const other = await openConsole(await context.newPage())
    const { accessToken } = await login(page)
    expect(await page.evaluate(async () => (await fetch('/api/auth/logout', { method: 'POST' })).status)).toBe(200)
    expect(authorizations(server, '/api/auth/logout')).toEqual([`Bearer ${accessToken}`])
    await expect(other).toHaveURL(`${server.url}/login?next=%2Fconsole`)
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'logout' }])
    expect(await storedTokens(page)).toBeUndefined()
  })
})
