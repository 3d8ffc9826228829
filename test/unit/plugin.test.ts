import { describe, expect, it } from 'vitest'
import { normalizeOptions } from '../../common/options.js'
import { createSessionCaches } from '../../sw/caches.js'
import { createCoordinator } from '../../sw/coordinator.js'
import { createMatcher } from '../../sw/match.js'
import { createPlugin } from '../../sw/plugin.js'
import { FakeStore } from './fake-store.js'

const ORIGIN = 'https://app.example'

function plugin() {
  const options = normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' }, ORIGIN)
  const store = new FakeStore({ accessToken: 'a1', refreshToken: 'r1' })
  const coordinator = createCoordinator({ store, refresh: async () => ({ kind: 'unavailable', reason: 'x' }), lock: (task) => task(), onRefreshed: () => {}, endSession: () => {} })
  const sessions = { epoch: 0, boundary: async () => {} } as ReturnType<typeof createSessionCaches>
  return { plugin: createPlugin({ login: coordinator, for: () => coordinator }, options, createMatcher(options, ORIGIN), sessions), sessions }
}

const request = new Request(`${ORIGIN}/api/items`)
const event = {} as Parameters<NonNullable<ReturnType<typeof createPlugin>['requestWillFetch']>>[0]['event']

describe('B17 the plugin never caches what a session must not keep', () => {
  it.each([401, 403, 500, 206])('a %i is not cached', async (status) => {
    const { plugin: p } = plugin()
    expect(await p.cacheWillUpdate!({ request, response: new Response(null, { status }), event, state: { session: 0 } })).toBeNull()
  })

  it('a 200 of this session is; one of a session that ended while it was on its way is not', async () => {
    const { plugin: p, sessions } = plugin()
    const response = new Response('[]')
    expect(await p.cacheWillUpdate!({ request, response, event, state: { session: 0 } })).toBe(response)
    ;(sessions as { epoch: number }).epoch = 1
    expect(await p.cacheWillUpdate!({ request, response, event, state: { session: 0 } })).toBeNull()
  })

  it('an answer that passed cacheWillUpdate but was written after its session ended is taken out again', async () => {
    const { plugin: p, sessions } = plugin()
    const deleted: [string, string][] = []
    const storage = { open: async (name: string) => ({ delete: async (key: Request) => (deleted.push([name, key.url]), true) }) }
    Object.assign(globalThis, { caches: storage })
    try {
      const response = new Response('[]')
      // Written in the session it was sent in: left alone.
      await p.cacheDidUpdate!({ cacheName: 'api-reads', request, newResponse: response, event, state: { session: 0 } })
      expect(deleted).toEqual([])
      // The session ended between cacheWillUpdate and the write.
      ;(sessions as { epoch: number }).epoch = 1
      await p.cacheDidUpdate!({ cacheName: 'api-reads', request, newResponse: response, event, state: { session: 0 } })
      expect(deleted).toEqual([['api-reads', request.url]])
    } finally {
      delete (globalThis as { caches?: unknown }).caches
    }
  })

  it('a request outside the allowlist passes untouched, with no token (B2)', async () => {
    const { plugin: p } = plugin()
    const outside = new Request(`${ORIGIN}/assets/app.js`)
    expect(await p.requestWillFetch!({ request: outside, event, state: {} })).toBe(outside)
    const elsewhere = new Request('https://cdn.example/api/x')
    expect(await p.requestWillFetch!({ request: elsewhere, event, state: {} })).toBe(elsewhere)
  })

  it('an API request gets the stored token', async () => {
    const { plugin: p } = plugin()
    const sent = await p.requestWillFetch!({ request, event, state: {} })
    expect(sent.headers.get('Authorization')).toBe('Bearer a1')
  })
})
