import { recordTokenProxyEvents, tokenProxy } from '../playwright/index.js'
import { expect, loginThroughPage, storedTokens, test } from './fixtures.js'
import { needs } from './engines/limits.js'

test.describe('B17 session boundaries: what the page may know', () => {
  test('proxy.session() and the session event tell every tab whether there is a session and until when, never a token', async ({ page, context, server, openConsole }) => {
    await openConsole(page, 'stay')
    const other = await openConsole(await context.newPage(), 'stay')
    expect(await page.evaluate(() => window.tokenProxy.session())).toEqual({ active: false, expiresAt: null })

    const before = Date.now()
    await loginThroughPage(page)
    const signedIn = await other.evaluate(() => window.tokenProxy.session())
    expect(signedIn).toEqual({ active: true, expiresAt: expect.any(Number) })
    // The demo's tokens live 60 s here.
    expect(signedIn.expiresAt!).toBeGreaterThanOrEqual(before + 59_000)
    expect(signedIn.expiresAt!).toBeLessThanOrEqual(Date.now() + 60_000)
    await expect.poll(() => other.evaluate(() => window.sessionEvents)).toEqual([signedIn])

    await page.evaluate(() => window.tokenProxy.logout())
    await expect.poll(() => other.evaluate(() => window.sessionEvents)).toEqual([signedIn, { active: false, expiresAt: null }])
    expect(await other.evaluate(() => window.tokenProxy.session())).toEqual({ active: false, expiresAt: null })
  })

  test('nothing the session API gives a page holds a token', async ({ page, openConsole }) => {
    await openConsole(page, 'stay')
    await loginThroughPage(page)
    const { accessToken, refreshToken } = (await storedTokens(page)) as { accessToken: string; refreshToken: string }
    const seen = await page.evaluate(async () => {
      const raw = await new Promise((resolve) => {
        const channel = new MessageChannel()
        channel.port1.onmessage = (event) => resolve(event.data)
        navigator.serviceWorker.controller!.postMessage({ tokenProxy: 1, type: 'SESSION' }, [channel.port2])
      })
      return JSON.stringify({ raw, session: await window.tokenProxy.session(), events: window.sessionEvents })
    })
    expect(seen).toContain('"active":true')
    expect(seen).not.toContain(accessToken)
    expect(seen).not.toContain(refreshToken)
  })

  test('a LOGOUT reaching the login page itself does not send it to the login page again', async ({ context, server }) => {
    // The helper records the worker's events with an init script; the page's loads are counted from its events.
    needs('initScript')
    await recordTokenProxyEvents(context)
    const login = await context.newPage()
    let loads = 0
    login.on('load', () => loads++)
    await login.goto(`${server.url}/login`)
    await login.waitForFunction(() => !!navigator.serviceWorker.controller)
    const app = await context.newPage()
    await app.goto(`${server.url}/console?stay`)
    await expect(app.locator('#state')).toHaveAttribute('data-ready', 'true')
    await loginThroughPage(app)
    await app.evaluate(() => window.tokenProxy.logout())
    const helper = tokenProxy(login)
    await expect.poll(async () => (await helper.events()).filter((e) => e.type === 'logout')).toEqual([{ type: 'logout', reason: 'logout' }])
    // A round trip after the LOGOUT: a navigation it started would have torn this page down.
    expect(await login.evaluate(async () => (await fetch('/api/me')).status)).toBe(401)
    expect(login.url()).toBe(`${server.url}/login`)
    expect(loads).toBe(1)
  })
})
