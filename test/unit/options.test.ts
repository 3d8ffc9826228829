import { workerFile } from '../../node/worker-file.js'
import { describe, expect, it } from 'vitest'
import { TokenProxyOptionsError } from '../../common/errors.js'
import { isSameOriginPath, normalizeOptions, OPTION_NAMES, type TokenProxyOptions, DEFAULT_FIELD_PATHS } from '../../common/options.js'
import { optionsFromQuery, optionsToQuery } from '../../common/query.js'

const ORIGIN = 'https://app.example'
const PREFIX = 'Failed to configure the token proxy: '

function errorOf(options: unknown): Error {
  try {
    normalizeOptions(options as TokenProxyOptions, ORIGIN)
  } catch (error) {
    return error as Error
  }
  throw new Error('normalizeOptions did not throw')
}

describe('B14 bad input: normalizeOptions rejects invalid options', () => {
  it('throws a TokenProxyOptionsError naming refreshUrl and the value', () => {
    const error = errorOf({ apiPrefix: '/api/', refreshUrl: 'https://x' })
    expect(error).toBeInstanceOf(TokenProxyOptionsError)
    expect(error.name).toBe('TokenProxyOptionsError')
    expect(error.message).toBe(
      `${PREFIX}\`refreshUrl\` must be a same-origin path such as '/api/auth/refresh', or a URL on one of \`trustedOrigins\`, got 'https://x'.`,
    )
  })

  it.each([
    ['//evil.example/refresh', "'//evil.example/refresh'"],
    ['/\\evil.example', "'/\\evil.example'"],
    ['auth/refresh', "'auth/refresh'"],
    ['/auth refresh', "'/auth refresh'"],
    ['', "''"],
    [undefined, 'undefined'],
    [42, '42'],
  ])('rejects refreshUrl %j', (refreshUrl, shown) => {
    expect(errorOf({ apiPrefix: '/api/', refreshUrl }).message).toBe(
      `${PREFIX}\`refreshUrl\` must be a same-origin path such as '/api/auth/refresh', or a URL on one of \`trustedOrigins\`, got ${shown}.`,
    )
  })

  it.each([
    ['api', "'api'"],
    ['https://x/api', "'https://x/api'"],
    ['//cdn.example/api', "'//cdn.example/api'"],
    ['/api?x=1', "'/api?x=1'"],
    ['/api#h', "'/api#h'"],
    ['/a\\pi', "'/a\\pi'"],
    [null, 'null'],
  ])('rejects apiPrefix %j', (apiPrefix, shown) => {
    expect(errorOf({ apiPrefix, refreshUrl: '/auth/refresh' }).message).toBe(
      `${PREFIX}\`apiPrefix\` must be a path such as '/api/' (no query, no hash), got ${shown}.`,
    )
  })

  it('rejects a bad entry inside an apiPrefix list, naming that entry', () => {
    expect(errorOf({ apiPrefix: ['/api/', '//evil'], refreshUrl: '/auth/refresh' }).message).toBe(
      `${PREFIX}\`apiPrefix\` must be a path such as '/api/' (no query, no hash), got '//evil'.`,
    )
  })

  it('rejects an empty apiPrefix list', () => {
    expect(errorOf({ apiPrefix: [], refreshUrl: '/auth/refresh' }).message).toBe(
      `${PREFIX}\`apiPrefix\` must be a path or a non-empty list of paths, got [].`,
    )
  })

  it.each([
    [{ refreshProtocol: 'oauth2' }, "`clientId` must be a non-empty string, got undefined."],
    [{ refreshProtocol: 'oauth2', clientId: '' }, "`clientId` must be a non-empty string, got ''."],
    [{ refreshProtocol: 'oauth2', clientId: 7 }, '`clientId` must be a non-empty string, got 7.'],
    [{ clientId: 'spa' }, "`clientId` must be left out unless `refreshProtocol` is 'oauth2', got 'spa'."],
    [{ refreshProtocol: 'cookie', scope: 'api' }, "`scope` must be left out unless `refreshProtocol` is 'oauth2', got 'api'."],
    [{ refreshProtocol: 'oauth2', clientId: 'spa', scope: '' }, "`scope` must be scope tokens such as 'openid api', got ''."],
    [{ refreshProtocol: 'oauth2', clientId: 'spa', scope: 'openid  api' }, "`scope` must be scope tokens such as 'openid api', got 'openid  api'."],
    [{ refreshProtocol: 'oauth2', clientId: 'spa', scope: 'a"b' }, "`scope` must be scope tokens such as 'openid api', got 'a\"b'."],
    [{ refreshProtocol: 'oauth2', clientId: 'spa', scope: ['api'] }, "`scope` must be scope tokens such as 'openid api', got [\"api\"]."],
  ])('rejects the oauth2 options %j where they are wrong', (more, message) => {
    expect(errorOf({ apiPrefix: '/api/', refreshUrl: '/auth/refresh', ...more }).message).toBe(`${PREFIX}${message}`)
  })

  it('keeps clientId and scope for oauth2', () => {
    expect(normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/token', refreshProtocol: 'oauth2', clientId: 'spa', scope: 'openid api' }, ORIGIN)).toMatchObject({
      refreshProtocol: 'oauth2',
      clientId: 'spa',
      scope: 'openid api',
    })
  })

  it('rejects an unknown refreshProtocol', () => {
    expect(errorOf({ apiPrefix: '/api/', refreshUrl: '/auth/refresh', refreshProtocol: 'form' }).message).toBe(
      `${PREFIX}\`refreshProtocol\` must be 'json' or 'oauth2' or 'cookie', got 'form'.`,
    )
  })

  it.each([
    [0, '0'],
    [-5, '-5'],
    [1.5, '1.5'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    ['1000', "'1000'"],
  ])('rejects refreshTimeout %j', (refreshTimeout, shown) => {
    expect(errorOf({ apiPrefix: '/api/', refreshUrl: '/auth/refresh', refreshTimeout }).message).toBe(
      `${PREFIX}\`refreshTimeout\` must be a whole number of milliseconds, 1 or more, got ${shown}.`,
    )
  })

  it('rejects an unknown option, listing the known ones', () => {
    const error = errorOf({ apiPrefix: '/api/', refreshUrl: '/auth/refresh', clientSecret: 'web' })
    expect(error).toBeInstanceOf(TokenProxyOptionsError)
    expect(error.message).toBe(
      `${PREFIX}unknown option \`clientSecret\`; the options are ${OPTION_NAMES.join(', ')}.`,
    )
  })

  it('rejects a misspelt option even when its value is undefined', () => {
    expect(errorOf({ apiPrefix: '/api/', refreshUrl: '/auth/refresh', refreshTimout: undefined }).message).toBe(
      `${PREFIX}unknown option \`refreshTimout\`; the options are ${OPTION_NAMES.join(', ')}.`,
    )
  })

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    ['/api/', "'/api/'"],
  ])('rejects options that are not an object: %j', (options, shown) => {
    expect(errorOf(options).message).toBe(`${PREFIX}\`options\` must be an object, got ${shown}.`)
  })
})

