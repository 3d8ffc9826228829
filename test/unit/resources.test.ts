import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { normalizeOptions, type Resource, type TokenProxyOptions } from '../../common/options.js'
import { optionsFromQuery, optionsToQuery } from '../../common/query.js'
import type { Tokens } from '../../common/tokens.js'
import { createMatcher } from '../../sw/match.js'
import { classifyRefreshResponse, refreshInit, type RefreshResult } from '../../sw/refresh.js'
import { apiAnswers, NoToken, proxyRequest, tokensToSend } from '../../sw/request.js'
import { createCoordinators, loginTokenStore, resourceStore, UNMINTED } from '../../sw/resources.js'
import { bindingOf } from '../../sw/store.js'
import { FakeStore } from './fake-store.js'

const ORIGIN = 'https://app.example'
const BILLING = 'https://billing.example'
const base = {
  apiPrefix: ['/api/', '/v1/'],
  refreshUrl: '/oidc/token',
  refreshProtocol: 'oauth2',
  clientId: 'spa',
  trustedOrigins: [BILLING],
} as const satisfies TokenProxyOptions
const resources = { [`${BILLING}/v1/`]: BILLING, '/api/files/': 'urn:files', '/api/files/archive/': 'urn:archive' }
const options = (more: Partial<TokenProxyOptions> = {}) => normalizeOptions({ ...base, resources, ...more }, ORIGIN)

/** One at a time, in order, as the Web Lock runs the refreshes of every worker of the origin. */
function mutex() {
  let chain: Promise<unknown> = Promise.resolve()
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = chain.then(task)
    chain = run.catch(() => {})
    return run
  }
}

