/**
 * The responses the worker makes itself, each a JSON `{ error, reason }`
 * marked with `X-Token-Proxy` so that pages can tell them from the server's.
 */
import { PROXY_HEADER } from '../common/headers.js'

/** A JSON answer of the worker's own, marked with `PROXY_HEADER`. */
function answer(status: number, mark: string, error: string, reason: string): Response {
  return new Response(JSON.stringify({ error, reason }), {
    status,
    headers: { 'Content-Type': 'application/json', [PROXY_HEADER]: mark },
  })
}

/**
 * What a request gets when its token expired and the refresh endpoint could
 * not be reached: a 503 the page can tell apart from an auth failure. The
 * session is kept; the next request tries the refresh again.
 */
export const refreshUnavailable = (reason: string): Response =>
  answer(503, 'refresh-unavailable', 'token_refresh_unavailable', reason)

/**
 * What a request to an API of `resources` gets when the authorization
 * server will not mint a token for it (`invalid_target`): the reason names
 * the resource. The session is kept, and requests to the other APIs go on.
 */
export const resourceRefused = (reason: string): Response => answer(403, 'resource-refused', 'invalid_target', reason)

/**
 * What a request gets when a redirect led it to a token endpoint: that
 * answer may hold tokens, and a page gets tokens from no one (B13); nor may a
 * redirect switch the session.
 */
export const tokenEndpointRedirect = (url: string): Response =>
  answer(502, 'token-endpoint-redirect', 'token_endpoint_redirect', `a redirect led to the token endpoint ${new URL(url).pathname}, whose answer no page gets`)

/** What a login gets when its answer holds token fields the worker cannot use: they never reach the page either. */
export const tokenAnswerInvalid = (problem: string): Response =>
  answer(502, 'token-answer-invalid', 'token_answer_invalid', problem)

/**
 * What a login gets when its answer holds what is plainly a token under a
 * name the worker does not read (B18): a misconfiguration, which must not
 * put the token into page code. The reason names the fields and the option.
 */
export const tokenAnswerUnread = (paths: readonly string[]): Response =>
  answer(
    502,
    'token-answer-unread',
    'token_answer_unread',
    `the answer holds ${paths.map((path) => `'${path}'`).join(', ')}, which look like tokens, but no access token under the names the worker reads; name your server's fields with the \`fields\` option (such as fields: { accessToken: 'access', refreshToken: 'refresh' })`,
  )
