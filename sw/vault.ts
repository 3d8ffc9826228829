import type { SessionCaches } from './caches.js'
import type { Dpop } from './dpop.js'
import type { Matcher } from './match.js'
import type { FieldPaths } from '../common/options.js'
import { readPath, secretPaths, tokenLikePaths, withoutPaths } from './fields.js'
import { tokenAnswerInvalid, tokenAnswerUnread, tokenEndpointRedirect } from './responses.js'
import type { TokenStore } from './store.js'
import { readTokenAnswer } from './token-answer.js'

let noted = false

/** A login answer with no access token and nothing like one (a multi-step login's first answer, say): said once. */
function noteNoToken(url: string, fields: FieldPaths): void {
  if (noted) return
  noted = true
  const names = fields.accessToken.map((path) => `'${path.join('.')}'`).join(', ')
  console.info(`sw-token-proxy: the answer of ${new URL(url).pathname} holds no access token under ${names}; it reaches the page as it is. If your server names it otherwise, map it with the \`fields\` option.`)
}

/**
 * A response that a redirect brought from a token endpoint: it goes to no
 * page, whatever route the request took (B13).
 */
export function refuseRedirectedTokenAnswer(response: Response, matcher: Matcher): Response {
  return response.redirected && matcher.isTokenEndpoint(new URL(response.url)) ? tokenEndpointRedirect(response.url) : response
}

/**
 * Sends a page's request to the login or refresh endpoint and keeps the
 * tokens of a successful JSON answer (B13): they are stored as a new session
 * (B17: nothing of the previous one survives into it), and the page gets the
 * same response (status, headers, other fields) without them. Any answer
 * that parses as JSON is read, whatever its `Content-Type`. An answer with
 * token fields the worker cannot use loses them too, and says so. Anything
 * else passes as is. (With the cookie protocol a page could call the refresh
 * endpoint itself; it gets no token that way either.) With `dpop`, the
 * request carries a proof of the login key (answering a nonce once), and a
 * login that gives tokens makes that key the session's.
 */
export async function vault(
  request: Request,
  store: TokenStore,
  matcher: Matcher,
  dpop: Dpop | undefined,
  options: { dpop: boolean; fields: FieldPaths },
  caches?: SessionCaches,
): Promise<Response> {
  const response = dpop ? await signedLogin(request, dpop) : await fetch(request)
  // Redirected elsewhere, it is not a token answer; redirected to a token endpoint, no page gets it.
  if (response.redirected) return refuseRedirectedTokenAnswer(response, matcher)
  // Whatever its label (text/plain, text/html, none at all): servers serve JSON under many, and what parses as JSON is read.
  if (!response.ok) return response
  let body: unknown
  try {
    body = await response.clone().json()
  } catch {
    return response
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return response
  const secret = secretPaths(options.fields)
  if (!secret.some((path) => readPath(body, path) !== undefined)) {
    // A token under a name the worker does not read (SimpleJWT's `access`, a `jwt`) must not reach page code unnoticed.
    const unread = tokenLikePaths(body)
    if (unread.length) return tokenAnswerUnread(unread)
    noteNoToken(request.url, options.fields)
    return response
  }
  const { tokens, problem } = readTokenAnswer(body, null, Date.now(), options)
  if (!tokens) return tokenAnswerInvalid(problem)
  await store.write(tokens)
  await dpop?.adoptLoginKey()
  // Nothing the previous session cached is there for this one (B17).
  await caches?.boundary()
  const rest = withoutPaths(body as Record<string, unknown>, secret)
  const headers = new Headers(response.headers)
  headers.delete('Content-Length')
  headers.delete('Content-Encoding')
  return new Response(JSON.stringify(rest), { status: response.status, statusText: response.statusText, headers })
}

/**
 * Sends a page's login or code exchange with a DPoP proof of the login key;
 * once more with the server's nonce if it asks (RFC 9449 §8). An answer a
 * redirect brought is not the token endpoint's own.
 */
async function signedLogin(request: Request, dpop: Dpop): Promise<Response> {
  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.blob()
  return dpop.send(
    request.url,
    () => dpop.proof(request.method, request.url, { login: true }),
    (proof) => {
      const headers = new Headers(request.headers)
      headers.set('DPoP', proof)
      return fetch(new Request(request, { headers, body, referrer: request.referrer, referrerPolicy: request.referrerPolicy }))
    },
    { resource: false, own: (response) => !response.redirected },
  )
}
