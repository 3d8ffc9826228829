import type { TokenStore } from './coordinator.js'
import { parseTokenResponse } from './tokens.js'

/** Fields of a login response that never reach the page. */
const SECRET_FIELDS = ['accessToken', 'access_token', 'token', 'refreshToken', 'refresh_token', 'expiresIn', 'expires_in']

/**
 * Sends a page's request to the login or refresh endpoint and keeps the
 * tokens of a successful JSON answer (B13): they are stored, and the page gets
 * the same response (status, headers, other fields) without them. Anything
 * else passes as is. (With the cookie protocol a page could call the refresh
 * endpoint itself; it gets no token that way either.)
 */
export async function vault(request: Request, store: TokenStore): Promise<Response> {
  const response = await fetch(request)
  if (!response.ok || !/[/+]json\b/.test(response.headers.get('Content-Type') ?? '')) return response
  let body: unknown
  try {
    body = await response.clone().json()
  } catch {
    return response
  }
  const tokens = parseTokenResponse(body, await store.read(), Date.now())
  if (!tokens) return response
  await store.write(tokens)
  const rest = Object.fromEntries(Object.entries(body as object).filter(([key]) => !SECRET_FIELDS.includes(key)))
  const headers = new Headers(response.headers)
  headers.delete('Content-Length')
  headers.delete('Content-Encoding')
  return new Response(JSON.stringify(rest), { status: response.status, statusText: response.statusText, headers })
}