describe('normalizeOptions normalizes', () => {
  it('fills in the defaults and resolves refreshUrl against the origin', () => {
    expect(normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' }, ORIGIN)).toStrictEqual({
      apiPrefixes: ['/api'],
      refreshUrl: 'https://app.example/api/auth/refresh',
      trustedOrigins: [],
      loginUrl: undefined,
      logoutUrl: undefined,
      refreshProtocol: 'json',
      clientId: undefined,
      scope: undefined,
      refreshTimeout: 10_000,
      maxReplayBytes: 1_048_576,
      expiryLeeway: 30_000,
      dpop: false,
      fields: DEFAULT_FIELD_PATHS,
      apiRouting: 'proxy',
      sessionCaches: [],
      resources: [],
      resourceParameter: 'resource',
    })
  })

  it.each([
    ['/api/', '/api'],
    ['/api', '/api'],
    ['/api//', '/api'],
    ['/v1/api/', '/v1/api'],
    ['/', ''],
  ])('apiPrefix %j becomes %j', (apiPrefix, expected) => {
    expect(normalizeOptions({ apiPrefix, refreshUrl: '/r' }, ORIGIN).apiPrefixes).toStrictEqual([expected])
  })

  it('normalizes every entry of a list', () => {
    expect(
      normalizeOptions({ apiPrefix: ['/api/', '/graphql', '/'], refreshUrl: '/r' }, ORIGIN).apiPrefixes,
    ).toStrictEqual(['/api', '/graphql', ''])
  })

  it('keeps given refreshProtocol, refreshTimeout and expiryLeeway', () => {
    const normalized = normalizeOptions(
      { apiPrefix: '/api/', refreshUrl: '/auth/refresh?client=web', refreshProtocol: 'json', refreshTimeout: 2500, expiryLeeway: 0 },
      ORIGIN,
    )
    expect(normalized).toStrictEqual({
      apiPrefixes: ['/api'],
      trustedOrigins: [],
      refreshUrl: 'https://app.example/auth/refresh?client=web',
      loginUrl: undefined,
      logoutUrl: undefined,
      refreshProtocol: 'json',
      clientId: undefined,
      scope: undefined,
      refreshTimeout: 2500,
      maxReplayBytes: 1_048_576,
      expiryLeeway: 0,
      dpop: false,
      fields: DEFAULT_FIELD_PATHS,
      apiRouting: 'proxy',
      sessionCaches: [],
      resources: [],
      resourceParameter: 'resource',
    })
  })

  it.each([-1, 1.5, Number.NaN, '30'])('rejects expiryLeeway %j', (expiryLeeway) => {
    expect(() => normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', expiryLeeway } as never, ORIGIN)).toThrow(
      `${PREFIX}\`expiryLeeway\` must be a whole number of milliseconds, 0 or more, got ${typeof expiryLeeway === 'string' ? `'${expiryLeeway}'` : expiryLeeway}.`,
    )
  })
})

