import { DEFAULT_FIELD_PATHS, type FieldPaths } from '../common/options.js'
import { accessTokenProblem, refreshTokenProblem, type Tokens } from '../common/tokens.js'
import { readField } from './fields.js'
import { expiryOf } from './expiry.js'

/** What a token endpoint's answer held: tokens, or why there are none to use. */
export type TokenAnswer = { tokens: Tokens; problem?: undefined } | { tokens?: undefined; problem: string }

const nonEmptyString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)

/**
 * Reads the tokens out of a refresh or login response body, under the
 * names of `fields` (B18; by default `accessToken`, `access_token` or
 * `token`, and so on). `previous` is the session a
 * refresh answer continues: its refresh token is kept when the server does
 * not rotate it, and its lifetime assumed when the server says nothing of
 * the new token's. A login answer starts a new session (B17): pass `null`,
 * and nothing of the last session survives into it. A `token_type` other
 * than Bearer (or DPoP, with `dpop`) is a problem: the worker could not send
 * such a token.
 */
export function readTokenAnswer(
  body: unknown,
  previous: Tokens | null,
  now: number,
  { dpop = false, fields = DEFAULT_FIELD_PATHS }: { dpop?: boolean; fields?: FieldPaths } = {},
): TokenAnswer {
  const accessToken = nonEmptyString(readField(body, fields.accessToken))
  if (!accessToken) return { problem: `no access token in the response (read as ${fields.accessToken.map((path) => path.join('.')).join(', ')})` }
  const badAccess = accessTokenProblem(accessToken)
  if (badAccess) return { problem: `the access token must be ${badAccess}` }
  const rotated = nonEmptyString(readField(body, fields.refreshToken))
  const badRefresh = rotated === undefined ? undefined : refreshTokenProblem(rotated)
  if (badRefresh) return { problem: `the refresh token must be ${badRefresh}` }
  // A DPoP-bound token needs the key to send it: only a worker with `dpop` on takes one.
  const tokenType = (body as { token_type?: unknown }).token_type
  const type = tokenType === undefined ? 'bearer' : String(tokenType).toLowerCase()
  if (type !== 'bearer' && !(dpop && type === 'dpop')) {
    return { problem: `token_type ${String(tokenType)} is not ${dpop ? 'Bearer or DPoP' : 'Bearer'}` }
  }
  const refreshToken = rotated ?? previous?.refreshToken
  const expiresAt = expiryOf(accessToken, readField(body, fields.expiresIn), now, previous)
  // Received `now`: the same instant the expiry is counted from, so that the
  // lifetime a later refresh answer assumes (see expiryOf) does not shrink
  // by the time it took to store them.
  const tokens: Tokens = { accessToken, obtainedAt: now }
  if (type === 'dpop') tokens.tokenType = 'DPoP'
  if (refreshToken) tokens.refreshToken = refreshToken
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt
  return { tokens }
}
