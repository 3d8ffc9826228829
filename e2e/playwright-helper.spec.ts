/**
 * The Playwright helper as an app's suite uses it: the app imports
 * `sw-token-proxy/playwright`; here it is the source of that entry, merged
 * with this suite's demo server fixture.
 */
import { mergeTests, type Page } from '@playwright/test'
import { test as proxyTest, tokenProxy as helperFor } from '../playwright/index.js'
import { authorizations, expect, test as demoTest } from './fixtures.js'
import { can, needs } from './engines/limits.js'

const test = mergeTests(demoTest, proxyTest)

const status = (page: Page, path: string) => page.evaluate(async (path) => (await fetch(path)).status, path)

test.describe('sw-token-proxy/playwright', () => {
  // The helper takes Playwright's own pages and records with an init script; Playwright's WebKit has one.
  test.beforeEach(() => needs('initScript'))

  test('B9 + B10 control, tokens, expiry now, a stopped and a restarted worker (Chromium only: CDP; elsewhere the error that says so), logout, and the events of each', async ({ page, server, tokenProxy }) => {
    await page.goto(`${server.url}/console?stay`)
    await tokenProxy.waitForControl()
    const { accessToken, refreshToken } = server.auth.login('ada')
    await tokenProxy.setTokens({ accessToken, refreshToken })
    expect(await status(page, '/api/me?1')).toBe(200)
    expect(authorizations(server, '/api/me')).toEqual([`Bearer ${accessToken}`])

    // Expired in the worker's eyes only: the next request refreshes ahead (B10), no 401 round trip.
    await tokenProxy.expireAccessToken()
    expect(await status(page, '/api/me?2')).toBe(200)
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    expect(authorizations(server, '/api/me')[1]).not.toBe(`Bearer ${accessToken}`)
    expect(await tokenProxy.events()).toContainEqual({ type: 'refresh', reason: 'expiry' })

    if (can('cdp')) {
      expect(await tokenProxy.workerStatus()).toBe('running')
      await tokenProxy.stopWorker()
      expect(await tokenProxy.workerStatus()).toBe('stopped')
      expect(await status(page, '/api/me?3')).toBe(200) // started again by the request, tokens from IndexedDB (B9)
      expect(await tokenProxy.workerStatus()).toBe('running')

      await tokenProxy.restartWorker()
      expect(await tokenProxy.workerStatus()).toBe('running')
    } else {
      // Elsewhere the CDP calls say which engine lacks what, and what to do instead; nothing else is affected.
      const engine = test.info().project.use.browserName!
      for (const call of [tokenProxy.stopWorker, tokenProxy.restartWorker, tokenProxy.workerStatus]) {
        await expect(call()).rejects.toThrow(`need the Chrome DevTools Protocol, which ${engine} does not have`)
      }
    }
    expect(await status(page, '/api/me?4')).toBe(200)
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)

    await tokenProxy.logout()
    // As proxy.on hears them: the refresh, the logout, and the session as it changed (signed in, expired now, refreshed, ended).
    await expect.poll(async () => (await tokenProxy.events()).filter((e) => e.type !== 'session')).toEqual([
      { type: 'refresh', reason: 'expiry' },
      { type: 'logout', reason: 'logout' },
    ])
    const sessions = (await tokenProxy.events()).flatMap((e) => (e.type === 'session' ? [e.session] : []))
    expect(sessions.map((session) => session.active)).toEqual([true, true, true, false])
    expect(sessions[1]!.expiresAt).toBeLessThan(sessions[2]!.expiresAt!)
    expect(await status(page, '/api/me?5')).toBe(401)
    expect(authorizations(server, '/api/me').at(-1)).toBeNull()
  })

  test('B14 says what is wrong: no worker controls the page, events not recorded, nothing to expire', async ({ browser, server, tokenProxy, page }) => {
    const context = await browser.newContext()
    const bare = helperFor(await context.newPage())
    await expect(bare.setTokens({ accessToken: 'a' })).rejects.toThrow('sw-token-proxy: no service worker controls this page; call waitForControl() first')
    await expect(bare.stopWorker()).rejects.toThrow('no service worker controls this page')
    await expect(bare.events()).rejects.toThrow('events are not recorded')
    await context.close()

    await page.goto(`${server.url}/console?stay`)
    await tokenProxy.waitForControl()
    await expect(tokenProxy.expireAccessToken()).rejects.toThrow('sw-token-proxy: there are no tokens to expire')
  })
})
