import type { Tokens } from './protocol.js'

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * When a JWT expires, in epoch milliseconds of this machine's clock, read
 * without verifying anything. With `now` and an `iat` claim, the expiry is
 * `now` plus the token's lifetime (`exp - iat`): a clock that disagrees with
 * the server's then costs nothing, where comparing `exp` with the local clock
 * would refresh on every request once the difference exceeds the lifetime.
 */
export function jwtExpiry(token: string, now?: number): number | undefined {
  const payload = token.split('.')[1]
  if (token.split('.').length !== 3 || !payload) return undefined
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const { exp, iat } = JSON.parse(json) as { exp?: unknown; iat?: unknown }
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined
    return now !== undefined && typeof iat === 'number' && Number.isFinite(iat) && iat <= exp
      ? now + (exp - iat) * 1000
      : exp * 1000
  } catch {
    return undefined
  }
}

/**
 * The longest token the worker takes: a header longer than this passes no
 * Node.js server with its default limits (16 KiB for all headers).
 */
export const MAX_TOKEN_LENGTH = 16_384

/** RFC 6750 §2.1 `b64token`: what `Authorization: Bearer` can carry. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
/** RFC 6749 Appendix A.17: a refresh token is printable ASCII. */
const VSCHARS = /^[\x20-\x7e]+$/

/** Why `value` cannot be an access token, or `undefined` when it can. */
export function accessTokenProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'a non-empty string'
  if (value.length > MAX_TOKEN_LENGTH) return `at most ${MAX_TOKEN_LENGTH} characters long, got ${value.length}`
  if (!B64TOKEN.test(value)) return 'a token a header can carry (letters, digits and -._~+/ then any =, RFC 6750)'
  return undefined
}

/** Why `value` cannot be a refresh token, or `undefined` when it can. */
export function refreshTokenProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'a non-empty string'
  if (value.length > MAX_TOKEN_LENGTH) return `at most ${MAX_TOKEN_LENGTH} characters long, got ${value.length}`
  if (!VSCHARS.test(value)) return 'printable ASCII (RFC 6749)'
  return undefined
}

/** What a token endpoint's answer held: tokens, or why there are none to use. */
export type TokenAnswer = { tokens: Tokens; problem?: undefined } | { tokens?: undefined; problem: string }

/**
 * Reads the tokens out of a refresh or login response body. Accepts
 * `accessToken`, `access_token` or `token`. `previous` is the session a
 * refresh answer continues: its refresh token is kept when the server does
 * not rotate it. A login answer starts a new session (B17): pass `null`, and
 * nothing of the last session survives into it.
 */
export function readTokenAnswer(body: unknown, previous: Tokens | null, now: number): TokenAnswer {
  if (typeof body !== 'object' || body === null) return { problem: 'no access token in the response' }
  const b = body as Record<string, unknown>
  const accessToken = text(b.accessToken) ?? text(b.access_token) ?? text(b.token)
  if (!accessToken) return { problem: 'no access token in the response' }
  const badAccess = accessTokenProblem(accessToken)
  if (badAccess) return { problem: `the access token must be ${badAccess}` }
  const rotated = text(b.refreshToken) ?? text(b.refresh_token)
  const badRefresh = rotated === undefined ? undefined : refreshTokenProblem(rotated)
  if (badRefresh) return { problem: `the refresh token must be ${badRefresh}` }
  const refreshToken = rotated ?? previous?.refreshToken
  const raw = b.expiresIn ?? b.expires_in
  const expiresIn = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
  const expiresAt =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
      ? now + expiresIn * 1000
      : jwtExpiry(accessToken, now)
  const tokens: Tokens = { accessToken }
  if (refreshToken) tokens.refreshToken = refreshToken
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt
  return { tokens }
}

/**
 * Whether the access token is close enough to its expiry to refresh before
 * sending (B10). The margin is `leeway`, or half the token's lifetime when
 * that is shorter, so a short-lived token is not refreshed on every request.
 */
export function expiresSoon(tokens: Tokens, now: number, leeway: number): boolean {
  const { expiresAt, obtainedAt } = tokens
  if (expiresAt === undefined) return false
  const lifetime = obtainedAt === undefined ? Infinity : Math.max(0, expiresAt - obtainedAt)
  return now >= expiresAt - Math.min(leeway, lifetime / 2)
}
