import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Tokens } from '../../common/tokens.js'
import { accessTokenProblem, MAX_TOKEN_LENGTH, refreshTokenProblem } from '../../common/tokens.js'
import { lifetime } from '../../sw/expiry.js'
import { readTokenAnswer } from '../../sw/token-answer.js'

/** The tokens of an answer, or `undefined` when it gives none. */
const tokensOf = (body: unknown, previous: Tokens | null, now: number) => readTokenAnswer(body, previous, now).tokens

const NOW = 1_750_000_000_000

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

/** An unsigned JWT with the given payload (the worker never verifies the signature). */
function jwt(payload: unknown): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.c2lnbmF0dXJl`
}

describe('readTokenAnswer: access token', () => {
  it.each([
    [{ accessToken: 'A' }],
    [{ access_token: 'A' }],
    [{ token: 'A' }],
  ])('reads the access token from %j', (body) => {
    expect(tokensOf(body, null, NOW)).toStrictEqual({ obtainedAt: NOW, accessToken: 'A' })
  })

  it('prefers accessToken over access_token over token', () => {
    expect(tokensOf({ accessToken: 'A', access_token: 'B', token: 'C' }, null, NOW)).toStrictEqual({
      obtainedAt: NOW,
      accessToken: 'A',
    })
    expect(tokensOf({ access_token: 'B', token: 'C' }, null, NOW)).toStrictEqual({ obtainedAt: NOW, accessToken: 'B' })
  })

  it('skips an empty accessToken and uses the next name', () => {
    expect(tokensOf({ accessToken: '', token: 'C' }, null, NOW)).toStrictEqual({ obtainedAt: NOW, accessToken: 'C' })
  })

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'A'],
    ['a number', 42],
    ['an array', ['A']],
    ['an empty object', {}],
    ['an empty accessToken', { accessToken: '' }],
    ['an empty access_token', { access_token: '' }],
    ['an empty token', { token: '' }],
    ['a numeric accessToken', { accessToken: 123 }],
    ['an object accessToken', { accessToken: { value: 'A' } }],
    ['only a refresh token', { refreshToken: 'R' }],
  ])('returns undefined for %s', (_, body) => {
    expect(tokensOf(body, { accessToken: 'old', refreshToken: 'R0' }, NOW)).toBeUndefined()
  })
})

describe('readTokenAnswer: refresh token', () => {
  const previous: Tokens = { accessToken: 'old', refreshToken: 'R0', expiresAt: 1 }

  it.each([[{ accessToken: 'A', refreshToken: 'R1' }], [{ accessToken: 'A', refresh_token: 'R1' }]])(
    'reads the rotated refresh token from %j',
    (body) => {
      expect(tokensOf(body, previous, NOW)).toStrictEqual({ obtainedAt: NOW, accessToken: 'A', refreshToken: 'R1' })
    },
  )

  it('prefers refreshToken over refresh_token', () => {
    expect(tokensOf({ accessToken: 'A', refreshToken: 'R1', refresh_token: 'R2' }, null, NOW)).toStrictEqual(
      { obtainedAt: NOW, accessToken: 'A', refreshToken: 'R1' },
    )
  })

  it('keeps the previous refresh token when the server does not rotate it', () => {
    expect(tokensOf({ accessToken: 'A' }, previous, NOW)).toStrictEqual({
      obtainedAt: NOW,
      accessToken: 'A',
      refreshToken: 'R0',
    })
  })

  it('keeps the previous refresh token when the new one is empty', () => {
    expect(tokensOf({ accessToken: 'A', refreshToken: '' }, previous, NOW)).toStrictEqual({
      obtainedAt: NOW,
      accessToken: 'A',
      refreshToken: 'R0',
    })
  })

  it('has no refreshToken key at all when there is none, new or previous', () => {
    const tokens = tokensOf({ accessToken: 'A' }, { accessToken: 'old' }, NOW)
    expect(tokens).toStrictEqual({ obtainedAt: NOW, accessToken: 'A' })
    expect(Object.keys(tokens ?? {})).toStrictEqual(['accessToken', 'obtainedAt'])
  })

  it('does not carry over the previous expiry', () => {
    expect(tokensOf({ accessToken: 'A' }, previous, NOW)?.expiresAt).toBeUndefined()
  })
})

describe('readTokenAnswer: expiry (B10)', () => {
  it.each([
    [{ expiresIn: 3600 }, NOW + 3_600_000],
    [{ expires_in: 60 }, NOW + 60_000],
    [{ expiresIn: '120' }, NOW + 120_000],
    [{ expires_in: '90' }, NOW + 90_000],
    [{ expiresIn: ' 30 ' }, NOW + 30_000],
    [{ expiresIn: 1.5 }, NOW + 1500],
    [{ expiresIn: 10, expires_in: 20 }, NOW + 10_000],
  ])('%j → now + seconds * 1000', (fields, expected) => {
    expect(tokensOf({ accessToken: 'A', ...fields }, null, NOW)).toStrictEqual({
      obtainedAt: NOW,
      accessToken: 'A',
      expiresAt: expected,
    })
  })

  it('falls back to the JWT exp claim when no expiresIn is given', () => {
    const token = jwt({ sub: 'u1', exp: 1_700_000_000 })
    expect(tokensOf({ accessToken: token, refreshToken: 'R' }, null, NOW)).toStrictEqual({
      obtainedAt: NOW,
      accessToken: token,
      refreshToken: 'R',
      expiresAt: 1_700_000_000_000,
    })
  })

  it('prefers expiresIn over the JWT exp claim', () => {
    const token = jwt({ exp: 1_700_000_000 })
    expect(tokensOf({ token, expires_in: 5 }, null, NOW)?.expiresAt).toBe(NOW + 5000)
  })

  it.each([
    ['zero', 0],
    ['negative', -10],
    ['an empty string', ''],
    ['a blank string', '  '],
    ['a word', 'soon'],
    ['null', null],
    ['a boolean', true],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
  ])('ignores an expiresIn that is %s and falls back to the JWT', (_, expiresIn) => {
    const token = jwt({ exp: 1_700_000_123 })
    expect(tokensOf({ accessToken: token, expiresIn }, null, NOW)?.expiresAt).toBe(1_700_000_123_000)
    expect(tokensOf({ accessToken: 'opaque', expiresIn }, null, NOW)).toStrictEqual({
      obtainedAt: NOW,
      accessToken: 'opaque',
    })
  })

  it('has no expiresAt for an opaque token without expiresIn', () => {
    const tokens = tokensOf({ accessToken: 'opaque' }, null, NOW)
    expect(tokens).toStrictEqual({ obtainedAt: NOW, accessToken: 'opaque' })
    expect('expiresAt' in (tokens ?? {})).toBe(false)
  })
})

describe("B10 the seed's protocol: refresh answers that say nothing of the expiry", () => {
  it('each refreshed token lives as long as the login answer said, however long each took to store', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 20 }), (gaps) => {
        let now = NOW
        let tokens = tokensOf({ token: 'login', refreshToken: 'R', expiresIn: 2 }, null, now)!
        for (const gap of gaps) {
          // The answer is read at `now`; storing it and the next refresh come later.
          now += gap
          tokens = tokensOf({ token: `t${now}` }, tokens, now)!
          expect(tokens.obtainedAt).toBe(now)
          expect(lifetime(tokens)).toBe(2_000)
        }
      }),
    )
  })
})

describe('B14 token values no header can carry', () => {
  it.each([
    ['a line break', 'a\r\nX-Injected: 1'],
    ['a space', 'a b'],
    ['a comma', 'a,b'],
    ['a quote', 'a"b'],
    ['non-ASCII', 'tökén'],
    ['= inside', 'a=b'],
    ['too long', 'x'.repeat(MAX_TOKEN_LENGTH + 1)],
  ])('an access token with %s is refused', (_, value) => {
    expect(accessTokenProblem(value)).toEqual(expect.any(String))
    expect(readTokenAnswer({ accessToken: value, refreshToken: 'R' }, null, NOW)).toStrictEqual({ problem: expect.stringMatching(/^the access token must be /) })
  })

  it.each(['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', 'opaque-token_1.2~3+4/5==', 'x'.repeat(MAX_TOKEN_LENGTH)])('%s is an access token', (value) => {
    expect(accessTokenProblem(value)).toBeUndefined()
  })

  it.each(['a\r\nb', 'x'.repeat(MAX_TOKEN_LENGTH + 1), 'tökén'])('a refresh token %j is refused', (value) => {
    expect(refreshTokenProblem(value)).toEqual(expect.any(String))
    expect(readTokenAnswer({ accessToken: 'A', refreshToken: value }, null, NOW)).toStrictEqual({ problem: expect.stringMatching(/^the refresh token must be /) })
  })

  it('a refresh token may hold any printable ASCII, spaces included (RFC 6749 VSCHAR)', () => {
    expect(refreshTokenProblem('a b"c,d=')).toBeUndefined()
  })
})

describe('B17 a login answer starts a new session', () => {
  it('with no previous session given, nothing carries over: no refresh token, no expiry', () => {
    expect(readTokenAnswer({ accessToken: 'B' }, null, NOW)).toStrictEqual({ tokens: { obtainedAt: NOW, accessToken: 'B' } })
  })
})
