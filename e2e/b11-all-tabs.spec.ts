import type { Page } from '@playwright/test'
import { expect, test, workerQuery } from './fixtures.js'
import { needs } from './engines/limits.js'

/** `count` concurrent requests, fetch and axios by turns, to distinct URLs (the HTTP cache lock sends identical GETs one by one). */
const burst = (tab: Page, count: number) =>
  tab.evaluate(
    (n) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          i % 2 ? fetch(`/api/me?i=${i}`).then((r) => r.status) : window.tokenProxy.http.get(`/api/me?i=${i}`).then((r) => r.status),
        ),
      ),
    count,
  )

test.describe('B11 all tabs', () => {
  test('4 tabs x 25 concurrent requests at expiry, rotation and reuse detection on: 1 refresh, 0 reuses, 0 logouts', async ({ page, context, server, openConsole, login }) => {
    const tabs = [await openConsole(page)]
    for (let i = 0; i < 3; i++) tabs.push(await openConsole(await context.newPage()))
    await login(page)
    server.auth.expireAccessTokens()
    server.faults.refreshDelayMs = 200

    const statuses = (await Promise.all(tabs.map((tab) => burst(tab, 25)))).flat()
    expect(statuses).toEqual(Array(100).fill(200))
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    expect(server.auth.stats.reuseDetections).toBe(0)
    for (const tab of tabs) {
      await expect.poll(() => tab.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'refresh', reason: 'unauthorized' }])
    }
  })

  test('two workers of one origin (two scopes) share one refresh under the Web Lock', async ({ page, context, server, openConsole, login }) => {
    const a = await openConsole(page, 'scope=/twin/a', '/twin/a')
    const b = await openConsole(await context.newPage(), 'scope=/twin/b', '/twin/b')
    const scopes = await Promise.all([a, b].map((tab) => tab.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.scope)))
    expect(scopes).toEqual([`${server.url}/twin/a`, `${server.url}/twin/b`])
    await login(a)
    server.auth.expireAccessTokens()
    // Slow enough that both workers see their 401s while the first refresh runs.
    server.faults.refreshDelayMs = 500

    const statuses = (await Promise.all([burst(a, 10), burst(b, 10)])).flat()
    expect(statuses).toEqual(Array(20).fill(200))
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    expect(server.auth.stats.reuseDetections).toBe(0)
  })

  test('logout in a tab of one registration logs out the tabs and the worker of another', async ({ page, context, server, openConsole, login }) => {
    const a = await openConsole(page, 'scope=/twin/a&stay', '/twin/a')
    const b = await openConsole(await context.newPage(), 'scope=/twin/b&stay', '/twin/b')
    await login(a)
    expect(await b.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    await b.evaluate(() => window.tokenProxy.logout())
    await expect.poll(() => a.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'logout' }])
    // Worker A forgot its copy of the tokens: its next request goes without one.
    expect(await a.evaluate(async () => (await fetch('/api/me?after')).status)).toBe(401)
    expect(server.requestsTo('/api/me').at(-1)!.authorization).toBeNull()
  })

  test('LOGOUT reaches a tab the worker does not control (Chromium only: a hard reload needs CDP)', async ({ page, context, server, openConsole, login }) => {
    needs('cdp')
    await openConsole(page, 'stay')
    await login(page)
    // A hard reload leaves this tab uncontrolled; with ?manual nothing asks for control.
    const loose = await context.newPage()
    await loose.goto(`${server.url}/console?manual`)
    const cdp = await context.newCDPSession(loose)
    await Promise.all([loose.waitForEvent('load'), cdp.send('Page.reload', { ignoreCache: true })])
    expect(await loose.evaluate(() => navigator.serviceWorker.controller)).toBeNull()
    await loose.evaluate(() => {
      const seen: unknown[] = ((window as unknown as { seen: unknown[] }).seen = [])
      navigator.serviceWorker.addEventListener('message', (event) => seen.push(event.data))
      navigator.serviceWorker.startMessages()
    })

    await page.evaluate(() => window.tokenProxy.logout())
    await expect
      .poll(() => loose.evaluate(() => (window as unknown as { seen: { type: string }[] }).seen.filter((m) => m.type === 'LOGOUT')))
      .toEqual([{ tokenProxy: 1, type: 'LOGOUT', reason: 'logout' }])
  })
})

