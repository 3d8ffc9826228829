import { createHash } from 'node:crypto'
import type { Page } from '@playwright/test'
import { expect, test, authorizations } from './fixtures.js'

/** HTTP clients an app may already use: none is told about the proxy (plain axios, not `proxy.http`). */
const CLIENTS = ['fetch', 'axios (XHR adapter)', 'axios (fetch adapter)', 'ky'] as const
type Client = (typeof CLIENTS)[number]

interface Answer {
  status: number
  data: Record<string, unknown>
}

/** Sends one request from the page with `client`; `body` goes as JSON. */
function send(page: Page, client: Client, method: 'GET' | 'POST', path: string, body?: object): Promise<Answer> {
  return page.evaluate(
    async ({ client, method, path, body }) => {
      const { axios, ky } = await window.clients()
      const json = body === undefined ? undefined : JSON.stringify(body)
      switch (client) {
        case 'fetch': {
          const response = await fetch(path, { method, body: json, headers: json ? { 'Content-Type': 'application/json' } : {} })
          return { status: response.status, data: await response.json() }
        }
        case 'axios (XHR adapter)':
        case 'axios (fetch adapter)': {
          const adapter = client === 'axios (XHR adapter)' ? 'xhr' : 'fetch'
          const { status, data } = await axios.request({ url: path, method, data: body, adapter })
          return { status, data }
        }
        case 'ky': {
          const response = await ky(path, { method, json: body })
          return { status: response.status, data: await response.json<Record<string, unknown>>() }
        }
      }
    },
    { client, method, path, body },
  )
}

/** `EventSource.readyState` values (Node has no EventSource to take them from). */
const CONNECTING = 0
const OPEN = 1
const CLOSED = 2

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

test.describe('Any client', () => {
  for (const client of CLIENTS) {
    test(`B1 + B3 ${client}: gets the token, and after the server expires it, one refresh and a replay with the new one`, async ({ page, server, openConsole, login }) => {
      await openConsole()
      const { accessToken: first } = await login(page)
      expect(await send(page, client, 'GET', '/api/me')).toEqual({ status: 200, data: { user: 'ada', sid: expect.any(String) } })
      expect(authorizations(server, '/api/me')).toEqual([`Bearer ${first}`])

      // The worker still thinks the token good (it expires in a minute): the server's 401 is what it learns from.
      server.auth.expireAccessTokens()
      const body = { client, note: 'sent twice, byte for byte' }
      const answer = await send(page, client, 'POST', '/api/echo', body)
      expect(answer).toEqual({ status: 200, data: expect.objectContaining({ method: 'POST', sha256: sha256(JSON.stringify(body)) }) })
      expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
      const echoes = server.requestsTo('/api/echo')
      expect(echoes.map((r) => [r.status, r.authorization === `Bearer ${first}`])).toEqual([[401, true], [200, false]])
      const renewed = echoes[1]!.authorization
      expect(server.auth.verify(renewed ?? undefined)).toEqual(expect.objectContaining({ user: 'ada' }))

      // And the next request goes out with the new token at once.
      expect((await send(page, client, 'GET', '/api/me')).status).toBe(200)
      expect(authorizations(server, '/api/me')).toEqual([`Bearer ${first}`, renewed])
      expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    })
  }
})

/**
 * EventSource takes no headers from the page, so a bearer token can't be
 * given to it at all; the worker is the only way one gets there.
 * Measured in Chromium 156, and pinned here:
 * - an EventSource to a same-origin API path is a fetch the worker handles
 *   (`Sec-Fetch-Mode: cors`, `Sec-Fetch-Dest: empty`): the server gets
 *   `Authorization: Bearer …`;
 * - the stream passes through the worker's `respondWith` as it comes: the
 *   first event arrives while the server keeps the response open;
 * - `close()` in the page ends the upstream request too: the server sees
 *   the client go away;
 * - a 401 at connect (or at any reconnect) is refreshed and replayed like any
 *   request, with `Accept: text/event-stream` kept; the page sees only the
 *   stream;
 * - when the refresh is rejected the EventSource gets the 401 and closes for
 *   good (`readyState` 2: browsers don't reconnect after a non-200), and
 *   the page gets LOGOUT.
 */
