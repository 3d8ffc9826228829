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
})
