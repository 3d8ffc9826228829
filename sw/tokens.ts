import { accessTokenProblem, refreshTokenProblem, type Tokens } from '../common/tokens.js'
import { expiryOf } from './expiry.js'

/** What a token endpoint's answer held: tokens, or why there are none to use. */
export type TokenAnswer = { tokens: Tokens; problem?: undefined } | { tokens?: undefined; problem: string }

const nonEmptyString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)

/**
 * Reads the tokens out of a refresh or login response body. Accepts
 * `accessToken`, `access_token` or `token`. `previous` is the session a
 * refresh answer continues: its refresh token is kept when the server does
 * not rotate it, and its lifetime assumed when the server says nothing of
 * the new token's. A login answer starts a new session (B17): pass `null`,
 * and nothing of the last session survives into it. A `token_type` other
 * than Bearer (or DPoP, with `dpop`) is a problem: the worker could not send
 * such a token.
 */
export function readTokenAnswer(body: unknown, previous: Tokens | null, now: number, { dpop = false } = {}): TokenAnswer {
  if (typeof body !== 'object' || body === null) return { problem: 'no access token in the response' }
  const fields = body as Record<string, unknown>
  const accessToken = nonEmptyString(fields.accessToken) ?? nonEmptyString(fields.access_token) ?? nonEmptyString(fields.token)
  if (!accessToken) return { problem: 'no access token in the response' }
  const badAccess = accessTokenProblem(accessToken)
  if (badAccess) return { problem: `the access token must be ${badAccess}` }
  const rotated = nonEmptyString(fields.refreshToken) ?? nonEmptyString(fields.refresh_token)
  const badRefresh = rotated === undefined ? undefined : refreshTokenProblem(rotated)
  if (badRefresh) return { problem: `the refresh token must be ${badRefresh}` }
  // A DPoP-bound token needs the key to send it: only a worker with `dpop` on takes one.
  const type = fields.token_type === undefined ? 'bearer' : String(fields.token_type).toLowerCase()
  if (type !== 'bearer' && !(dpop && type === 'dpop')) {
    return { problem: `token_type ${String(fields.token_type)} is not ${dpop ? 'Bearer or DPoP' : 'Bearer'}` }
  }
  const refreshToken = rotated ?? previous?.refreshToken
  const expiresAt = expiryOf(accessToken, fields.expiresIn ?? fields.expires_in, now, previous)
  // Received `now`: the same instant the expiry is counted from, so that the
  // lifetime a later refresh answer assumes (see expiryOf) does not shrink
  // by the time it took to store them.
  const tokens: Tokens = { accessToken, obtainedAt: now }
  if (type === 'dpop') tokens.tokenType = 'DPoP'
  if (refreshToken) tokens.refreshToken = refreshToken
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt
  return { tokens }
}
