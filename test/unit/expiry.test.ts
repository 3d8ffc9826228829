import { describe, expect, it } from 'vitest'
import { believedExpiry, expiredBy, expiryOf, holdBack, jwtExpiry, lifetime, MAX_LIFETIME_MS, refreshDue } from '../../sw/expiry.js'

const NOW = 1_750_000_000_000

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

/** An unsigned JWT with the given payload (the worker never verifies the signature). */
function jwt(payload: unknown): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.c2lnbmF0dXJl`
}

describe('jwtExpiry', () => {
  it('reads exp in seconds and returns epoch milliseconds', () => {
    expect(jwtExpiry(jwt({ exp: 1_700_000_000 }))).toBe(1_700_000_000_000)
    expect(jwtExpiry(jwt({ exp: 1_700_000_000.25 }))).toBe(1_700_000_000_250)
  })

  it("decodes base64url payloads ('-' and '_', no padding)", () => {
    // {"exp":1700000000,"n":"??>"} and {"exp":1700000000,"n":"~~~"}
    const underscore = 'eyJleHAiOjE3MDAwMDAwMDAsIm4iOiI_Pz4ifQ'
    const dash = 'eyJleHAiOjE3MDAwMDAwMDAsIm4iOiJ-fn4ifQ'
    expect(underscore).toBe(b64url({ exp: 1_700_000_000, n: '??>' }))
    expect(dash).toBe(b64url({ exp: 1_700_000_000, n: '~~~' }))
    expect(jwtExpiry(`h.${underscore}.s`)).toBe(1_700_000_000_000)
    expect(jwtExpiry(`h.${dash}.s`)).toBe(1_700_000_000_000)
  })

  it('reads a payload with non-ASCII claims', () => {
    expect(jwtExpiry(jwt({ exp: 1_700_000_000, name: 'Zoë 🙂' }))).toBe(1_700_000_000_000)
  })

  it.each([
    ['an empty string', ''],
    ['an opaque token', 'abcdef'],
    ['two parts', `h.${b64url({ exp: 1 })}`],
    ['four parts', `h.${b64url({ exp: 1 })}.s.x`],
    ['an empty payload', 'h..s'],
    ['a payload that is not base64', 'h.!!!*.s'],
    ['a payload of impossible base64 length', 'h.abcde.s'],
    ['a payload that is not JSON', `h.${b64url('not json')}.s`],
    ['a JSON null payload', `h.${b64url('null')}.s`],
    ['a JSON number payload', `h.${b64url('5')}.s`],
    ['a JSON array payload', `h.${b64url([1700000000])}.s`],
    ['no exp claim', jwt({ sub: 'u' })],
    ['a string exp', jwt({ exp: '1700000000' })],
    ['a null exp', jwt({ exp: null })],
    ['an object exp', jwt({ exp: { at: 1 } })],
  ])('returns undefined for %s', (_, token) => {
    expect(jwtExpiry(token)).toBeUndefined()
  })
})

describe('B10 refreshDue', () => {
  const NOW = 1_000_000
  it('is false without a known expiry', () => {
    expect(refreshDue({ accessToken: 'a' }, NOW, 30_000)).toBe(false)
  })
  it('is true inside the leeway and false outside it', () => {
    const tokens = { accessToken: 'a', expiresAt: NOW + 30_000, obtainedAt: NOW - 3_600_000 }
    expect(refreshDue(tokens, NOW, 30_000)).toBe(true)
    expect(refreshDue(tokens, NOW, 29_999)).toBe(false)
    expect(refreshDue(tokens, NOW + 1, 29_999)).toBe(true)
  })
  it('is true once expired, whatever the leeway', () => {
    expect(refreshDue({ accessToken: 'a', expiresAt: NOW - 1 }, NOW, 0)).toBe(true)
  })
  it('uses half the lifetime when the token lives less than twice the leeway', () => {
    // Lives 10 s, leeway 30 s: refresh in the last 5 s, not from the start.
    const tokens = { accessToken: 'a', expiresAt: NOW + 10_000, obtainedAt: NOW }
    expect(refreshDue(tokens, NOW, 30_000)).toBe(false)
    expect(refreshDue(tokens, NOW + 4_999, 30_000)).toBe(false)
    expect(refreshDue(tokens, NOW + 5_000, 30_000)).toBe(true)
  })
  it('uses the full leeway when the receipt time is unknown', () => {
    expect(refreshDue({ accessToken: 'a', expiresAt: NOW + 10_000 }, NOW, 30_000)).toBe(true)
  })
})

describe('jwtExpiry against a clock that disagrees with the server', () => {
  const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`
  it('with iat and now: now plus the lifetime, whatever the server clock said', () => {
    expect(jwtExpiry(jwt({ iat: 1_000, exp: 1_300 }), 5_000_000)).toBe(5_300_000)
  })
  it('without iat, or without now: exp itself', () => {
    expect(jwtExpiry(jwt({ exp: 1_300 }), 5_000_000)).toBe(1_300_000)
    expect(jwtExpiry(jwt({ iat: 1_000, exp: 1_300 }))).toBe(1_300_000)
  })
  it('an iat after exp is ignored', () => {
    expect(jwtExpiry(jwt({ iat: 2_000, exp: 1_300 }), 5_000_000)).toBe(1_300_000)
  })
})

