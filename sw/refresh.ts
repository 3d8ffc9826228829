import { DEFAULT_FIELD_PATHS, type FieldPaths, type NormalizedOptions, type RefreshProtocol, type Resource } from '../common/options.js'
import type { Tokens } from '../common/tokens.js'
import type { Dpop } from './dpop.js'
import { bodyWith } from './fields.js'
import { readTokenAnswer } from './token-answer.js'

/**
 * What one call to the refresh endpoint ended in. Only `rejected` ends the
 * session; `unavailable` keeps the tokens so that a later request tries again.
 */
export type RefreshResult =
  | { kind: 'refreshed'; tokens: Tokens }
  | { kind: 'rejected' }
  | { kind: 'unavailable'; reason: string }
  /** `invalid_target` (RFC 8707 §2): the server will not mint a token for the resource asked for; nothing ends. */
  | { kind: 'refused'; reason: string }

async function json(response: Response): Promise<unknown> {
  try {
    return await response.json()
  } catch {
    return undefined
  }
}

/** The members of a JSON error body that say why, as servers name them. */
const SAYS_WHY = ['error', 'code', 'detail', 'error_description', 'message']
/** A JWT, whoever's: never repeated in a reason. */
const JWT = /\b[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}\b/g

/**
 * Why a refresh endpoint would not refresh, as the page and the console are
 * told (B8, B18): its status, and what a JSON body says, safely: the
 * strings of `error`, `code`, `detail` and the like, and the first message
 * of a field error (Django REST framework's `{"refresh": ["This field is
 * required."]}`), at most 200 characters, with no token in it.
 */
export function refusalReason(status: number, body: unknown, tokens: Tokens): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return `status ${status}`
  const said: string[] = []
  for (const [key, value] of Object.entries(body)) {
    const text = typeof value === 'string' && SAYS_WHY.includes(key) ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined
    if (text !== undefined) said.push(`${key}: ${text}`)
  }
  let reason = said.join('; ')
  for (const token of [tokens.refreshToken, tokens.accessToken]) if (token) reason = reason.split(token).join('[token]')
  reason = reason.replace(JWT, '[token]')
  return said.length ? `status ${status} (${reason.length > 200 ? `${reason.slice(0, 199)}…` : reason})` : `status ${status}`
}

/**
 * Sorts a refresh endpoint's answer: 401, 403 and 400 `invalid_grant` reject
 * the session; a 2xx carrying an access token succeeds; anything else
 * (a redirect, 5xx, other 4xx, HTML, empty or truncated JSON, no token or one
 * no header can carry) is unavailable.
 * With `'oauth2'` only an `invalid_grant` error rejects (RFC 6749 §5.2: the
 * others, `invalid_client` among them, say the client is set up wrong, not
 * that the session is over). A `token_type` other than Bearer (or DPoP, with
 * `dpop`) is unavailable: the worker could not send such a token.
 */
export async function classifyRefreshResponse(
  response: Response,
  previous: Tokens,
  now: number,
  protocol: RefreshProtocol = 'json',
  dpop = false,
  fields: FieldPaths = DEFAULT_FIELD_PATHS,
): Promise<RefreshResult> {
  const { status } = response
  // Token endpoints do not redirect; one that does must not get the refresh token re-posted elsewhere.
  if (response.type === 'opaqueredirect') return { kind: 'unavailable', reason: 'the refresh endpoint redirected' }
  const oauth2 = protocol === 'oauth2'
  if (!oauth2 && (status === 401 || status === 403)) return { kind: 'rejected' }
  const body = (await json(response)) as { error?: unknown; token_type?: unknown } | undefined
  if ((oauth2 ? status >= 400 && status < 500 : status === 400) && body?.error === 'invalid_grant') {
    return { kind: 'rejected' }
  }
  if (oauth2 && status === 400 && body?.error === 'invalid_target') return { kind: 'refused', reason: refusalReason(status, body, previous) }
  if (!response.ok) return { kind: 'unavailable', reason: refusalReason(status, body, previous) }
  const { tokens, problem } = readTokenAnswer(body, previous, now, { dpop, fields })
  return tokens ? { kind: 'refreshed', tokens } : { kind: 'unavailable', reason: problem }
}

/**
 * The refresh request of each protocol. `'json'` sends the refresh token in
 * a JSON body; `'oauth2'` in the form of RFC 6749 §6; `'cookie'` sends none:
 * the browser adds the HttpOnly cookie.
 */
