import type { TokenStore } from './coordinator.js'
import { broadcast } from './messages.js'
import type { NormalizedOptions } from './options.js'

/** How the worker sends an API request: with the token, refreshed first or after a 401 as needed. */
type Send = (request: Request) => Promise<Response>

/** Clears the tokens in storage and memory, then tells every tab. */
async function end(store: TokenStore): Promise<void> {
  await store.clear()
  await broadcast({ type: 'LOGOUT', reason: 'logout' })
}

/**
 * `proxy.logout()`: tells the server first when there is a `logoutUrl` (POST,
 * as an API request: an expired token is refreshed first, so the server does
 * end the session), then ends it everywhere. A failure at the server keeps no
 * one logged in here.
 */
export async function logout(options: NormalizedOptions, store: TokenStore, send: Send): Promise<void> {
  if (options.logoutUrl && (await store.read())) {
    const request = new Request(options.logoutUrl, {
      method: 'POST',
      credentials: 'include',
      // A logout endpoint that redirects is not followed with the token.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.refreshTimeout),
    })
    await send(request).catch(() => undefined)
  }
  await end(store)
}

/**
 * A request the page sends to `logoutUrl` itself: sent as an API request (or
 * as written, when it carries its own `Authorization`); whatever the answer,
 * the session ends.
 */
export async function passLogout(request: Request, store: TokenStore, send: Send): Promise<Response> {
  try {
    return await (request.headers.has('Authorization') ? fetch(request) : send(request))
  } finally {
    await end(store)
  }
}