describe('B19 resources: the option', () => {
  it('keeps each prefix as origin and path, longest first, with its indicator', () => {
    expect(options().resources).toStrictEqual([
      { origin: ORIGIN, path: '/api/files/archive', indicator: 'urn:archive' },
      { origin: ORIGIN, path: '/api/files', indicator: 'urn:files' },
      { origin: BILLING, path: '/v1', indicator: BILLING },
    ])
    expect(options().resourceParameter).toBe('resource')
    expect(options({ resourceParameter: 'audience' }).resourceParameter).toBe('audience')
  })

  it.each<[Partial<TokenProxyOptions>, RegExp]>([
    [{ refreshProtocol: 'json', clientId: undefined }, /`resources` must be left out unless `refreshProtocol` is 'oauth2'/],
    [{ resources: { '/elsewhere/': 'urn:x' } }, /`resources\['\/elsewhere\/'\]` must be keyed by an API's URL prefix under `apiPrefix`/],
    [{ resources: { 'https://evil.example/v1/': 'urn:x' } }, /`resources\['https:\/\/evil.example\/v1\/'\]` must be keyed by an API's URL prefix/],
    [{ resources: { '/api/files/?x=1': 'urn:x' } }, /must be keyed by an API's URL prefix/],
    [{ resources: { '/api/files/': 'files' } }, /`resources\['\/api\/files\/'\]` must be a resource indicator: an absolute URI without a fragment/],
    [{ resources: { '/api/files/': 'https://files.example/#x' } }, /must be a resource indicator/],
    [{ resources: { '/api/files/': 7 } as never }, /must be a resource indicator/],
    [{ resources: ['urn:x'] as never }, /`resources` must be an object/],
    [{ resourceParameter: 'refresh_token' }, /`resourceParameter` must be a form parameter name/],
    [{ resourceParameter: 'a b' }, /`resourceParameter` must be a form parameter name/],
  ])('refuses %j, naming the option', (more, message) => {
    expect(() => options(more)).toThrow(message)
  })

  it('resourceParameter only with oauth2', () => {
    expect(() => normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', resourceParameter: 'audience' }, ORIGIN)).toThrow(/`resourceParameter` must be left out unless/)
  })

  it('round-trips through the worker URL, same-origin prefixes (other origins need trustedOrigins, which the URL refuses)', () => {
    const given = { apiPrefix: '/api/', refreshUrl: '/oidc/token', refreshProtocol: 'oauth2', clientId: 'spa', resources: { '/api/files/': 'urn:files' } } as const
    const query = optionsToQuery(given)
    expect(query).toContain('resources.%2Fapi%2Ffiles%2F=urn%3Afiles')
    expect(normalizeOptions(optionsFromQuery(query), ORIGIN)).toStrictEqual(normalizeOptions(given, ORIGIN))
  })

  it('binds the session: a worker that sends tokens to other APIs reads none of it; without resources, the binding of earlier versions', () => {
    const without = normalizeOptions(base, ORIGIN)
    expect(bindingOf(options())).not.toBe(bindingOf(without))
    expect(bindingOf(options())).not.toBe(bindingOf(options({ resources: { '/api/files/': 'urn:other' } })))
    expect(bindingOf(without)).not.toContain('resource')
  })
})

describe('B19 the grant for a resource', () => {
  const tokens: Tokens = { accessToken: 'access-1', refreshToken: 'refresh-1' }
  const [archive, files] = options({ scope: 'openid offline_access' }).resources as [Resource, Resource]

  it('names the resource (RFC 8707 §2.2) and leaves the scope to the grant; the login token asks for the scope', () => {
    const form = (resource?: Resource, more: Partial<TokenProxyOptions> = {}) =>
      Object.fromEntries(refreshInit(options({ scope: 'openid offline_access', ...more }), tokens, resource).body as URLSearchParams)
    expect(form(files)).toStrictEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-1', client_id: 'spa', resource: 'urn:files' })
    expect(form(archive, { resourceParameter: 'audience' })).toStrictEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-1', client_id: 'spa', audience: 'urn:archive' })
    expect(form()).toStrictEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-1', client_id: 'spa', scope: 'openid offline_access' })
  })

  it('invalid_target is a refusal of that resource, ending nothing; invalid_grant still ends the session', async () => {
    const answer = (error: string) => new Response(JSON.stringify({ error }), { status: 400 })
    expect(await classifyRefreshResponse(answer('invalid_target'), tokens, 0, 'oauth2')).toStrictEqual({ kind: 'refused', reason: 'status 400 (error: invalid_target)' })
    expect(await classifyRefreshResponse(answer('invalid_grant'), tokens, 0, 'oauth2')).toStrictEqual({ kind: 'rejected' })
  })
})

describe('B19 which token goes where', () => {
  const normalized = options()
  const matcher = createMatcher(normalized, ORIGIN)
  const of = (href: string) => matcher.resourceOf(new URL(href))?.indicator

  it('the longest prefix on the same origin, on a path-segment boundary; anything else gets the login token', () => {
    expect(of(`${ORIGIN}/api/files/1`)).toBe('urn:files')
    expect(of(`${ORIGIN}/api/files`)).toBe('urn:files')
    expect(of(`${ORIGIN}/api/files/archive/2`)).toBe('urn:archive')
    expect(of(`${BILLING}/v1/invoices`)).toBe(BILLING)
    expect(of(`${ORIGIN}/api/filesx`)).toBeUndefined()
    expect(of(`${ORIGIN}/v1/invoices`)).toBeUndefined()
    expect(of(`${BILLING}/api/files/1`)).toBeUndefined()
  })

  it("a 401 reached by a redirect to another API is not the sent token's", () => {
    const redirected = (url: string) => Object.defineProperties(new Response(null, { status: 401 }), { redirected: { value: true }, url: { value: url } })
    const isFiles = apiAnswers(matcher, new URL(`${ORIGIN}/api/files/1`))
    expect(isFiles(redirected(`${ORIGIN}/api/files/2`))).toBe(true)
    expect(isFiles(redirected(`${BILLING}/v1/x`))).toBe(false)
    expect(isFiles(redirected(`${ORIGIN}/api/me`))).toBe(false)
  })
})

describe('B19 the session as each token sees it', () => {
  const session: Tokens = { accessToken: 'login', refreshToken: 'r1', expiresAt: 5000, resources: { 'urn:files': { accessToken: 'files', expiresAt: 9000 } } }

  it("a resource's view: its token (or an expired stand-in never sent) under the one refresh token", async () => {
    const store = new FakeStore(session)
    expect(await resourceStore(store, 'urn:files').read()).toStrictEqual({ accessToken: 'files', expiresAt: 9000, refreshToken: 'r1' })
    expect(await resourceStore(store, 'urn:archive').read()).toStrictEqual({ accessToken: UNMINTED, expiresAt: 0, refreshToken: 'r1' })
  })

  it("a resource's grant stores its token beside the others and the rotated refresh token for all; the login's refresh keeps them", async () => {
    const store = new FakeStore(session)
    await resourceStore(store, 'urn:archive').write({ accessToken: 'archive', refreshToken: 'r2', expiresAt: 7000, obtainedAt: 1 })
    expect(store.memory).toStrictEqual({
      ...session,
      refreshToken: 'r2',
      resources: { 'urn:files': { accessToken: 'files', expiresAt: 9000 }, 'urn:archive': { accessToken: 'archive', expiresAt: 7000, obtainedAt: 1, tokenType: undefined } },
    })
    await loginTokenStore(store).write({ accessToken: 'login2', refreshToken: 'r3' })
    expect(store.memory).toMatchObject({ accessToken: 'login2', refreshToken: 'r3', resources: { 'urn:files': { accessToken: 'files' }, 'urn:archive': { accessToken: 'archive' } } })
  })

  it('a grant answered after the session ended does not bring it back', async () => {
    const store = new FakeStore(null)
    await resourceStore(store, 'urn:files').write({ accessToken: 'files', refreshToken: 'r2' })
    expect(store.memory).toBeNull()
  })
})

/** The authorization server: rotates the refresh token on every grant, and revokes everything if a spent one comes back. */
function authorizationServer() {
  let current = 'r0'
  let issued = 0
  const server = {
    grants: [] as string[],
    reuse: 0,
    get current() {
      return current
    },
    async refresh(tokens: Tokens, resource?: Resource): Promise<RefreshResult> {
      const presented = tokens.refreshToken
      await Promise.resolve()
      if (presented !== current) {
        server.reuse++
        return { kind: 'rejected' }
      }
      current = `r${++issued}`
      const audience = resource?.indicator ?? 'login'
      server.grants.push(audience)
      return { kind: 'refreshed', tokens: { accessToken: `${audience}.${issued}`, refreshToken: current, expiresAt: Number.MAX_SAFE_INTEGER } }
    },
  }
  return server
}

describe('B19 every API its own token, from one refresh token (property)', () => {
  const normalized = options()
  const matcher = createMatcher(normalized, ORIGIN)
  const URLS = { login: `${ORIGIN}/api/me`, 'urn:files': `${ORIGIN}/api/files/1`, 'urn:archive': `${ORIGIN}/api/files/archive/1`, [BILLING]: `${BILLING}/v1/invoices` }
  const TARGETS = Object.keys(URLS) as (keyof typeof URLS)[]
  const audienceOf = (token: string) => token.slice(0, token.lastIndexOf('.'))

  it('a burst to several APIs costs one grant per API that needs a token, each request gets its own API\'s token, and no refresh token is ever presented twice', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...TARGETS), { minLength: 1, maxLength: 12 }), fc.scheduler(), async (targets, s) => {
        const server = authorizationServer()
        const store = new FakeStore({ accessToken: 'login.0', refreshToken: 'r0', expiresAt: Number.MAX_SAFE_INTEGER })
        const coordinators = createCoordinators(store, normalized, matcher, {
          refresh: s.scheduleFunction((tokens: Tokens, _previous: Tokens, resource?: Resource) => server.refresh(tokens, resource)),
          lock: mutex(),
          onRefreshed: () => {},
          endSession: () => store.clear(),
        })
        const coordinator = (target: keyof typeof URLS) => coordinators.for(new URL(URLS[target]))

        // Round 1: the first requests to each resource mint its token.
        const sent = targets.map((target) => tokensToSend(coordinator(target), 0).then((tokens) => tokens!.accessToken))
        await s.waitFor(Promise.all(sent))
        const first = await Promise.all(sent)
        first.forEach((token, i) => expect(audienceOf(token)).toBe(targets[i]))
        const resourcesAsked = new Set(targets.filter((t) => t !== 'login'))
        expect(server.grants.sort()).toStrictEqual([...resourcesAsked].sort())

        // Round 2: every token gets a 401 at once: one grant per API, each replayed with its own API's new token.
        server.grants = []
        const recovered = targets.map((target, i) => coordinator(target).recover(first[i]!, 'unauthorized'))
        await s.waitFor(Promise.all(recovered))
        const second = await Promise.all(recovered)
        second.forEach((recovery, i) => {
          expect(recovery.kind).toBe('replay')
          const token = (recovery as { tokens: Tokens }).tokens.accessToken
          expect(audienceOf(token)).toBe(targets[i])
          expect(token).not.toBe(first[i])
        })
        expect(server.grants.sort()).toStrictEqual([...new Set(targets)].sort())
        expect(server.reuse).toBe(0)
        // The store ends with the server's last refresh token and every resource's token.
        expect(store.memory?.refreshToken).toBe(server.current)
        expect(Object.keys(store.memory?.resources ?? {}).sort()).toStrictEqual([...resourcesAsked].sort())
      }),
      { numRuns: 150 },
    )
  })

  it('a rejected grant for any resource ends the whole session: every token goes', async () => {
    const store = new FakeStore({ accessToken: 'login.0', refreshToken: 'r0', resources: { 'urn:files': { accessToken: 'urn:files.0' } } })
    const coordinators = createCoordinators(store, normalized, matcher, {
      refresh: async () => ({ kind: 'rejected' }),
      lock: mutex(),
      onRefreshed: () => {},
      endSession: () => store.clear(),
    })
    expect(await coordinators.for(new URL(URLS[BILLING])).recover(UNMINTED, 'expiry')).toStrictEqual({ kind: 'rejected' })
    expect(store.memory).toBeNull()
    expect(await tokensToSend(coordinators.for(new URL(URLS['urn:files'])), 0)).toBeNull()
  })
})

