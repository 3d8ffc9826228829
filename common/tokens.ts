/**
 * What a token may be: the rules the page checks `setTokens` against and the
 * worker checks every token answer against, so that no value reaches a
 * header that a header cannot carry.
 */

export interface Tokens {
  accessToken: string
  /** Absent when the server does not rotate or the refresh credential is elsewhere. */
  refreshToken?: string
  /** Epoch milliseconds after which the access token is no longer accepted. */
  expiresAt?: number
  /** Epoch milliseconds when the worker received the tokens; set by the worker, never by a page. */
  obtainedAt?: number
  /** `'DPoP'` when the server bound the access token to the worker's key (its `token_type`); set by the worker. @default 'Bearer' */
  tokenType?: 'Bearer' | 'DPoP'
  /**
   * With the `resources` option: the access tokens minted for each resource
   * (RFC 8707), by resource indicator, under this session's refresh token.
   * Set by the worker, never by a page.
   */
  resources?: Record<string, ResourceToken>
}

/** An access token minted for one resource: sent to that API alone. */
export type ResourceToken = Pick<Tokens, 'accessToken' | 'expiresAt' | 'obtainedAt' | 'tokenType'>

/**
 * The longest token the proxy takes: a header longer than this passes no
 * Node.js server with its default limits (16 KiB for all headers).
 */
export const MAX_TOKEN_LENGTH = 16_384

/** RFC 6750 §2.1 `b64token`: what `Authorization: Bearer` can carry. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
/** RFC 6749 Appendix A.17: a refresh token is printable ASCII. */
const VSCHARS = /^[\x20-\x7e]+$/

function tokenProblem(value: unknown, pattern: RegExp, allowed: string): string | undefined {
  if (typeof value !== 'string' || value === '') return 'a non-empty string'
  if (value.length > MAX_TOKEN_LENGTH) return `at most ${MAX_TOKEN_LENGTH} characters long, got ${value.length}`
  return pattern.test(value) ? undefined : allowed
}

/** Why `value` cannot be an access token, or `undefined` when it can. */
export const accessTokenProblem = (value: unknown) =>
  tokenProblem(value, B64TOKEN, 'a token a header can carry (letters, digits and -._~+/ then any =, RFC 6750)')

/** Why `value` cannot be a refresh token, or `undefined` when it can. */
export const refreshTokenProblem = (value: unknown) => tokenProblem(value, VSCHARS, 'printable ASCII (RFC 6749)')

/** Checks what a page hands to `setTokens`; returns the reason it is refused, or `undefined` when valid. */
export function checkTokens(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'tokens must be an object'
  const { accessToken, refreshToken, expiresAt } = value as Record<string, unknown>
  const badAccess = accessTokenProblem(accessToken)
  if (badAccess) return `\`accessToken\` must be ${badAccess}`
  const badRefresh = refreshToken === undefined ? undefined : refreshTokenProblem(refreshToken)
  if (badRefresh) return `\`refreshToken\` must be ${badRefresh} when given`
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) return '`expiresAt` must be epoch milliseconds when given'
  return undefined
}
