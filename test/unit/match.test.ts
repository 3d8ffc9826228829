import { describe, expect, it } from 'vitest'
import { createMatcher, routeKey, type RequestLike, type RouteKind } from '../../sw/match.js'
import { normalizeOptions, type TokenProxyOptions } from '../../common/options.js'

const ORIGIN = 'https://app.example'

type RequestParts = Partial<{ mode: RequestMode; credentials: RequestCredentials; headers: HeadersInit }>

function matcher(options: Partial<TokenProxyOptions> = {}) {
  const normalized = normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', ...options }, ORIGIN)
  const match = createMatcher(normalized, ORIGIN)
  return (url: string, request: RequestParts = {}): boolean => {
    const like: RequestLike = { mode: request.mode ?? 'cors', credentials: request.credentials ?? 'same-origin', headers: new Headers(request.headers ?? {}) }
    return match.route(new URL(url, ORIGIN), like) === 'api'
  }
}


/** Like `matcher`, but returns the route kind itself. */
function kindMatcher(options: Partial<TokenProxyOptions> = {}) {
  const normalized = normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', ...options }, ORIGIN)
  const match = createMatcher(normalized, ORIGIN)
  return (url: string, request: RequestParts = {}): RouteKind | undefined => {
    const like: RequestLike = { mode: request.mode ?? 'cors', credentials: request.credentials ?? 'same-origin', headers: new Headers(request.headers ?? {}) }
    return match.route(new URL(url, ORIGIN), like)
  }
}

describe('B1/B2 matcher: apiPrefix on a path-segment boundary', () => {
  const match = matcher()

  it.each(['/api', '/api/', '/api/x', '/api/users/1', '/api?x=1', '/api/x?y=2#z', 'https://app.example/api/x'])(
    "'/api/' matches %j",
    (url) => {
      expect(match(url)).toBe(true)
    },
  )

  it.each(['/apix', '/apix/y', '/ap', '/', '/other/api', '/API/x', '/v1/api/x'])("'/api/' does not match %j", (url) => {
    expect(match(url)).toBe(false)
  })

  it("a prefix given without trailing slash behaves the same: '/api' never matches '/apix'", () => {
    const m = matcher({ apiPrefix: '/api' })
    expect([m('/api'), m('/api/x'), m('/apix')]).toStrictEqual([true, true, false])
  })

  it("'/' matches every same-origin path but the refresh URL", () => {
    const m = matcher({ apiPrefix: '/' })
    expect([m('/'), m('/x'), m('/a/b'), m('/api/auth/refresh'), m('https://other.example/x')]).toStrictEqual([
      true,
      true,
      true,
      false,
      false,
    ])
  })
})

describe('B2 matcher refuses what is not ours', () => {
  const match = matcher()

  it.each([
    'https://evil.example/api/x',
    'http://app.example/api/x',
    'https://app.example:8443/api/x',
    'https://api.app.example/api/x',
  ])('refuses another origin: %j', (url) => {
    expect(match(url)).toBe(false)
  })

  it.each(['navigate', 'no-cors'] as const)('refuses mode %j', (mode) => {
    expect(match('/api/x', { mode })).toBe(false)
  })

  it.each(['cors', 'same-origin'] as const)('accepts mode %j', (mode) => {
    expect(match('/api/x', { mode })).toBe(true)
  })

  it.each(['/api/auth/refresh', '/api/auth/refresh?x=1', '/api/auth/refresh#h', '/api/auth/refresh?a=b#c'])(
    'refuses the refresh URL %j',
    (url) => {
      expect(match(url)).toBe(false)
    },
  )

  it('refuses the refresh URL even when refreshUrl itself has a query string', () => {
    const m = matcher({ refreshUrl: '/api/auth/refresh?client=web' })
    expect([m('/api/auth/refresh'), m('/api/auth/refresh?client=web'), m('/api/auth/refresh?other=1')]).toStrictEqual([
      false,
      false,
      false,
    ])
  })

  it('still matches neighbours of the refresh URL', () => {
    expect([match('/api/auth/refreshx'), match('/api/auth'), match('/api/auth/refresh/x')]).toStrictEqual([
      true,
      true,
      true,
    ])
  })

  it.each<Record<string, string>>([{ Authorization: 'Bearer page' }, { authorization: 'Basic abc' }, { AUTHORIZATION: '' }])(
    'B1: refuses a request that carries its own Authorization: %j',
    (headers) => {
      expect(match('/api/x', { headers })).toBe(false)
    },
  )

  it("B2: refuses a request with credentials: 'omit', the web's own way to say \"send no credentials\"", () => {
    expect(match('/api/x', { credentials: 'omit' })).toBe(false)
    expect(match('/api/x', { credentials: 'include' })).toBe(true)
    expect(match('/api/x', { credentials: 'same-origin' })).toBe(true)
  })

  it("B13: the token endpoints are the worker's whatever the credentials mode: their answers never reach a page with tokens", () => {
    const kind = kindMatcher({ loginUrl: '/api/auth/login', logoutUrl: '/api/auth/logout' })
    expect(['/api/auth/login', '/api/auth/refresh', '/api/auth/logout'].map((url) => kind(url, { credentials: 'omit' }))).toEqual(['vault', 'vault', 'logout'])
  })

  it('accepts a request with other headers', () => {
    expect(match('/api/x', { headers: { 'Content-Type': 'application/json', 'X-Auth': '1' } })).toBe(true)
  })
})

