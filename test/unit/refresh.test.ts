import { describe, expect, it } from 'vitest'
import type { Tokens } from '../../sw/protocol.js'
import { classifyRefreshResponse } from '../../sw/refresh.js'

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
    ).resolves.toStrictEqual({ kind: 'ok', tokens: { accessToken: 'new', refreshToken: 'R1', expiresAt: NOW + 60_000 } })
  })

  it('keeps the previous refresh token when the server does not rotate it', async () => {
    await expect(classifyRefreshResponse(json(200, { access_token: 'new' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'ok',
      tokens: { accessToken: 'new', refreshToken: 'R0' },
    })
  })

  it('accepts any 2xx carrying a token', async () => {
    await expect(classifyRefreshResponse(json(201, { token: 'new' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'ok',
      tokens: { accessToken: 'new', refreshToken: 'R0' },
    })
  })

  it('reads JSON regardless of the Content-Type header', async () => {
    await expect(
      classifyRefreshResponse(text(200, '{"accessToken":"new"}', 'text/plain'), PREVIOUS, NOW),
    ).resolves.toStrictEqual({ kind: 'ok', tokens: { accessToken: 'new', refreshToken: 'R0' } })
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
      reason: 'status 400',
    })
  })

  it('400 with an HTML body is unavailable', async () => {
    await expect(
      classifyRefreshResponse(text(400, '<h1>Bad Request</h1>', 'text/html'), PREVIOUS, NOW),
    ).resolves.toStrictEqual({ kind: 'unavailable', reason: 'status 400' })
  })

  it.each([404, 408, 429, 500, 502, 503, 504])('%i is unavailable', async (status) => {
    await expect(classifyRefreshResponse(json(status, { error: 'oops' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: `status ${status}`,
    })
  })

  it('a 5xx that says invalid_grant is unavailable, not rejected', async () => {
    await expect(
      classifyRefreshResponse(json(503, { error: 'invalid_grant' }), PREVIOUS, NOW),
    ).resolves.toStrictEqual({ kind: 'unavailable', reason: 'status 503' })
  })

  it('a 500 carrying a token is unavailable', async () => {
    await expect(classifyRefreshResponse(json(500, { accessToken: 'x' }), PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: 'status 500',
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
      reason: 'no access token in the response',
    })
  })

  it('a body that was already read is unavailable, never a throw', async () => {
    const response = json(200, { accessToken: 'x' })
    await response.text()
    await expect(classifyRefreshResponse(response, PREVIOUS, NOW)).resolves.toStrictEqual({
      kind: 'unavailable',
      reason: 'no access token in the response',
    })
  })
})
