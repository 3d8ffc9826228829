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
 * Reads the tokens out of a refresh (or login) response body. Accepts
 * `accessToken`, `access_token` or `token`; keeps the previous refresh token
 * when the server does not rotate it. Returns `undefined` when the body holds
 * no access token.
 */
export function parseTokenResponse(body: unknown, previous: Tokens | null, now: number): Tokens | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const b = body as Record<string, unknown>
  const accessToken = text(b.accessToken) ?? text(b.access_token) ?? text(b.token)
  if (!accessToken) return undefined
  const refreshToken = text(b.refreshToken) ?? text(b.refresh_token) ?? previous?.refreshToken
  const raw = b.expiresIn ?? b.expires_in
  const expiresIn = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
  const expiresAt =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
      ? now + expiresIn * 1000
      : jwtExpiry(accessToken, now)
  const tokens: Tokens = { accessToken }
  if (refreshToken) tokens.refreshToken = refreshToken
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt
  return tokens
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
