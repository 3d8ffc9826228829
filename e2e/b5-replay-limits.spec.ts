import { startDemoServer } from '../demo/server/app.js'
import { expect, test, workerQuery } from './fixtures.js'
import { needs } from './engines/limits.js'

/** Uploads `size` bytes to /api/echo from the page; returns the status. */
const upload = (page: import('@playwright/test').Page, size: number) =>
  page.evaluate(async (n) => (await fetch('/api/echo', { method: 'POST', body: new Blob([new Uint8Array(n).fill(7)]) })).status, size)

test.describe('B5 faithful replay: limits', () => {
  test('a body above maxReplayBytes is sent once and its 401 goes to the page, after the refresh', async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    await login(page)
    server.auth.expireAccessTokens()
    expect(await upload(page, 1_500_000)).toBe(401)
    expect(server.requestsTo('/api/echo').map((r) => [r.status, r.headers['content-length']])).toEqual([[401, '1500000']])
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    // The page's own retry goes through with the new token.
    expect(await upload(page, 1_500_000)).toBe(200)
  })

  test('a larger maxReplayBytes replays the same upload', async ({ page, server, openConsole, login }) => {
    await openConsole(page, workerQuery({ maxReplayBytes: 4_000_000 }))
    await login(page)
    server.auth.expireAccessTokens()
    expect(await upload(page, 1_500_000)).toBe(200)
    const [first, replay] = server.requestsTo('/api/echo')
    expect([first!.status, replay!.status]).toEqual([401, 200])
    expect(replay!.bodySha256).toBe(first!.bodySha256)
  })

  test('a streamed body is read once, then replayed whole (not in Firefox or WebKit: neither has streamed request bodies)', async ({ page, server, openConsole, login }) => {
    needs('streamedUpload')
    await openConsole(page)
    await login(page)
    server.auth.expireAccessTokens()
    const status = await page.evaluate(async () => {
      const body = new ReadableStream({
        start(controller) {
          for (const part of ['str', 'eam', 'ed']) controller.enqueue(new TextEncoder().encode(part))
          controller.close()
        },
      })
      return (await fetch('/api/echo', { method: 'POST', body, duplex: 'half' } as RequestInit)).status
    })
    expect(status).toBe(200)
    const [first, replay] = server.requestsTo('/api/echo')
    expect([first!.status, replay!.status]).toEqual([401, 200])
    expect(replay!.headers['content-length']).toBe('8')
    expect(replay!.bodySha256).toBe(first!.bodySha256)
  })
})

test.describe('B5 faithful replay: request attributes', () => {
  test('credentials, referrer policy and cache mode are the same on the replay', async ({ page, context, server, openConsole, login }) => {
    await context.addCookies([{ name: 'flavour', value: 'oat', url: server.url }])
    await openConsole(page)
    await login(page)
    const attempts = async (init: RequestInit) => {
      server.requests.length = 0
      server.auth.expireAccessTokens()
      expect(await page.evaluate(async (i) => (await fetch('/api/echo', i)).status, init as never)).toBe(200)
      const [first, replay] = server.requestsTo('/api/echo')
      expect([first!.status, replay!.status]).toEqual([401, 200])
      return [first!, replay!]
    }
    // (`credentials: 'omit'` is the page's opt-out: such a request is not the worker's; see B2.)
    const sameOrigin = await attempts({ credentials: 'same-origin' })
    expect(sameOrigin.map((r) => r.headers.cookie)).toEqual(['flavour=oat', 'flavour=oat'])
    const include = await attempts({ credentials: 'include' })
    expect(include.map((r) => r.headers.cookie)).toEqual(['flavour=oat', 'flavour=oat'])
    const noReferrer = await attempts({ referrerPolicy: 'no-referrer' })
    expect(noReferrer.map((r) => r.headers.referer ?? null)).toEqual([null, null])
    const referrer = await attempts({})
    expect(referrer.map((r) => r.headers.referer)).toEqual([`${server.url}/console`, `${server.url}/console`])
    const reload = await attempts({ cache: 'reload' })
    expect(reload.map((r) => r.headers.pragma)).toEqual(['no-cache', 'no-cache'])
  })

  test("redirect 'manual' and integrity are kept on the replay", async ({ page, server, openConsole, login }) => {
    await openConsole(page)
    await login(page)
    server.auth.expireAccessTokens()
    const manual = await page.evaluate(async () => {
      const response = await fetch('/api/redirect?to=/api/me', { redirect: 'manual' })
      return response.type
    })
    expect(manual).toBe('opaqueredirect')
    expect(server.requestsTo('/api/redirect').map((r) => r.status)).toEqual([302])
    expect(server.requestsTo('/api/me')).toHaveLength(0)

    server.auth.expireAccessTokens()
    const integrity = await page.evaluate(async () =>
      fetch('/api/echo', { method: 'POST', body: 'x', integrity: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }).then(
        (r) => `status ${r.status}`,
        (e: Error) => e.name,
      ),
    )
    expect(integrity).toBe('TypeError')
  })

  test('a redirect to another origin never carries the token', async ({ page, server, openConsole, login }) => {
    const other = await startDemoServer()
    try {
      await openConsole(page)
      const { accessToken } = await login(page)
      const status = await page.evaluate(async (to) => (await fetch(`/api/redirect?to=${encodeURIComponent(to)}`)).status, `${other.url}/apix/echo`)
      expect(status).toBe(200)
      expect(server.requestsTo('/api/redirect').map((r) => r.authorization)).toEqual([`Bearer ${accessToken}`])
      // Firefox asks the other origin with a CORS preflight first (measured in Firefox 153); it carries no token either.
      expect(other.requestsTo('/apix/echo').filter((r) => r.method !== 'OPTIONS').map((r) => r.authorization)).toEqual([null])
      expect(other.requestsTo('/apix/echo').every((r) => r.authorization === null)).toBe(true)
    } finally {
      await other.close()
    }
  })
})
