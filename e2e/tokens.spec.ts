import { can } from './engines/limits.js'
import { expect, storedTokens, test } from './fixtures.js'

test.describe('setTokens and logout', () => {
  test('B1 + B17 the worker uses tokens from setTokens at once, and the newest wins', async ({ page, server, openConsole, login }) => {
    await openConsole()
    await login(page)
    const { accessToken: second } = await login(page)
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(server.requestsTo('/api/me').map((r) => r.authorization)).toEqual([`Bearer ${second}`])
    expect(await storedTokens(page)).toMatchObject({ accessToken: second })
  })

  test('B14 setTokens rejects what is not a token set, naming the field', async ({ page, openConsole }) => {
    await openConsole()
    const errors = await page.evaluate(async () => {
      const attempts: unknown[] = [{}, { accessToken: '' }, { accessToken: 'a', refreshToken: 7 }, { accessToken: 'a', expiresAt: 'soon' }]
      const out: string[] = []
      for (const tokens of attempts) {
        await window.tokenProxy.setTokens(tokens as never).then(
          () => out.push('accepted'),
          (error: Error) => out.push(`${error.name}: ${error.message}`),
        )
      }
      return out
    })
    expect(errors).toEqual([
      'TokenProxyOptionsError: Failed to set the tokens: `accessToken` must be a non-empty string.',
      'TokenProxyOptionsError: Failed to set the tokens: `accessToken` must be a non-empty string.',
      'TokenProxyOptionsError: Failed to set the tokens: `refreshToken` must be a non-empty string when given.',
      'TokenProxyOptionsError: Failed to set the tokens: `expiresAt` must be epoch milliseconds when given.',
    ])
  })

  test('B11 logout() clears the tokens and sends every tab to the login page', async ({ page, context, server, openConsole, login }) => {
    await page.goto(`${server.url}/console?stay`)
    await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
    const other = await openConsole(await context.newPage())
    await login(page)
    await page.evaluate(() => window.tokenProxy.logout())
    await expect(other).toHaveURL(`${server.url}/login?next=%2Fconsole`)
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'logout' }])
    expect(await storedTokens(page)).toBeUndefined()
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401)
    expect(server.requestsTo('/api/me').map((r) => r.authorization)).toEqual([null])
  })

  test('B14 registerTokenProxy rejects invalid options before registering anything', async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    const errors = await page.evaluate(async () => {
      const attempts = [
        { workerUrl: '' },
        { workerUrl: '/sw.js', loginPath: 'https://evil.example/login' },
        { workerUrl: '/sw.js', loginPath: '//evil.example' },
        { workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: 'https://x' } },
        { workerUrl: '/sw.js', worker: { apiPrefix: [], refreshUrl: '/r' } },
        { workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: '/r', refreshUrI: '/typo' } },
        { workerUrl: '/sw.js', loginPth: '/login' },
      ]
      const out: string[] = []
      for (const options of attempts) {
        await window.registerTokenProxy(options as never).then(
          () => out.push('registered'),
          (error: Error) => out.push(`${error.name}: ${error.message}`),
        )
      }
      return { out, registrations: (await navigator.serviceWorker.getRegistrations()).length }
    })
    expect(errors.out).toEqual([
      "TokenProxyOptionsError: Failed to register the token proxy: `workerUrl` must be a script URL such as '/sw.js' (without a query when `worker` is given), got ''.",
      "TokenProxyOptionsError: Failed to register the token proxy: `loginPath` must be a same-origin path such as '/login', got 'https://evil.example/login'.",
      "TokenProxyOptionsError: Failed to register the token proxy: `loginPath` must be a same-origin path such as '/login', got '//evil.example'.",
      "TokenProxyOptionsError: Failed to configure the token proxy: `refreshUrl` must be a same-origin path such as '/api/auth/refresh', or a URL on one of `trustedOrigins`, got 'https://x'.",
      'TokenProxyOptionsError: Failed to configure the token proxy: `apiPrefix` must be a path or a non-empty list of paths, got [].',
      'TokenProxyOptionsError: Failed to configure the token proxy: unknown option `refreshUrI`; the options are apiPrefix, refreshUrl, trustedOrigins, refreshProtocol, clientId, scope, loginUrl, logoutUrl, refreshTimeout, maxReplayBytes, expiryLeeway, dpop, fields, apiRouting, sessionCaches, resources, resourceParameter.',
      'TokenProxyOptionsError: Failed to register the token proxy: unknown option `loginPth`; the options are workerUrl, worker, scope, loginPath, onLogout, timeout.',
    ])
    expect(errors.registrations).toBe(0)
  })

  test('a logout listener that throws stops neither the other listeners nor the redirect', async ({ page, context, server, openConsole, login }) => {
    await openConsole(page)
    await login(page)
    const errors: string[] = []
    const watching = can('pageEvents')
    if (watching) page.on('pageerror', (error) => errors.push(error.message))
    await page.evaluate(() => {
      window.tokenProxy.on('logout', () => {
        throw new Error('a listener of the app with a bug')
      })
      window.tokenProxy.on('logout', ({ reason }) => sessionStorage.setItem('second listener', reason))
    })
    // Another tab logs out (this page's own evaluate would race its redirect), and the LOGOUT reaches this one.
    const other = await openConsole(await context.newPage(), 'stay')
    await other.evaluate(() => window.tokenProxy.logout())
    await expect(page).toHaveURL(`${server.url}/login?next=%2Fconsole`)
    expect(await page.evaluate(() => sessionStorage.getItem('second listener'))).toBe('logout')
    if (watching) expect(errors).toContain('a listener of the app with a bug')
  })

  test('registerTokenProxy called again (a remount, a hot reload) listens once: every proxy hears each event once, and only the latest call decides what LOGOUT does', async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    const heard = await page.evaluate(async () => {
      const heard: string[] = []
      const options = { workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' } }
      const first = await window.registerTokenProxy({ ...options, onLogout: () => heard.push('first onLogout') })
      const second = await window.registerTokenProxy({ ...options, onLogout: () => heard.push('second onLogout') })
      first.on('logout', () => heard.push('first listener'))
      second.on('logout', () => heard.push('second listener'))
      first.on('session', ({ active }) => heard.push(`first session ${active}`))
      second.on('session', ({ active }) => heard.push(`second session ${active}`))
      await second.setTokens({ accessToken: 'a1', refreshToken: 'r1' })
      // Every tab hears LOGOUT from the worker: wait for the app's own handler.
      await new Promise<void>((resolve) => {
        second.on('logout', () => setTimeout(resolve, 0))
        void first.logout()
      })
      return heard
    })
    expect(heard.filter((h) => h.includes('session'))).toEqual(['first session true', 'second session true', 'first session false', 'second session false'])
    expect(heard.filter((h) => !h.includes('session'))).toEqual(['first listener', 'second listener', 'second onLogout'])
  })

  test('a registerTokenProxy call that fails (here: out of time) changes nothing for the proxy the page has: its onLogout still decides', async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    const heard = await page.evaluate(async () => {
      const heard: string[] = []
      const options = { workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' } }
      const kept = await window.registerTokenProxy({ ...options, onLogout: () => heard.push('kept onLogout') })
      await window.registerTokenProxy({ ...options, timeout: 1, onLogout: () => heard.push('failed onLogout') }).catch(() => heard.push('second call rejected'))
      // The worker's answers come in order: once this one is in, the late call has had its own.
      await kept.session()
      await new Promise<void>((resolve) => {
        kept.on('logout', () => setTimeout(resolve, 0))
        void kept.logout()
      })
      return heard
    })
    expect(heard).toEqual(['second call rejected', 'kept onLogout'])
  })

  test('B14 registerTokenProxy rejects once its timeout is over, whatever step it is at', async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    const outcome = await page.evaluate(() =>
      window.registerTokenProxy({ workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' }, timeout: 1 }).then(
        () => 'registered',
        (error: Error) => `${error.name}: ${error.message}`,
      ),
    )
    expect(outcome).toBe('TokenProxyError: Failed to register the token proxy: the worker did not take control of the page and answer within 1 ms.')
  })
})