describe('matcher with several prefixes', () => {
  const match = matcher({ apiPrefix: ['/api/', '/graphql', '/v2/data/'] })

  it.each([
    ['/api/x', true],
    ['/graphql', true],
    ['/graphql/batch', true],
    ['/v2/data', true],
    ['/v2/data/1', true],
    ['/graphqlx', false],
    ['/v2/datax', false],
    ['/v2', false],
    ['/other', false],
    ['/api/auth/refresh', false],
  ])('%j → %j', (url, expected) => {
    expect(match(url)).toBe(expected)
  })
})

describe('prefixes are compared as URL paths', () => {
  it('a non-ASCII prefix matches the percent-encoded path the browser sends', () => {
    const match = matcher({ apiPrefix: '/ä/' })
    expect(match('/ä/x')).toBe(true)
    expect(match('/%C3%A4/x')).toBe(true)
    expect(match('/äx')).toBe(false)
  })
})

const API = 'https://api.example.com'

describe('route kinds with a trusted origin, login and logout', () => {
  const kind = kindMatcher({
    trustedOrigins: [API],
    loginUrl: '/api/auth/login',
    logoutUrl: '/api/auth/logout',
    refreshUrl: '/api/auth/refresh',
  })

  it.each<[string, RequestParts, RouteKind | undefined]>([
    ['/api/x', {}, 'api'],
    [`${API}/api/x`, {}, 'api'],
    [`${API}/api`, {}, 'api'],
    [`${API}:443/api/x`, {}, 'api'],
    ['https://api.example.com.evil.test/api/x', {}, undefined],
    ['https://api.example.com:8443/api/x', {}, undefined],
    ['http://api.example.com/api/x', {}, undefined],
    ['https://evil.test/api/x', {}, undefined],
    ['https://sub.api.example.com/api/x', {}, undefined],
    [`${API}/apix`, {}, undefined],
    [`${API}/other`, {}, undefined],
    ['/apix', {}, undefined],
    [`${API}/api/x`, { headers: { Authorization: 'Bearer page' } }, undefined],
    ['/api/auth/login', {}, 'vault'],
    ['/api/auth/login', { headers: { Authorization: 'Basic dTpw' } }, 'vault'],
    ['/api/auth/login?next=%2F', {}, 'vault'],
    ['/api/auth/login#h', {}, 'vault'],
    ['/api/auth/loginx', {}, 'api'],
    ['/api/auth/logout', {}, 'logout'],
    ['/api/auth/logout?all=1', {}, 'logout'],
    // The page's own logout request is sent as written, and still ends the session.
    ['/api/auth/logout', { headers: { Authorization: 'Bearer page' } }, 'logout'],
    ['/api/auth/logout', { headers: { authorization: '' } }, 'logout'],
    // A page's own call to the refresh endpoint: its tokens are kept from it.
    ['/api/auth/refresh', {}, 'vault'],
    ['/api/auth/refresh?x', {}, 'vault'],
  ])('%j %j → %j', (url, request, expected) => {
    expect(kind(url, request)).toBe(expected)
  })

  const handled = [
    '/api/x',
    `${API}/api/x`,
    '/api/auth/login',
    '/api/auth/login?next=%2F',
    '/api/auth/logout',
    '/api/auth/refresh?x',
    'https://api.example.com.evil.test/api/x',
    'https://evil.test/api/x',
  ]

  it.each((['navigate', 'no-cors'] as const).flatMap((mode) => handled.map((url) => [mode, url] as const)))(
    'mode %j: %j → undefined',
    (mode, url) => {
      expect(kind(url, { mode })).toBeUndefined()
    },
  )

  it.each(['cors', 'same-origin'] as const)('mode %j keeps every kind', (mode) => {
    expect([
      kind('/api/x', { mode }),
      kind(`${API}/api/x`, { mode }),
      kind('/api/auth/login', { mode }),
      kind('/api/auth/logout', { mode }),
    ]).toStrictEqual(['api', 'api', 'vault', 'logout'])
  })
})

