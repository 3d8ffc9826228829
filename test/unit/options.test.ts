import { describe, expect, it } from 'vitest'
import { TokenProxyOptionsError } from '../../sw/errors.js'
import {
  isSameOriginPath,
  normalizeOptions,
  OPTION_NAMES,
  optionsFromQuery,
  optionsToQuery,
  type TokenProxyOptions,
} from '../../sw/options.js'

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
      `${PREFIX}\`apiPrefix\` must be a path or a non-empty list of paths, got an array.`,
    )
  })

  it('rejects an unknown refreshProtocol', () => {
    expect(errorOf({ apiPrefix: '/api/', refreshUrl: '/auth/refresh', refreshProtocol: 'form' }).message).toBe(
      `${PREFIX}\`refreshProtocol\` must be 'json' or 'cookie', got 'form'.`,
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
      `${PREFIX}\`refreshTimeout\` must be a whole number of milliseconds above 0, got ${shown}.`,
    )
  })

  it('rejects an unknown option, listing the known ones', () => {
    const error = errorOf({ apiPrefix: '/api/', refreshUrl: '/auth/refresh', clientId: 'web' })
    expect(error).toBeInstanceOf(TokenProxyOptionsError)
    expect(error.message).toBe(
      `${PREFIX}unknown option \`clientId\`; the options are ${OPTION_NAMES.join(', ')}.`,
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
      refreshTimeout: 10_000,
      expiryLeeway: 30_000,
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
      refreshTimeout: 2500,
      expiryLeeway: 0,
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

  it('round-trips a list of prefixes, the refresh URL, the protocol and a numeric timeout', () => {
    const options: TokenProxyOptions = {
      apiPrefix: ['/api/', '/graph ql/', '/a&b=c/'],
      refreshUrl: '/api/auth/refresh?x=1&y=2',
      refreshProtocol: 'json',
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
      `${PREFIX}\`refreshTimeout\` must be a whole number of milliseconds above 0, got NaN.`,
    )
  })
})