describe('isSameOriginPath', () => {
  it.each(['/', '/a', '/a/b?c=1#d', '/a%2F'])('accepts %j', (value) => {
    expect(isSameOriginPath(value)).toBe(true)
  })
  it.each(['', 'a', '//a', '/\\a', '\\\\a', 'https://a/', '/a b', '/a\tb', '/a\nb', ' /a', null, 1])(
    'rejects %j',
    (value) => {
      expect(isSameOriginPath(value)).toBe(false)
    },
  )
})

describe('optionsToQuery / optionsFromQuery', () => {
  it('writes lists by repeating the key, in the fixed key order, skipping absent options', () => {
    expect(
      optionsToQuery({ refreshTimeout: 5000, refreshUrl: '/api/auth/refresh', apiPrefix: ['/api/', '/v2'] }),
    ).toBe('apiPrefix=%2Fapi%2F&apiPrefix=%2Fv2&refreshUrl=%2Fapi%2Fauth%2Frefresh&refreshTimeout=5000')
  })

  it('round-trips a list of prefixes, the refresh URL, the protocol, its client and scope, and a numeric timeout', () => {
    const options: TokenProxyOptions = {
      apiPrefix: ['/api/', '/graph ql/', '/a&b=c/'],
      refreshUrl: '/api/auth/refresh?x=1&y=2',
      refreshProtocol: 'oauth2',
      clientId: 'spa client&1',
      scope: 'openid api:read',
      refreshTimeout: 5000,
    }
    const back = optionsFromQuery(optionsToQuery(options))
    expect(back).toStrictEqual(options)
    expect(typeof back.refreshTimeout).toBe('number')
  })

  it('reads a single prefix back as a one-item list, which normalizes the same', () => {
    const options: TokenProxyOptions = { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' }
    const back = optionsFromQuery(optionsToQuery(options))
    expect(back).toStrictEqual({ apiPrefix: ['/api/'], refreshUrl: '/api/auth/refresh' })
    expect(normalizeOptions(back, ORIGIN)).toStrictEqual(normalizeOptions(options, ORIGIN))
  })

  it('accepts a leading "?" as in location.search', () => {
    expect(optionsFromQuery('?apiPrefix=%2Fapi%2F&refreshUrl=%2Fr&refreshTimeout=7')).toStrictEqual({
      apiPrefix: ['/api/'],
      refreshUrl: '/r',
      refreshTimeout: 7,
    })
  })

  it('keeps unknown keys so that normalizeOptions rejects them', () => {
    const back = optionsFromQuery('apiPrefix=/api/&refreshUrl=/r&refreshUrll=/s')
    expect(() => normalizeOptions(back, ORIGIN)).toThrow(
      `${PREFIX}unknown option \`refreshUrll\`; the options are ${OPTION_NAMES.join(', ')}.`,
    )
  })

  it('a non-numeric refreshTimeout in the query fails validation as NaN', () => {
    const back = optionsFromQuery('apiPrefix=/api/&refreshUrl=/r&refreshTimeout=soon')
    expect(() => normalizeOptions(back, ORIGIN)).toThrow(
      `${PREFIX}\`refreshTimeout\` must be a whole number of milliseconds, 1 or more, got NaN.`,
    )
  })
})

const API = 'https://api.example.com'
const ORIGINS_EXPECTED =
  "a list of origins such as 'https://api.example.com' (scheme, host and port; no path)"
const ENDPOINT_EXPECTED = "a same-origin path such as '/api/auth/refresh', or a URL on one of `trustedOrigins`"

describe('trustedOrigins', () => {
  it.each([
    [[API], [API]],
    [['http://127.0.0.1:8080'], ['http://127.0.0.1:8080']],
    [[API, 'http://127.0.0.1:8080'], [API, 'http://127.0.0.1:8080']],
    [[], []],
  ])('accepts %j as %j', (trustedOrigins, expected) => {
    expect(normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', trustedOrigins }, ORIGIN).trustedOrigins).toStrictEqual(
      expected,
    )
  })

  it('drops the worker’s own origin from the list', () => {
    expect(
      normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', trustedOrigins: [ORIGIN, API] }, ORIGIN).trustedOrigins,
    ).toStrictEqual([API])
    expect(
      normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', trustedOrigins: [ORIGIN] }, ORIGIN).trustedOrigins,
    ).toStrictEqual([])
  })

  it.each([
    ['https://api.example.com/', "'https://api.example.com/'"],
    ['https://api.example.com/v1', "'https://api.example.com/v1'"],
    ['api.example.com', "'api.example.com'"],
    ['*.example.com', "'*.example.com'"],
    ['https://*.example.com', "'https://*.example.com'"],
    ['ftp://x.example', "'ftp://x.example'"],
    ['https://user@api.example.com', "'https://user@api.example.com'"],
    ['https://api.example.com?x=1', "'https://api.example.com?x=1'"],
    ['', "''"],
    [42, '42'],
    [null, 'null'],
  ])('rejects the entry %j', (entry, shown) => {
    const error = errorOf({ apiPrefix: '/api/', refreshUrl: '/r', trustedOrigins: [entry] })
    expect(error).toBeInstanceOf(TokenProxyOptionsError)
    expect(error.message).toBe(`${PREFIX}\`trustedOrigins\` must be ${ORIGINS_EXPECTED}, got ${shown}.`)
  })

  it('rejects a bad entry after good ones, naming that entry', () => {
    expect(
      errorOf({ apiPrefix: '/api/', refreshUrl: '/r', trustedOrigins: [API, 'https://api.example.com/'] }).message,
    ).toBe(`${PREFIX}\`trustedOrigins\` must be ${ORIGINS_EXPECTED}, got 'https://api.example.com/'.`)
  })

  it.each([
    [API, `'${API}'`],
    [null, 'null'],
    [42, '42'],
  ])('rejects trustedOrigins %j that is not a list', (trustedOrigins, shown) => {
    const error = errorOf({ apiPrefix: '/api/', refreshUrl: '/r', trustedOrigins })
    expect(error).toBeInstanceOf(TokenProxyOptionsError)
    expect(error.message).toBe(`${PREFIX}\`trustedOrigins\` must be a list of origins, got ${shown}.`)
  })
})

describe('endpoints on trusted origins', () => {
  const base = { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', trustedOrigins: [API] } as const

  it.each(['refreshUrl', 'loginUrl', 'logoutUrl'] as const)('%s: an absolute URL on a trusted origin is kept as its href', (option) => {
    const normalized = normalizeOptions({ ...base, [option]: 'https://API.example.com:443/auth/./x?c=1' }, ORIGIN)
    expect(normalized[option]).toBe('https://api.example.com/auth/x?c=1')
  })

  it.each(['refreshUrl', 'loginUrl', 'logoutUrl'] as const)('%s: an absolute URL that is already an href is kept as given', (option) => {
    expect(normalizeOptions({ ...base, [option]: `${API}/auth/${option}` }, ORIGIN)[option]).toBe(`${API}/auth/${option}`)
  })

  it.each(['refreshUrl', 'loginUrl', 'logoutUrl'] as const)('%s: an absolute URL on the worker’s own origin, listed in trustedOrigins, is accepted', (option) => {
    const normalized = normalizeOptions({ ...base, trustedOrigins: [ORIGIN, API], [option]: `${ORIGIN}/api/auth/x` }, ORIGIN)
    expect(normalized[option]).toBe(`${ORIGIN}/api/auth/x`)
  })

  it.each([
    ['refreshUrl', 'https://api.example.com.evil.test/refresh'],
    ['refreshUrl', 'https://api.example.com:444/x'],
    ['refreshUrl', 'http://api.example.com/refresh'],
    ['refreshUrl', 'https://evil.test/refresh'],
    ['loginUrl', 'https://api.example.com.evil.test/refresh'],
    ['loginUrl', 'https://api.example.com:444/x'],
    ['loginUrl', 'https://evil.test/login'],
    ['logoutUrl', 'https://api.example.com.evil.test/refresh'],
    ['logoutUrl', 'https://api.example.com:444/x'],
    ['logoutUrl', 'https://evil.test/logout'],
  ] as const)('%s: rejects %j, on an origin that is not trusted', (option, value) => {
    const error = errorOf({ ...base, [option]: value })
    expect(error).toBeInstanceOf(TokenProxyOptionsError)
    expect(error.message).toBe(`${PREFIX}\`${option}\` must be ${ENDPOINT_EXPECTED}, got '${value}'.`)
  })

  it.each([
    ['loginUrl', '//evil.test/login', "'//evil.test/login'"],
    ['loginUrl', 'auth/login', "'auth/login'"],
    ['loginUrl', 42, '42'],
    ['logoutUrl', '/\\evil.test', "'/\\evil.test'"],
    ['logoutUrl', '', "''"],
    ['logoutUrl', null, 'null'],
  ] as const)('%s: rejects %j', (option, value, shown) => {
    expect(errorOf({ ...base, [option]: value }).message).toBe(
      `${PREFIX}\`${option}\` must be ${ENDPOINT_EXPECTED}, got ${shown}.`,
    )
  })

  it('rejects an absolute refreshUrl when no origin is trusted, even one that was trusted elsewhere', () => {
    expect(errorOf({ apiPrefix: '/api/', refreshUrl: `${API}/refresh` }).message).toBe(
      `${PREFIX}\`refreshUrl\` must be ${ENDPOINT_EXPECTED}, got '${API}/refresh'.`,
    )
  })

  it('resolves same-origin loginUrl and logoutUrl against the origin', () => {
    const normalized = normalizeOptions(
      { ...base, loginUrl: '/api/auth/login', logoutUrl: '/api/auth/logout?all=1' },
      ORIGIN,
    )
    expect([normalized.loginUrl, normalized.logoutUrl]).toStrictEqual([
      'https://app.example/api/auth/login',
      'https://app.example/api/auth/logout?all=1',
    ])
  })

  it('accepts refreshProtocol cookie', () => {
    expect(
      normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', refreshProtocol: 'cookie' }, ORIGIN),
    ).toStrictEqual({
      apiPrefixes: ['/api'],
      trustedOrigins: [],
      refreshUrl: 'https://app.example/api/auth/refresh',
      loginUrl: undefined,
      logoutUrl: undefined,
      refreshProtocol: 'cookie',
      clientId: undefined,
      scope: undefined,
      refreshTimeout: 10_000,
      maxReplayBytes: 1_048_576,
      expiryLeeway: 30_000,
      dpop: false,
      fields: DEFAULT_FIELD_PATHS,
      apiRouting: 'proxy',
      sessionCaches: [],
      resources: [],
      resourceParameter: 'resource',
    })
  })
})

describe('query round trip with trusted origins and endpoints', () => {
  const options: TokenProxyOptions = {
    apiPrefix: '/api/',
    refreshUrl: `${API}/auth/refresh`,
    trustedOrigins: [API, 'http://127.0.0.1:8080'],
    refreshProtocol: 'cookie',
    loginUrl: '/api/auth/login',
    logoutUrl: 'http://127.0.0.1:8080/auth/logout',
  }

  it('writes every option in the fixed key order', () => {
    expect(optionsToQuery(options)).toBe(
      'apiPrefix=%2Fapi%2F' +
        '&refreshUrl=https%3A%2F%2Fapi.example.com%2Fauth%2Frefresh' +
        '&trustedOrigins=https%3A%2F%2Fapi.example.com&trustedOrigins=http%3A%2F%2F127.0.0.1%3A8080' +
        '&refreshProtocol=cookie' +
        '&loginUrl=%2Fapi%2Fauth%2Flogin' +
        '&logoutUrl=http%3A%2F%2F127.0.0.1%3A8080%2Fauth%2Flogout',
    )
  })

  it('reads the options back, and they normalize the same as the object', () => {
    const back = optionsFromQuery(optionsToQuery(options))
    expect(back).toStrictEqual({ ...options, apiPrefix: ['/api/'] })
    const normalized = normalizeOptions(back, ORIGIN)
    expect(normalized).toStrictEqual(normalizeOptions(options, ORIGIN))
    expect(normalized).toStrictEqual({
      apiPrefixes: ['/api'],
      trustedOrigins: [API, 'http://127.0.0.1:8080'],
      refreshUrl: 'https://api.example.com/auth/refresh',
      loginUrl: 'https://app.example/api/auth/login',
      logoutUrl: 'http://127.0.0.1:8080/auth/logout',
      refreshProtocol: 'cookie',
      clientId: undefined,
      scope: undefined,
      refreshTimeout: 10_000,
      maxReplayBytes: 1_048_576,
      expiryLeeway: 30_000,
      dpop: false,
      fields: DEFAULT_FIELD_PATHS,
      apiRouting: 'proxy',
      sessionCaches: [],
      resources: [],
      resourceParameter: 'resource',
    })
  })

  it('reads a single trusted origin back as a one-item list', () => {
    const back = optionsFromQuery(optionsToQuery({ apiPrefix: '/api/', refreshUrl: '/r', trustedOrigins: [API] }))
    expect(back.trustedOrigins).toStrictEqual([API])
    expect(normalizeOptions(back, ORIGIN).trustedOrigins).toStrictEqual([API])
  })
})

describe('maxReplayBytes', () => {
  it('keeps a given cap, 0 included', () => {
    expect(normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', maxReplayBytes: 0 }, ORIGIN).maxReplayBytes).toBe(0)
    expect(normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', maxReplayBytes: 5_000_000 }, ORIGIN).maxReplayBytes).toBe(5_000_000)
  })

  it.each([-1, 1.5, Number.NaN, '1MB'])('rejects %j', (maxReplayBytes) => {
    expect(() => normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', maxReplayBytes } as never, ORIGIN)).toThrow(
      `${PREFIX}\`maxReplayBytes\` must be a whole number of bytes, 0 or more, got ${typeof maxReplayBytes === 'string' ? `'${maxReplayBytes}'` : maxReplayBytes}.`,
    )
  })

  it('round-trips through the query string as a number', () => {
    expect(optionsFromQuery(optionsToQuery({ apiPrefix: '/api/', refreshUrl: '/r', maxReplayBytes: 2048 })).maxReplayBytes).toBe(2048)
  })
})

describe('dpop', () => {
  it('is a boolean, false unless given, and round-trips through the query', () => {
    expect(normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r' }, ORIGIN).dpop).toBe(false)
    expect(normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', dpop: true }, ORIGIN).dpop).toBe(true)
    expect(optionsFromQuery(optionsToQuery({ apiPrefix: '/api/', refreshUrl: '/r', dpop: true })).dpop).toBe(true)
    expect(optionsFromQuery(optionsToQuery({ apiPrefix: '/api/', refreshUrl: '/r', dpop: false })).dpop).toBe(false)
  })

  it.each([['yes', "'yes'"], [1, '1'], [null, 'null']])('rejects dpop %j', (dpop, shown) => {
    expect(errorOf({ apiPrefix: '/api/', refreshUrl: '/r', dpop }).message).toBe(`${PREFIX}\`dpop\` must be true or false, got ${shown}.`)
    if (typeof dpop === 'string') expect(errorOf(optionsFromQuery(`apiPrefix=/api/&refreshUrl=/r&dpop=${dpop}`)).message).toContain('`dpop` must be true or false')
  })
})

describe('B18 fields: the server\'s names for the token fields', () => {
  const base = { apiPrefix: '/api/', refreshUrl: '/api/token/refresh/' }

  it('maps each field it names to that path only; the others keep their defaults', () => {
    const { fields } = normalizeOptions({ ...base, fields: { accessToken: 'access', refreshToken: 'data.refresh' } }, ORIGIN)
    expect(fields).toStrictEqual({ accessToken: [['access']], refreshToken: [['data', 'refresh']], expiresIn: [['expiresIn'], ['expires_in']] })
  })

  it('round-trips through the worker URL as fields.<key>=<name>', () => {
    const options = { ...base, fields: { accessToken: 'access', refreshToken: 'refresh', expiresIn: 'data.lifetime' } }
    const query = optionsToQuery(options)
    expect(query).toContain('fields.accessToken=access&fields.refreshToken=refresh&fields.expiresIn=data.lifetime')
    const back = optionsFromQuery(query)
    expect(back.fields).toStrictEqual(options.fields)
    expect(normalizeOptions(back, ORIGIN)).toStrictEqual(normalizeOptions(options, ORIGIN))
  })

  it.each([
    [{ accessToken: 'access', bogus: 'x' }, /unknown field `fields\.bogus`; the fields are accessToken, refreshToken, expiresIn/],
    [{ accessToken: 1 }, /`fields\.accessToken` must be a JSON name, or a dotted path such as 'data\.accessToken', got 1/],
    [{ refreshToken: '' }, /`fields\.refreshToken` must be a JSON name/],
    [{ refreshToken: 'data..refresh' }, /`fields\.refreshToken` must be a JSON name/],
    [{ refreshToken: 'a b' }, /`fields\.refreshToken` must be a JSON name/],
    ['access', /`fields` must be an object such as/],
    [['access'], /`fields` must be an object such as/],
  ])('refuses %j, naming the option', (fields, message) => {
    expect(() => normalizeOptions({ ...base, fields } as never, ORIGIN)).toThrow(message)
  })

  it('refuses an unknown key given in the worker URL too', () => {
    expect(() => normalizeOptions(optionsFromQuery('apiPrefix=/api/&refreshUrl=/r&fields.acessToken=access'), ORIGIN)).toThrow(/unknown field `fields\.acessToken`/)
  })

  it("is refused with 'oauth2', whose names RFC 6749 fixes; taken with 'cookie' and dpop", () => {
    expect(() => normalizeOptions({ ...base, refreshProtocol: 'oauth2', clientId: 'spa', fields: { accessToken: 'access' } }, ORIGIN)).toThrow(
      /`fields` must be left out with `refreshProtocol: 'oauth2'`/,
    )
    expect(normalizeOptions({ ...base, refreshProtocol: 'cookie', dpop: true, fields: { accessToken: 'access' } }, ORIGIN).fields.accessToken).toStrictEqual([['access']])
  })
})

describe('B18 fields fail where options enter: the worker file (Vite plugin, CLI) as in the URL', () => {
  it('workerFile refuses an unknown field, naming it', () => {
    expect(() => workerFile({ apiPrefix: '/api/', refreshUrl: '/r', fields: { acessToken: 'access' } as never }, '')).toThrow(/unknown field `fields\.acessToken`/)
  })

  it("the CLI's --fields.<key> flags read as the map", () => {
    const query = new URLSearchParams([['apiPrefix', '/api/'], ['refreshUrl', '/r'], ['fields.accessToken', 'access'], ['fields.refreshToken', 'refresh']])
    expect(optionsFromQuery(query.toString()).fields).toStrictEqual({ accessToken: 'access', refreshToken: 'refresh' })
  })
})

describe('apiRouting and sessionCaches (Workbox apps)', () => {
  const base = { apiPrefix: '/api/', refreshUrl: '/r' }
  it("takes 'proxy' or 'workbox', and a list of cache names (repeats once)", () => {
    const normalized = normalizeOptions({ ...base, apiRouting: 'workbox', sessionCaches: ['api-reads', 'api-reads', 'images'] }, ORIGIN)
    expect([normalized.apiRouting, normalized.sessionCaches]).toStrictEqual(['workbox', ['api-reads', 'images']])
  })

  it.each([
    [{ apiRouting: 'app' }, /`apiRouting` must be 'proxy' or 'workbox', got 'app'/],
    [{ sessionCaches: 'api-reads' }, /`sessionCaches` must be a list of Cache Storage names/],
    [{ sessionCaches: [''] }, /`sessionCaches` must be a list of Cache Storage names/],
  ])('refuses %j, naming the option', (more, message) => {
    expect(() => normalizeOptions({ ...base, ...more } as never, ORIGIN)).toThrow(message)
  })

  it("the standalone worker's file refuses apiRouting: 'workbox' (it has no routes of an app's own)", () => {
    expect(() => workerFile({ ...base, apiRouting: 'workbox' }, '')).toThrow(/`apiRouting: 'workbox'` is for a worker of your own/)
  })

  it('sessionCaches round-trips through the worker URL', () => {
    expect(optionsFromQuery(optionsToQuery({ ...base, sessionCaches: ['a', 'b'] })).sessionCaches).toStrictEqual(['a', 'b'])
  })
})