test.describe('EventSource', () => {
  /** Opens an EventSource on `url` and resolves with its first event's data and state. */
  const firstEvent = (page: Page, url: string) =>
    page.evaluate(
      (url) =>
        new Promise<{ data: string; readyState: number }>((resolve, reject) => {
          const source = new EventSource(url)
          ;(window as unknown as { source: EventSource }).source = source
          source.onmessage = (event) => resolve({ data: event.data as string, readyState: source.readyState })
          source.onerror = () => reject(new Error(`EventSource error, readyState ${source.readyState}`))
        }),
      url,
    )
  const close = (page: Page) => page.evaluate(() => (window as unknown as { source: EventSource }).source.close())

  test('B1 the worker adds the token to an EventSource; the stream flows through it; close() reaches the server', async ({ page, server, openConsole, login }) => {
    await openConsole()
    const { accessToken } = await login(page)
    expect(await firstEvent(page, '/api/events')).toEqual({ data: 'ada', readyState: OPEN })
    // The server records the request when the stream is over: still open now.
    expect(server.requestsTo('/api/events')).toEqual([])
    expect(server.arrivals.filter((path) => path === '/api/events')).toHaveLength(1)

    await close(page)
    await expect.poll(() => server.requestsTo('/api/events').length).toBe(1)
    const [record] = server.requestsTo('/api/events')
    expect(record).toMatchObject({ status: 200, authorization: `Bearer ${accessToken}`, aborted: true })
    expect(record!.headers).toMatchObject({ accept: 'text/event-stream', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' })
  })

  test('B3 a 401 when an EventSource connects is refreshed and replayed; the page sees only the stream', async ({ page, server, openConsole, login }) => {
    await openConsole()
    const { accessToken: first } = await login(page)
    server.auth.expireAccessTokens()
    expect(await firstEvent(page, '/api/events')).toEqual({ data: 'ada', readyState: OPEN })
    await close(page)

    await expect.poll(() => server.requestsTo('/api/events').length).toBe(2)
    const [rejected, replay] = server.requestsTo('/api/events')
    expect([rejected!.status, rejected!.authorization]).toEqual([401, `Bearer ${first}`])
    expect(replay!.status).toBe(200)
    expect(replay!.authorization).not.toBe(`Bearer ${first}`)
    expect(replay!.headers.accept).toBe('text/event-stream')
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
  })

  test('B3 + B7 reconnects go through the worker: an expired token is refreshed, a rejected refresh closes the EventSource', async ({ page, server, openConsole, login }) => {
    // `stay`: record LOGOUT instead of going to the login page, to look at the EventSource after it.
    await openConsole(page, 'stay')
    const { accessToken: first } = await login(page)
    // The server ends each stream after its event; the browser reconnects 100 ms later.
    await page.evaluate(() => {
      const log = { events: 0, errors: [] as number[] }
      ;(window as unknown as { log: typeof log }).log = log
      const source = new EventSource('/api/events?reconnect=100')
      source.onmessage = () => log.events++
      source.onerror = () => log.errors.push(source.readyState)
    })
    const log = () => page.evaluate(() => (window as unknown as { log: { events: number; errors: number[] } }).log)
    await expect.poll(async () => (await log()).events).toBeGreaterThanOrEqual(2)

    server.auth.expireAccessTokens()
    const before = (await log()).events
    await expect.poll(async () => (await log()).events).toBeGreaterThanOrEqual(before + 2)
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
    const records = server.requestsTo('/api/events')
    const at = records.findIndex((r) => r.status === 401)
    expect(at).toBeGreaterThan(0)
    expect(records.slice(0, at).every((r) => r.status === 200 && r.authorization === `Bearer ${first}`)).toBe(true)
    expect(records[at]!.authorization).toBe(`Bearer ${first}`)
    const renewed = records[at + 1]!.authorization
    expect(renewed).not.toBe(`Bearer ${first}`)
    expect(records.slice(at + 1).every((r) => r.status === 200 && r.authorization === renewed)).toBe(true)
    // Every end of stream so far was a reconnect (readyState 0), never a failure.
    expect((await log()).errors.every((state) => state === CONNECTING)).toBe(true)

    server.auth.revokeSessions()
    await expect.poll(async () => (await log()).errors.at(-1)).toBe(CLOSED)
    expect(server.requestsTo('/api/events').at(-1)!.status).toBe(401)
    expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([200, 400])
    await expect.poll(() => page.evaluate(() => window.tokenProxyEvents)).toEqual([
      { type: 'refresh', reason: 'unauthorized' },
      { type: 'logout', reason: 'refresh-rejected' },
    ])
  })
})