test.describe('worker updates', () => {
  test('B11 a new worker version takes over mid-traffic: no request fails, tokens survive', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    const { accessToken } = await login(page)
    type Traffic = { held: Promise<number[]>; during: Promise<number[]>; changed: Promise<unknown> }
    // A changed sw.js is deployed and the page asks for it; the server holds the script...
    server.deployment.workerBuild = 2
    const releaseScript = server.hold('/sw.js')
    const releaseApi = server.hold('/api/slow')
    await page.evaluate(async () => {
      const state: Partial<Traffic> = {}
      ;(window as unknown as { traffic: Partial<Traffic> }).traffic = state
      state.changed = new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }))
      void (await navigator.serviceWorker.getRegistration())!.update()
    })
    await server.arrival('/sw.js', 2)
    // ...while requests are in flight through the current version, held too (distinct URLs, or
    // the HTTP cache lock sends them one by one; 4, below Chromium's 6 connections per host).
    await page.evaluate(() => {
      const state = (window as unknown as { traffic: Traffic }).traffic
      state.held = Promise.all([0, 1, 2, 3].map((i) => fetch(`/api/slow?ms=0&i=${i}`).then((r) => r.status)))
    })
    await server.arrival('/api/slow', 4)
    // The new version installs, and waits for the old one's requests to finish; more arrive meanwhile.
    releaseScript()
    await page.evaluate(async () => {
      const state = (window as unknown as { traffic: Traffic }).traffic
      const registration = (await navigator.serviceWorker.getRegistration())!
      const next = registration.installing ?? registration.waiting
      if (next?.state === 'installing') await new Promise((resolve) => next.addEventListener('statechange', resolve, { once: true }))
      state.during = Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`/api/me?during=${i}`).then((r) => r.status)))
    })
    releaseApi()
    const outcome = await page.evaluate(async () => {
      const state = (window as unknown as { traffic: Traffic }).traffic
      await state.changed
      return { held: await state.held, during: await state.during }
    })

    expect(outcome).toEqual({ held: Array(4).fill(200), during: Array(10).fill(200) })
    expect(server.requestsTo('/sw.js')).toHaveLength(2)
    // The new version has the tokens the old one stored: no refresh, no login.
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(new Set(server.requestsTo('/api/me').map((r) => r.authorization))).toEqual(new Set([`Bearer ${accessToken}`]))
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(0)
    expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([])
  })

  test('B14 a page of another protocol version is told which versions differ', async ({ page, openConsole }) => {
    await openConsole(page)
    const answer = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const channel = new MessageChannel()
          channel.port1.onmessage = (event) => resolve(event.data)
          navigator.serviceWorker.controller!.postMessage({ tokenProxy: 2, type: 'HELLO' }, [channel.port2])
        }),
    )
    expect(answer).toEqual({
      tokenProxy: 1,
      type: 'RESULT',
      ok: false,
      version: 1,
      error: 'the page speaks token proxy protocol 2, this worker 1',
    })
  })
})

test.describe('page trust', () => {
  test("B14 a REFRESHED from a worker that is not this page's controller is ignored; a LOGOUT is not", async ({ page, context, server, openConsole, login }) => {
    const a = await openConsole(page, 'scope=/twin/a&stay', '/twin/a')
    const b = await openConsole(await context.newPage(), 'scope=/twin/b&stay', '/twin/b')
    await login(a)
    server.auth.expireAccessTokens()
    // Worker B refreshes for tab B and tells every window of the origin; tab A is not its client.
    expect(await b.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    await expect.poll(() => b.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'refresh', reason: 'unauthorized' }])
    // The sentinel: worker B's LOGOUT, which tab A does take, comes to A after B's REFRESHED did.
    await b.evaluate(() => window.tokenProxy.logout())
    await expect.poll(() => a.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'logout' }])
  })
})