describe("B19 a resource's first token that cannot be minted: the request is never sent without one", () => {
  const normalized = options()
  const matcher = createMatcher(normalized, ORIGIN)

  async function firstRequest(result: RefreshResult) {
    const store = new FakeStore({ accessToken: 'login', refreshToken: 'r0' })
    const coordinators = createCoordinators(store, normalized, matcher, { refresh: async () => result, lock: mutex(), onRefreshed: () => {}, endSession: () => store.clear() })
    const sent: (Tokens | undefined)[] = []
    const response = await proxyRequest(coordinators.for(new URL(`${BILLING}/v1/x`)), 0, {
      attempt: async (tokens) => (sent.push(tokens), new Response('{}')),
      replayable: true,
    })
    return { response, sent, store }
  }

  it('invalid_target: the 403 of the worker, naming the resource; the session is kept', async () => {
    const { response, sent, store } = await firstRequest({ kind: 'refused', reason: `the authorization server mints no token for the resource '${BILLING}': status 400` })
    expect(sent).toStrictEqual([])
    expect(response.status).toBe(403)
    expect(response.headers.get('X-Token-Proxy')).toBe('resource-refused')
    expect(await response.json()).toStrictEqual({ error: 'invalid_target', reason: `the authorization server mints no token for the resource '${BILLING}': status 400` })
    expect(store.memory).toMatchObject({ accessToken: 'login', refreshToken: 'r0' })
  })

  it('the token endpoint unavailable: the 503 of B8', async () => {
    const { response, sent } = await firstRequest({ kind: 'unavailable', reason: 'timeout' })
    expect(sent).toStrictEqual([])
    expect([response.status, response.headers.get('X-Token-Proxy')]).toStrictEqual([503, 'refresh-unavailable'])
  })

  it('tokensToSend throws NoToken, which the plugin turns into the same answer', async () => {
    const store = new FakeStore({ accessToken: 'login', refreshToken: 'r0' })
    const coordinators = createCoordinators(store, normalized, matcher, { refresh: async () => ({ kind: 'unavailable', reason: 'x' }), lock: mutex(), onRefreshed: () => {}, endSession: () => {} })
    await expect(tokensToSend(coordinators.for(new URL(`${ORIGIN}/api/files/1`)), 0)).rejects.toBeInstanceOf(NoToken)
  })
})

