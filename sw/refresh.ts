import type { NormalizedOptions } from './options.js'
import type { Tokens } from './protocol.js'
import { parseTokenResponse } from './tokens.js'

/**
 * What one call to the refresh endpoint ended in. Only `rejected` ends the
 * session; `unavailable` keeps the tokens so that a later request tries again.
 */
export type RefreshResult =
  | { kind: 'ok'; tokens: Tokens }
  | { kind: 'rejected' }
  | { kind: 'unavailable'; reason: string }

async function json(response: Response): Promise<unknown> {
  try {
    return await response.json()
  } catch {
    return undefined
  }
}

/**
 * Sorts a refresh endpoint's answer: 401, 403 and 400 `invalid_grant` reject
 * the session; a 2xx carrying an access token succeeds; anything else
 * (5xx, other 4xx, HTML, empty or truncated JSON, no token) is unavailable.
 */
export async function classifyRefreshResponse(
  response: Response,
  previous: Tokens,
  now: number,
): Promise<RefreshResult> {
  const { status } = response
  if (status === 401 || status === 403) return { kind: 'rejected' }
  const body = await json(response)
  if (status === 400 && (body as { error?: unknown } | undefined)?.error === 'invalid_grant') {
    return { kind: 'rejected' }
  }
  if (!response.ok) return { kind: 'unavailable', reason: `status ${status}` }
  const tokens = parseTokenResponse(body, previous, now)
  return tokens ? { kind: 'ok', tokens } : { kind: 'unavailable', reason: 'no access token in the response' }
}

/**
 * The refresh request of each protocol. `'json'` sends the refresh token in
 * the body; `'cookie'` sends none: the browser adds the HttpOnly cookie.
 */
function refreshInit({ refreshProtocol }: NormalizedOptions, tokens: Tokens): RequestInit {
  return refreshProtocol === 'cookie'
    ? { headers: { Accept: 'application/json' }, credentials: 'include' }
    : {
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refreshToken: tokens.refreshToken }),
        credentials: 'same-origin',
      }
}

/** Calls the refresh endpoint once. Never throws. */
export async function requestRefresh(options: NormalizedOptions, tokens: Tokens): Promise<RefreshResult> {
  try {
    const response = await fetch(options.refreshUrl, {
      ...refreshInit(options, tokens),
      method: 'POST',
      cache: 'no-store',
      signal: AbortSignal.timeout(options.refreshTimeout),
    })
    return await classifyRefreshResponse(response, tokens, Date.now())
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError'
    return { kind: 'unavailable', reason: timedOut ? 'timeout' : 'network error' }
  }
}
