import type { Tokens } from '../common/tokens.js'

/**
 * Every rule about when an access token expires and when to refresh it
 * (B10), in one place. Times are epoch milliseconds of this machine's clock.
 */

/**
 * When a JWT expires, read without verifying anything. With `now` and an
 * `iat` claim, the expiry is `now` plus the token's lifetime (`exp - iat`):
 * a clock that disagrees with the server's then costs nothing, where
 * comparing `exp` with the local clock would refresh on every request once
 * the difference exceeds the lifetime.
 */
export function jwtExpiry(token: string, now?: number): number | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[1]) return undefined
  try {
    const { exp, iat } = JSON.parse(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown; iat?: unknown }
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined
    return now !== undefined && typeof iat === 'number' && Number.isFinite(iat) && iat <= exp ? now + (exp - iat) * 1000 : exp * 1000
  } catch {
    return undefined
  }
}

/** How long tokens live from receipt to expiry, when both are known. */
export function lifetime({ expiresAt, obtainedAt }: Tokens): number | undefined {
  return expiresAt !== undefined && obtainedAt !== undefined ? Math.max(0, expiresAt - obtainedAt) : undefined
}

/** The shortest lifetime `expiresIn` is believed for. */
export const MIN_LIFETIME_MS = 1_000
/** The longest lifetime any expiry is believed for: a year. */
export const MAX_LIFETIME_MS = 365 * 86_400_000

/**
 * An expiry as the worker keeps it: at most a year from `now`, so that it
 * is always a real date (`Date` ends at 8.64e15 ms) and a token that claims
 * to live for ever is still refreshed ahead of expiry, once a year.
 */
export function believedExpiry(expiresAt: number, now: number): number {
  return Math.min(expiresAt, now + MAX_LIFETIME_MS)
}

/**
 * When tokens received `now` expire: after `expiresIn` seconds when the
 * answer says so; else at the JWT's own `exp`; else, for a refresh answer
 * (`previous` is the session it continues) from a server that says nothing
 * for its opaque tokens, after the lifetime the tokens it replaces had.
 */
export function expiryOf(accessToken: string, expiresIn: unknown, now: number, previous: Tokens | null): number | undefined {
  const seconds = typeof expiresIn === 'string' && expiresIn.trim() !== '' ? Number(expiresIn) : expiresIn
  // Under a second is no lifetime a server means: believed, it would make every request refresh first.
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= MIN_LIFETIME_MS / 1000) return believedExpiry(now + seconds * 1000, now)
  const fromJwt = jwtExpiry(accessToken, now)
  if (fromJwt !== undefined) return believedExpiry(fromJwt, now)
  const assumed = previous ? lifetime(previous) : undefined
  return assumed === undefined ? undefined : now + assumed
}

/**
 * A 401 proves a token expired by `now`. For tokens whose expiry was not
 * known, that is the best bound of their lifetime there is: the refresh
 * answer that replaces them may assume it (see `expiryOf`).
 */
export function expiredBy(tokens: Tokens, now: number): Tokens {
  return tokens.expiresAt === undefined && tokens.obtainedAt !== undefined ? { ...tokens, expiresAt: now } : tokens
}

/**
 * Whether to refresh before sending (B10): from `leeway` before the expiry,
 * or from half the lifetime when that is shorter, so that a short-lived
 * token is not refreshed on every request.
 */
export function refreshDue(tokens: Tokens, now: number, leeway: number): boolean {
  if (tokens.expiresAt === undefined) return false
  return now >= tokens.expiresAt - Math.min(leeway, (lifetime(tokens) ?? Infinity) / 2)
}

/**
 * How long a refresh ahead of expiry that failed holds back the next one:
 * 5 s, or a quarter of the lifetime when that is shorter, so that requests
 * inside the leeway do not each wait out an endpoint that is down while
 * their token still works.
 */
export function holdBack(tokens: Tokens): number {
  return Math.min(5_000, (lifetime(tokens) ?? Infinity) / 4)
}

/** The longest pause between refreshes while the refresh endpoint stays unavailable. */
export const MAX_FAILURE_PAUSE_MS = 30_000

/**
 * How long, after `failures` refreshes of one token in a row were
 * unavailable (B8), requests get the 503 at once before the next one asks
 * the endpoint again: not at all after the first (the next request tries
 * again), then 1 s, doubling up to 30 s. A misconfigured or failing
 * endpoint costs the server one refresh per pause, not one per request.
 */
export function failurePause(failures: number): number {
  return failures < 2 ? 0 : Math.min(MAX_FAILURE_PAUSE_MS, 1_000 * 2 ** (failures - 2))
}
