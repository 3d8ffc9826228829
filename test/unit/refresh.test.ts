import { describe, expect, it } from 'vitest'
import { normalizeOptions, type TokenProxyOptions } from '../../common/options.js'
import type { Tokens } from '../../common/tokens.js'
import { classifyRefreshResponse, refreshInit, retryDelay, refusalReason } from '../../sw/refresh.js'

const NOW = 1_750_000_000_000
const PREVIOUS: Tokens = { accessToken: 'old', refreshToken: 'R0', expiresAt: NOW - 1 }

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function text(status: number, body: BodyInit | null, type = 'text/plain'): Response {
  return new Response(body, { status, headers: { 'Content-Type': type } })
}

describe('classifyRefreshResponse: ok', () => {
  it('reads a 200 with a rotated refresh token and expiry', async () => {
    await expect(
      classifyRefreshResponse(json(200, { accessToken: 'new', refreshToken: 'R1', expiresIn: 60 }), PREVIOUS, NOW),
    ).resolves.toStrictEqual({ kind: 'refreshed', tokens: { obtainedAt: NOW, accessToken: 'new', refreshToken: 'R1', expiresAt: NOW + 60_000 } })
  })

  it('keeps the previous refresh token when the server does not rotate it', async () => {
    await expect(classifyRefreshResponse(json(200, { access_token: 'new' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'refreshed',
      tokens: { obtainedAt: NOW, accessToken: 'new', refreshToken: 'R0' },
    })
  })

  it('accepts any 2xx carrying a token', async () => {
    await expect(classifyRefreshResponse(json(201, { token: 'new' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'refreshed',
      tokens: { obtainedAt: NOW, accessToken: 'new', refreshToken: 'R0' },
    })
  })

  it('reads JSON regardless of the Content-Type header', async () => {
    await expect(
      classifyRefreshResponse(text(200, '{"accessToken":"new"}', 'text/plain'), PREVIOUS, NOW),
    ).resolves.toStrictEqual({ kind: 'refreshed', tokens: { obtainedAt: NOW, accessToken: 'new', refreshToken: 'R0' } })
  })
})

describe('B7 classifyRefreshResponse: rejected', () => {
  it.each([401, 403])('%i rejects the session', async (status) => {
    await expect(classifyRefreshResponse(json(status, { error: 'nope' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'rejected',
    })
  })

  it.each([401, 403])('%i rejects the session even with a token or no body at all', async (status) => {
    await expect(classifyRefreshResponse(json(status, { accessToken: 'x' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'rejected',
    })
    await expect(classifyRefreshResponse(text(status, null), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'rejected',
    })
  })

  it("400 { error: 'invalid_grant' } rejects the session", async () => {
    await expect(
      classifyRefreshResponse(json(400, { error: 'invalid_grant', error_description: 'expired' }), PREVIOUS, NOW),
    ).resolves.toStrictEqual({ kind: 'rejected' })
  })
})

describe('B8 classifyRefreshResponse: unavailable', () => {
  it.each([
    ['invalid_request', { error: 'invalid_request' }],
    ['no error field', { message: 'bad' }],
    ['an error object', { error: { code: 'invalid_grant' } }],
    ['JSON null', null],
  ])('400 with %s is unavailable', async (_, body) => {
    await expect(classifyRefreshResponse(json(400, body), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: expect.stringMatching(/^status 400\b/),
    })
  })

  it('400 with an HTML body is unavailable', async () => {
    await expect(
      classifyRefreshResponse(text(400, '<h1>Bad Request</h1>', 'text/html'), PREVIOUS, NOW),
    ).resolves.toStrictEqual({ kind: 'unavailable', reason: expect.stringMatching(/^status 400\b/) })
  })

  it.each([404, 408, 429, 500, 502, 503, 504])('%i is unavailable', async (status) => {
    await expect(classifyRefreshResponse(json(status, { error: 'oops' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: expect.stringMatching(new RegExp(`^status ${status}\\b`)),
    })
  })

  it('a 5xx that says invalid_grant is unavailable, not rejected', async () => {
    await expect(
      classifyRefreshResponse(json(503, { error: 'invalid_grant' }), PREVIOUS, NOW),
    ).resolves.toStrictEqual({ kind: 'unavailable', reason: expect.stringMatching(/^status 503\b/) })
  })

  it('a 500 carrying a token is unavailable', async () => {
    await expect(classifyRefreshResponse(json(500, { accessToken: 'x' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: expect.stringMatching(/^status 500\b/),
    })
  })

  it('a 3xx is unavailable', async () => {
    await expect(classifyRefreshResponse(text(302, null), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: 'status 302',
    })
  })

  it.each([
    ['HTML', () => text(200, '<!doctype html><html><body>Login</body></html>', 'text/html')],
    ['an empty body', () => text(200, '', 'application/json')],
    ['no body', () => text(200, null)],
    ['204 No Content', () => new Response(null, { status: 204 })],
    ['truncated JSON', () => text(200, '{"accessToken":"ab', 'application/json')],
    ['JSON without a token', () => json(200, { ok: true, refreshToken: 'R1' })],
    ['JSON with an empty token', () => json(200, { accessToken: '' })],
    ['JSON null', () => json(200, null)],
    ['a JSON string', () => json(200, 'token')],
    ['a JSON array', () => json(200, [{ accessToken: 'x' }])],
    ['binary', () => new Response(new Uint8Array([0xff, 0xfe, 0x00]), { status: 200 })],
    [
      'a body stream that errors',
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.error(new Error('connection reset'))
            },
          }),
          { status: 200 },
        ),
    ],
  ])('a 200 with %s is unavailable, never a throw', async (_, make) => {
    await expect(classifyRefreshResponse(make(), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: 'no access token in the response (read as accessToken, access_token, token)',
    })
  })

  it('a body that was already read is unavailable, never a throw', async () => {
    const response = json(200, { accessToken: 'x' })
    await response.text()
    await expect(classifyRefreshResponse(response, PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: 'no access token in the response (read as accessToken, access_token, token)',
    })
  })
})

describe("refreshProtocol 'oauth2' (RFC 6749 §5.1, §5.2, §6)", () => {
  const classify = (response: Response) => classifyRefreshResponse(response, PREVIOUS, NOW, 'oauth2')

  it('reads a §5.1 answer: access_token, token_type Bearer (any case), expires_in, a rotated refresh_token', async () => {
    await expect(
      classify(json(200, { access_token: 'new', token_type: 'bearer', expires_in: 300, refresh_token: 'R1', scope: 'openid' })),
    ).resolves.toStrictEqual({ kind: 'refreshed', tokens: { obtainedAt: NOW, accessToken: 'new', refreshToken: 'R1', expiresAt: NOW + 300_000 } })
  })

  it.each([400, 401])('%i invalid_grant ends the session', async (status) => {
    await expect(classify(json(status, { error: 'invalid_grant', error_description: 'grant request is invalid' }))).resolves.toStrictEqual({ kind: 'rejected' })
  })

  it.each([
    [401, 'invalid_client'],
    [400, 'invalid_request'],
    [400, 'unauthorized_client'],
    [400, 'unsupported_grant_type'],
    [400, 'invalid_scope'],
    [403, undefined],
    [401, undefined],
  ])('%i %s keeps the session (B8): the client is set up wrong, the grant may be fine', async (status, error) => {
    await expect(classify(json(status, error ? { error } : {}))).resolves.toStrictEqual({ kind: 'unavailable', reason: expect.stringMatching(new RegExp(`^status ${status}\\b`)) })
  })

  it('a token_type other than Bearer is unavailable: the worker would send it as a Bearer token', async () => {
    await expect(classify(json(200, { access_token: 'new', token_type: 'DPoP' }))).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: 'token_type DPoP is not Bearer',
    })
  })

  it('with dpop, a DPoP token is kept as one, a Bearer token as Bearer, and anything else is unavailable', async () => {
    const dpop = (body: unknown) => classifyRefreshResponse(json(200, body), PREVIOUS, NOW, 'oauth2', true)
    await expect(dpop({ access_token: 'new', token_type: 'dpop' })).resolves.toStrictEqual({
      kind: 'refreshed',
      tokens: { obtainedAt: NOW, accessToken: 'new', tokenType: 'DPoP', refreshToken: 'R0' },
    })
    await expect(dpop({ access_token: 'new', token_type: 'Bearer' })).resolves.toStrictEqual({ kind: 'refreshed', tokens: { obtainedAt: NOW, accessToken: 'new', refreshToken: 'R0' } })
    await expect(dpop({ access_token: 'new', token_type: 'N_A' })).resolves.toStrictEqual({ kind: 'unavailable', reason: 'token_type N_A is not Bearer or DPoP' })
  })
})

describe('refreshInit: the request each protocol sends', () => {
  const options = (more: Partial<TokenProxyOptions>) => normalizeOptions({ apiPrefix: '/api/', refreshUrl: '/oauth/token', ...more }, 'https://app.example')
  const tokens: Tokens = { accessToken: 'A', refreshToken: 'R 0+&=' }

  it("B18 'json': the refresh token under the server's own name from `fields`, nested along a dotted path", () => {
    expect(refreshInit(options({}), tokens).body).toBe('{"refreshToken":"R 0+&="}')
    expect(refreshInit(options({ fields: { refreshToken: 'refresh' } }), tokens).body).toBe('{"refresh":"R 0+&="}')
    expect(refreshInit(options({ fields: { refreshToken: 'data.refresh_token' } }), tokens).body).toBe('{"data":{"refresh_token":"R 0+&="}}')
  })

  it("'oauth2': a form of grant_type, refresh_token, client_id and scope, with no cookie", async () => {
    const init = refreshInit(options({ refreshProtocol: 'oauth2', clientId: 'spa', scope: 'openid api' }), tokens)
    const request = new Request('https://app.example/oauth/token', { ...init, method: 'POST' })
    expect(request.headers.get('Content-Type')).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(request.credentials).toBe('omit')
    expect(Object.fromEntries(new URLSearchParams(await request.text()))).toStrictEqual({
      grant_type: 'refresh_token',
      refresh_token: 'R 0+&=',
      client_id: 'spa',
      scope: 'openid api',
    })
  })

  it("'oauth2' without a scope leaves it out", async () => {
    const init = refreshInit(options({ refreshProtocol: 'oauth2', clientId: 'spa' }), tokens)
    expect([...new URLSearchParams(String(init.body)).keys()]).toStrictEqual(['grant_type', 'refresh_token', 'client_id'])
  })

  it("'json' sends the refresh token as JSON", () => {
    const init = refreshInit(options({}), tokens)
    expect(JSON.parse(String(init.body))).toStrictEqual({ refreshToken: 'R 0+&=' })
  })
})

describe('B8 retryDelay: one more try after a transient answer, within the timeout', () => {
  const NOW_MS = 1_750_000_000_000
  const answer = (status: number, headers: HeadersInit = {}) => new Response(null, { status, headers })

  it.each([502, 503, 504])('%i is retried at once', (status) => {
    expect(retryDelay(answer(status), NOW_MS, NOW_MS + 10_000)).toBe(0)
  })

  it.each([200, 400, 401, 403, 404, 429, 500, 501])('%i is not retried', (status) => {
    expect(retryDelay(answer(status), NOW_MS, NOW_MS + 10_000)).toBeUndefined()
  })

  it('honours Retry-After in seconds and as a date, when the retry still fits', () => {
    expect(retryDelay(answer(503, { 'Retry-After': '2' }), NOW_MS, NOW_MS + 10_000)).toBe(2_000)
    expect(retryDelay(answer(503, { 'Retry-After': new Date(NOW_MS + 3_000).toUTCString() }), NOW_MS, NOW_MS + 10_000)).toBe(3_000)
    expect(retryDelay(answer(503, { 'Retry-After': new Date(NOW_MS - 3_000).toUTCString() }), NOW_MS, NOW_MS + 10_000)).toBe(0)
  })

  it('gives up when the pause would reach past the deadline', () => {
    expect(retryDelay(answer(503, { 'Retry-After': '10' }), NOW_MS, NOW_MS + 10_000)).toBeUndefined()
    expect(retryDelay(answer(503), NOW_MS, NOW_MS)).toBeUndefined()
  })

  it('takes a Retry-After it cannot read for none', () => {
    expect(retryDelay(answer(503, { 'Retry-After': 'soon' }), NOW_MS, NOW_MS + 10_000)).toBe(0)
  })
})

describe('B8 + B18 refusalReason: what the page and the console learn of a refusal', () => {
  const tokens = { accessToken: 'access-1', refreshToken: 'refresh-secret-1' }
  it.each([
    [400, { refresh: ['This field is required.'] }, 'status 400 (refresh: This field is required.)'],
    [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }, 'status 401 (detail: Token is blacklisted; code: token_not_valid)'],
    [400, { error: 'invalid_request', error_description: 'no refresh-secret-1 here' }, 'status 400 (error: invalid_request; error_description: no [token] here)'],
    [400, { error: 'bad', detail: 'eyJhbGciOiJIUzI1.eyJzdWIiOiJhZGEi.c2lnbmF0dXJlIQ' }, 'status 400 (error: bad; detail: [token])'],
    [500, { error: { nested: true } }, 'status 500'],
    [500, null, 'status 500'],
    [502, '<html>', 'status 502'],
  ])('%i %j says %j', (status, body, reason) => {
    expect(refusalReason(status, body, tokens)).toBe(reason)
  })

  it('says at most 200 characters of it', () => {
    const reason = refusalReason(400, { detail: 'x'.repeat(1000) }, tokens)
    expect(reason).toBe(`status 400 (detail: ${'x'.repeat(191)}…)`)
  })
})