describe('B10 expiryOf: where an expiry comes from', () => {
  const token = jwt({ iat: 1_000, exp: 1_060 })

  it('expiresIn wins over the JWT', () => {
    expect(expiryOf(token, 5, NOW, null)).toBe(NOW + 5_000)
  })

  it('else the JWT lifetime from now', () => {
    expect(expiryOf(token, undefined, NOW, null)).toBe(NOW + 60_000)
  })

  it('else, for a refresh answer, the lifetime the tokens it replaces had', () => {
    const previous = { accessToken: 'opaque', obtainedAt: NOW - 20_000, expiresAt: NOW - 5_000 }
    expect(expiryOf('opaque2', undefined, NOW, previous)).toBe(NOW + 15_000)
  })

  it('else nothing: a login answer (no previous session) or a previous lifetime that was never known', () => {
    expect(expiryOf('opaque', undefined, NOW, null)).toBeUndefined()
    expect(expiryOf('opaque', undefined, NOW, { accessToken: 'x', obtainedAt: NOW - 1 })).toBeUndefined()
  })

  it('expiredBy: a 401 bounds an unknown lifetime by the time it came, and leaves a known one alone', () => {
    expect(expiredBy({ accessToken: 'a', obtainedAt: NOW - 7_000 }, NOW)).toStrictEqual({ accessToken: 'a', obtainedAt: NOW - 7_000, expiresAt: NOW })
    const known = { accessToken: 'a', obtainedAt: NOW - 7_000, expiresAt: NOW + 1 }
    expect(expiredBy(known, NOW)).toBe(known)
    expect(lifetime(expiredBy({ accessToken: 'a', obtainedAt: NOW - 7_000 }, NOW))).toBe(7_000)
  })
})

describe('B10 expiries the worker does not believe', () => {
  it('a lifetime under a second is not taken from expiresIn: the JWT, or the previous lifetime, speaks instead', () => {
    for (const tiny of [0.001, 1e-9, 0.999, '0.5']) {
      expect(expiryOf(jwt({ iat: 100, exp: 160 }), tiny, NOW, null)).toBe(NOW + 60_000)
      expect(expiryOf('opaque', tiny, NOW, { accessToken: 'a', obtainedAt: NOW - 5_000, expiresAt: NOW })).toBe(NOW + 5_000)
      expect(expiryOf('opaque', tiny, NOW, null)).toBeUndefined()
    }
    expect(expiryOf('opaque', 1, NOW, null)).toBe(NOW + 1_000)
  })

  it(`a lifetime longer than ${MAX_LIFETIME_MS / 86_400_000} days is taken as that long, so the expiry is a real date`, () => {
    for (const huge of [1e300, 8.64e12, '1e300']) {
      const expiresAt = expiryOf('opaque', huge, NOW, null)!
      expect(expiresAt).toBe(NOW + MAX_LIFETIME_MS)
      expect(Number.isNaN(new Date(expiresAt).getTime())).toBe(false)
    }
    expect(expiryOf(jwt({ exp: 1e300 }), undefined, NOW, null)).toBe(NOW + MAX_LIFETIME_MS)
    expect(believedExpiry(8.64e18, NOW)).toBe(NOW + MAX_LIFETIME_MS)
    expect(believedExpiry(NOW - 1, NOW)).toBe(NOW - 1)
  })
})

describe('B10 holdBack after a refresh ahead of expiry failed', () => {
  it('is 5 s, or a quarter of the lifetime when shorter', () => {
    expect(holdBack({ accessToken: 'a' })).toBe(5_000)
    expect(holdBack({ accessToken: 'a', obtainedAt: NOW, expiresAt: NOW + 60_000 })).toBe(5_000)
    expect(holdBack({ accessToken: 'a', obtainedAt: NOW, expiresAt: NOW + 8_000 })).toBe(2_000)
  })
})