describe("B19 + B17 a new session inherits nothing of the last one's grants", () => {
  const normalized = options()
  const matcher = createMatcher(normalized, ORIGIN)
  const files = new URL(`${ORIGIN}/api/files/1`)

  it("a resource whose first grant failed in one session is asked for again at the next session's first request, not handed the old failure", async () => {
    const store = new FakeStore({ accessToken: 'login-a', refreshToken: 'refresh-a' })
    const grants: string[] = []
    const coordinators = createCoordinators(store, normalized, matcher, {
      refresh: async (tokens) => {
        grants.push(tokens.refreshToken!)
        return tokens.refreshToken === 'refresh-a' ? { kind: 'refused', reason: 'not for session a' } : { kind: 'refreshed', tokens: { accessToken: 'files-b', refreshToken: 'refresh-b2' } }
      },
      lock: mutex(),
      onRefreshed: () => {},
      endSession: () => store.clear(),
    })
    await expect(tokensToSend(coordinators.for(files), 0)).rejects.toBeInstanceOf(NoToken)
    // A new session (a login, setTokens): its own refresh token, no resources.
    await store.write({ accessToken: 'login-b', refreshToken: 'refresh-b' })
    expect((await tokensToSend(coordinators.for(files), 0))?.accessToken).toBe('files-b')
    expect(grants).toEqual(['refresh-a', 'refresh-b'])
  })

  it('a new session begun while a resource token was being minted: the request waits for its own session\'s token, never the unminted stand-in', async () => {
    const store = new FakeStore({ accessToken: 'login-a', refreshToken: 'refresh-a' })
    const coordinators = createCoordinators(store, normalized, matcher, {
      refresh: async (tokens) => {
        // Session b begins while session a's grant is on its way.
        if (tokens.refreshToken === 'refresh-a') await store.write({ accessToken: 'login-b', refreshToken: 'refresh-b' })
        return { kind: 'refreshed', tokens: { accessToken: `files-${tokens.refreshToken!.slice(-1)}`, refreshToken: `${tokens.refreshToken}2` } }
      },
      lock: mutex(),
      onRefreshed: () => {},
      endSession: () => store.clear(),
    })
    const tokens = await tokensToSend(coordinators.for(files), 0)
    expect(tokens?.accessToken).toBe('files-b')
  })

  it("a 401 answered after a new session began is replayed with the new session's token for that API, minted first", async () => {
    const store = new FakeStore({ accessToken: 'login-a', refreshToken: 'refresh-a', resources: { 'urn:files': { accessToken: 'files-a' } } })
    const coordinators = createCoordinators(store, normalized, matcher, {
      refresh: async (tokens) => ({ kind: 'refreshed', tokens: { accessToken: `files-${tokens.refreshToken!.slice(-1)}`, refreshToken: `${tokens.refreshToken}2` } }),
      lock: mutex(),
      onRefreshed: () => {},
      endSession: () => store.clear(),
    })
    const sent: (string | undefined)[] = []
    const response = await proxyRequest(coordinators.for(files), 0, {
      async attempt(tokens) {
        sent.push(tokens?.accessToken)
        if (sent.length > 1) return new Response('{}')
        // While the first send is on its way, session b begins.
        await store.write({ accessToken: 'login-b', refreshToken: 'refresh-b' })
        return new Response(null, { status: 401 })
      },
      replayable: true,
    })
    expect(response.status).toBe(200)
    expect(sent).toEqual(['files-a', 'files-b'])
  })
})
