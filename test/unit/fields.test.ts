import { describe, expect, it } from 'vitest'
import { normalizeOptions } from '../../common/options.js'
import { bodyWith, readField, readPath, secretPaths, tokenLikePaths, withoutPaths } from '../../sw/fields.js'
import { readTokenAnswer } from '../../sw/token-answer.js'

const NOW = 1_750_000_000_000
const fieldsOf = (fields: object) => normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/r', fields }, 'https://app.example').fields

describe('B18 fields: reading and writing along paths', () => {
  it('reads a name or a dotted path, own members only', () => {
    const body = { data: { accessToken: 'a' }, access: 'b' }
    expect(readPath(body, ['access'])).toBe('b')
    expect(readPath(body, ['data', 'accessToken'])).toBe('a')
    expect(readPath(body, ['data', 'missing'])).toBeUndefined()
    expect(readPath(body, ['access', 'length'])).toBeUndefined()
    expect(readPath({}, ['toString'])).toBeUndefined()
    expect(readField({ accessToken: '', token: 't' }, [['accessToken'], ['token']])).toBe('t')
  })

  it('writes a request body with one field, nested along the path', () => {
    expect(bodyWith(['refresh'], 'r')).toStrictEqual({ refresh: 'r' })
    expect(bodyWith(['data', 'refresh_token'], 'r')).toStrictEqual({ data: { refresh_token: 'r' } })
  })

  it('takes fields out wherever they sit, and an object left empty goes too; the body given is left as it was', () => {
    const body = { user: 'ada', data: { tokens: { access: 'a', refresh: 'r' }, role: 'admin' }, id_token: 'i' }
    const rest = withoutPaths(body, [['data', 'tokens', 'access'], ['data', 'tokens', 'refresh'], ['missing', 'x']])
    expect(rest).toStrictEqual({ user: 'ada', data: { role: 'admin' }, id_token: 'i' })
    expect(withoutPaths({ data: { access: 'a' } }, [['data', 'access']])).toStrictEqual({})
    expect(body.data.tokens.access).toBe('a')
  })

  it('finds what is plainly a token under any name the worker was not told of; never the id_token', () => {
    expect(tokenLikePaths({ refresh: 'r', access: 'a', user: 'ada' })).toStrictEqual(['refresh', 'access'])
    expect(tokenLikePaths({ data: { jwt: 'j' }, id_token: 'i', mfa_required: true })).toStrictEqual(['data.jwt'])
    expect(tokenLikePaths({ mfa_required: true, access: '' })).toStrictEqual([])
  })

  it("SimpleJWT's answer read with fields: tokens found, and none of them left for the page", () => {
    const fields = fieldsOf({ accessToken: 'access', refreshToken: 'refresh' })
    const body = { refresh: 'r-1', access: 'a-1' }
    expect(readTokenAnswer(body, null, NOW, { fields }).tokens).toMatchObject({ accessToken: 'a-1', refreshToken: 'r-1' })
    expect(withoutPaths(body, secretPaths(fields))).toStrictEqual({})
  })

  it('a nested answer, with its lifetime under another name', () => {
    const fields = fieldsOf({ accessToken: 'data.accessToken', refreshToken: 'data.refreshToken', expiresIn: 'data.lifetime' })
    const body = { data: { accessToken: 'a-1', refreshToken: 'r-1', lifetime: 60 }, user: 'ada' }
    expect(readTokenAnswer(body, null, NOW, { fields }).tokens).toStrictEqual({ accessToken: 'a-1', refreshToken: 'r-1', expiresAt: NOW + 60_000, obtainedAt: NOW })
    expect(withoutPaths(body, secretPaths(fields))).toStrictEqual({ user: 'ada' })
  })

  it('without fields, exactly the names read before', () => {
    const fields = fieldsOf({})
    expect(readTokenAnswer({ access_token: 'a', refresh_token: 'r', expires_in: 10 }, null, NOW, { fields }).tokens).toStrictEqual({
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: NOW + 10_000,
      obtainedAt: NOW,
    })
    expect(readTokenAnswer({ access: 'a' }, null, NOW, { fields }).problem).toBe('no access token in the response (read as accessToken, access_token, token)')
  })
})
