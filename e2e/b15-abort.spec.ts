import { expect, test } from './fixtures.js'

declare global {
  interface Window {
    /** What a spec left running in the page, to await later. */
    pending?: Promise<unknown>
    abortVictim?: () => void
  }
}

test.describe('B15 abort', () => {
  test('a proxy.http request aborted while it waits for the refresh is never sent again; the refresh goes on for the others', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    const { accessToken: old } = await login(page)
    server.auth.expireAccessTokens()
    const release = server.hold('/api/auth/refresh')
    await page.evaluate(() => {
      const http = window.tokenProxy.http
      const controller = new AbortController()
      window.abortVictim = () => controller.abort()
      const victim = http.get('/api/me?victim', { signal: controller.signal }).then((r) => r.status, (e: Error) => e.name)
      const others = [0, 1, 2].map((i) => http.get(`/api/me?other=${i}`).then((r) => r.status))
      window.pending = Promise.all([victim, Promise.all(others)])
    })
    // The refresh is under way and the victim has its 401: it waits for the refresh now.
    await server.arrival('/api/auth/refresh')
    await expect.poll(() => server.requestsTo('/api/me').filter((r) => r.search === '?victim').length).toBe(1)
    await page.evaluate(() => window.abortVictim!())
    release()
    expect(await page.evaluate(() => window.pending)).toEqual(['CanceledError', [200, 200, 200]])
    // A sentinel sent after everything settled: a replay of the victim would have arrived before it.
    expect(await page.evaluate(async () => (await fetch('/api/me?sentinel')).status)).toBe(200)
    const victim = server.requestsTo('/api/me').filter((r) => r.search === '?victim')
    // Sent once with the old token before the refresh; never replayed.
    expect(victim.map((r) => [r.status, r.authorization])).toEqual([[401, `Bearer ${old}`]])
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    // The id header is for the worker only: the server never sees it.
    expect(server.requests.some((r) => 'x-token-proxy-request' in r.headers)).toBe(false)
  })

  test('a proxy.http request aborted while queued behind a refresh is not sent at all', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    await login(page)
    server.auth.expireAccessTokens()
    const release = server.hold('/api/auth/refresh')
    await page.evaluate(() => void (window.pending = window.tokenProxy.http.get('/api/me?first').then((r) => r.status)))
    // The refresh runs: a request made now is held back by the worker until it ends.
    await server.arrival('/api/auth/refresh')
    const queued = page.evaluate(() => {
      const controller = new AbortController()
      const queued = window.tokenProxy.http.get('/api/me?queued', { signal: controller.signal }).then((r) => r.status, (e: Error) => e.name)
      controller.abort()
      return queued
    })
    expect(await queued).toBe('CanceledError')
    release()
    expect(await page.evaluate(() => window.pending)).toBe(200)
    expect(await page.evaluate(async () => (await fetch('/api/me?sentinel')).status)).toBe(200)
    expect(server.requestsTo('/api/me').filter((r) => r.search === '?queued')).toEqual([])
  })

  test('raw fetch: Chromium does not tell the worker about an abort, so the replay still goes out', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    await login(page)
    server.auth.expireAccessTokens()
    const release = server.hold('/api/auth/refresh')
    await page.evaluate(() => {
      const controller = new AbortController()
      window.abortVictim = () => controller.abort()
      window.pending = fetch('/api/me?raw', { signal: controller.signal }).then((r) => r.status, (e: Error) => e.name)
    })
    await server.arrival('/api/auth/refresh')
    await page.evaluate(() => window.abortVictim!())
    // The page sees its abort at once, while the refresh is still held.
    expect(await page.evaluate(() => window.pending)).toBe('AbortError')
    release()
    // The worker, not knowing, replays after the refresh.
    await expect.poll(() => server.requestsTo('/api/me').filter((r) => r.search === '?raw').map((r) => r.status)).toEqual([401, 200])
  })
})
