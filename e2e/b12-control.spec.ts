import { expect, registerFromPage, serveWorkerFile, test } from './fixtures.js'
import { needs } from './engines/limits.js'

test.describe('B12 control', () => {
  test('after a hard reload the page is claimed, with no reload loop, and its requests carry the token (Chromium only: a hard reload needs CDP)', async ({ page, server, openConsole, login }) => {
    needs('cdp')
    await openConsole()
    const { accessToken } = await login(page)
    let loads = 0
    page.on('load', () => loads++)
    const cdp = await page.context().newCDPSession(page)
    // Shift+Reload: the browser loads the page without a controller.
    await Promise.all([page.waitForEvent('load'), cdp.send('Page.reload', { ignoreCache: true })])
    await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
    expect(await page.evaluate(() => window.controlledAtStart)).toBe(false)
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(server.requestsTo('/api/me').map((r) => r.authorization)).toEqual([`Bearer ${accessToken}`])
    expect(loads).toBe(1)
  })

  test('B12 a worker scope that does not cover the page fails at once, naming the scope and the fix', async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    // A timeout far beyond the test's own: the rejection cannot come from waiting it out.
    const error = await page.evaluate(() =>
      window
        .registerTokenProxy({ workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' }, scope: '/elsewhere/', timeout: 600_000 })
        .then(() => null, (e: Error) => `${e.name}: ${e.message}`),
    )
    expect(error).toBe(
      "TokenProxyError: Failed to register the token proxy: the worker's scope /elsewhere/ does not cover this page (/console); serve the worker from a folder above the page, such as /sw.js, or let the server allow a wider scope with a Service-Worker-Allowed header.",
    )
  })

  test('B12 another worker that owns the page fails registration at once, naming it', async ({ page, server }) => {
    await serveWorkerFile(server, {}, '/other-sw.js')
    await page.goto(`${server.url}/twin/a?manual`)
    await page.evaluate(async () => {
      await navigator.serviceWorker.register('/other-sw.js', { scope: '/twin/' })
    })
    const error = await page.evaluate(() =>
      window
        .registerTokenProxy({ workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' }, timeout: 600_000 })
        .then(() => null, (e: Error) => `${e.name}: ${e.message}`),
    )
    expect(error).toMatch(/^TokenProxyError: Failed to register the token proxy: another service worker \(\/other-sw\.js, scope \/twin\/\) controls this page/)
  })

  test('B12 a copy of the proxy worker registered at a narrower scope, with other options, is removed and the page is claimed (Chromium: after one reload)', async ({ page, server }) => {
    await page.goto(`${server.url}/twin/a?manual`)
    await registerFromPage(page, '/sw.js?apiPrefix=%2Fapi%2F&refreshUrl=%2Fapi%2Fauth%2Frefresh&other', '/twin/')
    // A later load under that scope, by a page of the app: the copy controls it until the app registers.
    await page.goto(`${server.url}/twin/b?stay`)
    await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
    expect(await page.evaluate(() => new URL(navigator.serviceWorker.controller!.scriptURL).search)).toMatch(/^\?apiPrefix=%2Fapi%2F&refreshUrl=%2Fapi%2Fauth%2Frefresh&loginUrl=/)
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => new URL(r.scope).pathname))).toEqual(['/'])
    // Chromium does not let a worker claim a page from a registration being removed: it loads the page once more (Firefox and WebKit hand it over).
    const loads = server.requestsTo('/twin/b').length
    expect(loads).toBe(test.info().project.name === 'chromium' ? 2 : 1)
  })

  test('B12 the same worker with the same options at a narrower scope serves the page as well', async ({ page, context, server, openConsole }) => {
    await openConsole(page)
    const other = await openConsole(await context.newPage(), 'scope=/twin/', '/twin/a')
    expect(await other.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => new URL(r.scope).pathname).sort())).toEqual(['/', '/twin/'])
    // A page of the app under /twin/ without that scope asked: served by the /twin/ registration, which runs the same file.
    const third = await openConsole(await context.newPage(), '', '/twin/b')
    expect(await third.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.scope)).toBe(`${server.url}/twin/`)
  })

  test('B12 the registration pointed at the worker file with a query of its own is pointed back, and the next load works', async ({ page, server, openConsole }) => {
    await openConsole(page)
    await registerFromPage(page, '/sw.js?x=1', '/')
    // The next load is controlled by the copy, which cannot start (`x` is no option).
    await page.goto(`${server.url}/console?stay`)
    await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
    expect(await page.evaluate(() => navigator.serviceWorker.controller!.scriptURL)).toContain('refreshUrl=')
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(1)
  })
})

test.describe('B14 a worker file that is not there, not JavaScript, or cannot start', () => {
  const register = (page: import('@playwright/test').Page, options: object) =>
    page.evaluate(
      (options) => window.registerTokenProxy({ timeout: 600_000, ...options } as never).then(() => null, (e: Error) => `${e.name}: ${e.message}`),
      options,
    )

  test('a 404 names the URL and how to serve the file', async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    expect(await register(page, { workerUrl: '/no-such-sw.js' })).toBe(
      'TokenProxyError: Failed to register the token proxy: /no-such-sw.js answered 404: serve the worker file there (the Vite plugin from `sw-token-proxy/vite`, or `npx sw-token-proxy init <public folder>`).',
    )
  })

  test("an SPA's fallback page where the worker should be says so", async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    // /login stands for the index.html an SPA server answers every unknown path with.
    expect(await register(page, { workerUrl: '/login' })).toBe(
      "TokenProxyError: Failed to register the token proxy: /login is served as 'text/html', most likely the app\u2019s fallback page: the worker file is not there; serve the worker file there (the Vite plugin from `sw-token-proxy/vite`, or `npx sw-token-proxy init <public folder>`) as JavaScript.",
    )
  })

  test('a worker that cannot start the proxy says why, at once', async ({ page, server }) => {
    const script = decodeURIComponent((await serveWorkerFile(server, {})).replace('script=', ''))
    await page.goto(`${server.url}/console?manual`)
    // A worker file that carries its options, given a URL with options of its own.
    expect(await register(page, { workerUrl: script, worker: { apiPrefix: '/', refreshUrl: '/api/auth/refresh' } })).toBe(
      "TokenProxyOptionsError: Failed to register the token proxy: the worker at /sw-options.js could not start: Failed to configure the token proxy: this worker file carries its own options, so its URL takes none; got '?apiPrefix=%2F&refreshUrl=%2Fapi%2Fauth%2Frefresh'.",
    )
  })

  test('a browser without service workers is told what the page needs', async ({ page, server }) => {
    needs('initScript')
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined }))
    await page.goto(`${server.url}/console?manual`)
    expect(await register(page, { workerUrl: '/sw.js' })).toBe(
      'TokenProxyError: Failed to register the token proxy: this page has no service workers: it needs https (or http on localhost), and a browser window that allows them (Firefox before 138 has none in private windows).',
    )
  })
})
