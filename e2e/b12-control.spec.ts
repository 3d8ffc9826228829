import { expect, test } from './fixtures.js'

test.describe('B12 control', () => {
  test('after a hard reload the page is claimed, with no reload loop, and its requests carry the token', async ({ page, server, openConsole, login }) => {
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

  test('a worker that can never control the page fails registration with a clear error, in time', async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    const outcome = await page.evaluate(async () => {
      const started = performance.now()
      const error = await window
        .registerTokenProxy({
          workerUrl: '/sw.js',
          worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' },
          scope: '/elsewhere/',
          timeout: 1_500,
        })
        .then(() => null, (e: Error) => `${e.name}: ${e.message}`)
      return { error, ms: performance.now() - started }
    })
    expect(outcome.error).toBe(
      'TokenProxyError: Failed to register the token proxy: the worker did not take control of the page within 1500 ms; check that its scope covers /console.',
    )
    expect(outcome.ms).toBeLessThan(10_000)
  })
})