describe('route kinds with endpoints on the trusted origin', () => {
  const kind = kindMatcher({
    trustedOrigins: [API],
    refreshUrl: `${API}/api/auth/refresh`,
    loginUrl: `${API}/api/auth/login`,
    logoutUrl: `${API}/api/auth/logout`,
  })

  it.each<[string, RouteKind | undefined]>([
    [`${API}/api/auth/refresh`, 'vault'],
    [`${API}/api/auth/refresh?x=1`, 'vault'],
    [`${API}/api/auth/login`, 'vault'],
    [`${API}/api/auth/logout`, 'logout'],
    // The same paths on the worker's own origin are plain API paths.
    ['/api/auth/refresh', 'api'],
    ['/api/auth/login', 'api'],
    ['/api/auth/logout', 'api'],
  ])('%j → %j', (url, expected) => {
    expect(kind(url)).toBe(expected)
  })
})

describe('route kinds without login, logout or trusted origins', () => {
  const kind = kindMatcher()

  it.each<[string, RouteKind | undefined]>([
    ['/api/x', 'api'],
    ['/api/auth/login', 'api'],
    ['/api/auth/logout', 'api'],
    ['/api/auth/refresh', 'vault'],
    [`${API}/api/x`, undefined],
  ])('%j → %j', (url, expected) => {
    expect(kind(url)).toBe(expected)
  })
})

describe('B13 token endpoints matched the way lenient servers route them', () => {
  const kind = kindMatcher({ loginUrl: '/api/auth/login', logoutUrl: '/api/auth/logout' })

  it.each([
    '/api/auth/login/',
    '/api//auth/login',
    '/api/auth//login//',
    '/API/Auth/Login',
    '/api/auth/%6cogin',
    '/api/auth/login;jsessionid=1',
    '/api/auth/login.json',
    '/api/auth/./login',
    '/api/x/../auth/login',
  ])('%s is the login endpoint: vault, never a token', (path) => {
    expect(kind(path)).toBe('vault')
  })

  it.each(['/api/auth/refresh/', '/api//auth/refresh', '/API/AUTH/REFRESH'])('%s is the refresh endpoint', (path) => {
    expect(kind(path)).toBe('vault')
  })

  it.each(['/api/auth/logout/', '/api//auth/logout'])('%s is the logout endpoint', (path) => {
    expect(kind(path)).toBe('logout')
  })

  it.each(['/api/auth/login2', '/api/auth/login/x', '/api/auth', '/api/auth/logins'])('%s is an API path like any other', (path) => {
    expect(kind(path)).toBe('api')
  })

  it('keeps origins apart', () => {
    expect(routeKey(new URL('https://a.example/X/'))).toBe('https://a.example/x')
    expect(routeKey(new URL('https://a.example:8443/x'))).toBe('https://a.example:8443/x')
  })

  it('survives a malformed percent-encoding', () => {
    expect(kind('/api/auth/login%')).toBe('api')
    expect(kind('/api/auth/login%/')).toBe('api')
  })
})