export function refreshInit({ refreshProtocol, clientId, scope, fields, resourceParameter }: NormalizedOptions, tokens: Tokens, resource?: Resource): RequestInit {
  if (refreshProtocol === 'cookie') return { headers: { Accept: 'application/json' }, credentials: 'include' }
  if (refreshProtocol === 'json') {
    return {
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      // Under the server's own name for it (B18): `refreshToken` unless `fields` says otherwise.
      body: JSON.stringify(bodyWith(fields.refreshToken[0]!, tokens.refreshToken)),
      credentials: 'same-origin',
    }
  }
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken ?? '', client_id: clientId ?? '' })
  // A resource's grant names it (RFC 8707 §2.2), and leaves the scope to the grant: the server gives each resource its own.
  if (resource) form.set(resourceParameter, resource.indicator)
  else if (scope) form.set('scope', scope)
  // A public client: no credentials but the form (no cookie, no Authorization).
  return { headers: { Accept: 'application/json' }, body: form, credentials: 'omit' }
}

let hinted = false

/**
 * A 400 with no token is most often a server that reads the refresh token
 * under another name: said once per worker, in its console.
 */
function hintFields(reason: string, { fields }: NormalizedOptions): void {
  if (hinted) return
  hinted = true
  console.warn(
    `sw-token-proxy: the refresh endpoint answered ${reason}. The worker sends the refresh token as '${fields.refreshToken[0]!.join('.')}'; ` +
      'if your server reads it under another name, name it with the `fields.refreshToken` option (and its answer\'s names with `fields.accessToken`).',
  )
}

/** Answers that say "busy, try again": a gateway or the server itself, not the session. */
const TRANSIENT = new Set([502, 503, 504])
/** How long to wait before the retry when the server does not say: not at all, a short-lived token has no time to lose. */
const DEFAULT_RETRY_DELAY = 0

/**
 * Whether a refresh answer is worth one more try, and after how long: a
 * 502, 503 or 504 is, after its `Retry-After` (seconds or an HTTP date) or
 * at once, if the retry can still start before `deadline`.
 * Anything else is not: a network failure least of all, since the server
 * may have rotated the refresh token before the connection dropped, and
 * presenting it again would trip its reuse detection.
 */
export function retryDelay(response: Response, now: number, deadline: number): number | undefined {
  if (!TRANSIENT.has(response.status)) return undefined
  const header = response.headers.get('Retry-After')?.trim()
  const seconds = header && /^\d+$/.test(header) ? Number(header) * 1000 : header ? Date.parse(header) - now : Number.NaN
  const delay = Number.isFinite(seconds) ? Math.max(0, seconds) : DEFAULT_RETRY_DELAY
  return now + delay < deadline ? delay : undefined
}

/**
 * Calls the refresh endpoint with `tokens`: once more after a transient
 * answer (see `retryDelay`), and with `dpop`, once more with a new proof
 * when the server asks for its nonce (RFC 9449 §8), all within
 * `refreshTimeout`. `previous` is what the answer continues (see
 * `readTokenAnswer`); `resource`, the API of `resources` the grant is for.
 * Never throws.
 */
export async function requestRefresh(options: NormalizedOptions, tokens: Tokens, previous: Tokens = tokens, dpop?: Dpop, resource?: Resource): Promise<RefreshResult> {
  const deadline = Date.now() + options.refreshTimeout
  const { refreshUrl } = options
  const post = (proof?: string) => {
    const init = refreshInit(options, tokens, resource)
    const headers = new Headers(init.headers)
    if (proof) headers.set('DPoP', proof)
    return fetch(refreshUrl, {
      ...init,
      headers,
      method: 'POST',
      cache: 'no-store',
      redirect: 'manual',
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    })
  }
  // Never redirected (`manual`): every answer is the endpoint's own.
  const attempt = () => (dpop ? dpop.send(refreshUrl, () => dpop.proof('POST', refreshUrl), post, { resource: false, own: () => true }) : post())
  try {
    let response = await attempt()
    const delay = retryDelay(response, Date.now(), deadline)
    if (delay !== undefined) {
      await response.body?.cancel()
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
      response = await attempt()
    }
    const result = await classifyRefreshResponse(response, previous, Date.now(), options.refreshProtocol, options.dpop, options.fields)
    if (result.kind === 'refused') {
      return resource ? { kind: 'refused', reason: `the authorization server mints no token for the resource '${resource.indicator}': ${result.reason}` } : { kind: 'unavailable', reason: result.reason }
    }
    if (result.kind === 'unavailable' && response.status === 400 && options.refreshProtocol === 'json') hintFields(result.reason, options)
    return result
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError'
    return { kind: 'unavailable', reason: timedOut ? 'timeout' : 'network error' }
  }
}
