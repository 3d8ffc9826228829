import type { NormalizedOptions } from '../common/options.js'
import type { LogoutReason } from '../common/protocol.js'
import type { SessionCaches } from './caches.js'
import type { Dpop } from './dpop.js'
import type { TokenStore } from './store.js'
import { tellTabs } from './tabs.js'

/** How the worker sends an API request: with the token, refreshed first or after a 401 as needed. */
type HandleApi = (request: Request) => Promise<Response>

/**
 * Ends the session: the tokens leave storage and memory, then every tab hears
 * LOGOUT. The one way a session ends, whether the server rejected the
 * refresh (B7) or someone logged out.
 */
export async function endSession(store: TokenStore, reason: LogoutReason, dpop?: Dpop, caches?: SessionCaches): Promise<void> {
  await store.clear()
  // The session's DPoP key goes with it (B17): the next session signs with another; and its cached answers.
  await dpop?.dropSessionKey()
  await caches?.boundary()
  await tellTabs({ type: 'LOGOUT', reason })
}

/**
 * `proxy.logout()`: tells the server first when there is a `logoutUrl` (POST,
 * as an API request: an expired token is refreshed first, so the server does
 * end the session), then ends it everywhere. A failure at the server keeps no
 * one logged in here.
 */
export async function logout(options: NormalizedOptions, store: TokenStore, handleApi: HandleApi, dpop?: Dpop, caches?: SessionCaches): Promise<void> {
  if (options.logoutUrl && (await store.read())) {
    const request = new Request(options.logoutUrl, {
      method: 'POST',
      credentials: 'include',
      // A logout endpoint that redirects is not followed with the token.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.refreshTimeout),
    })
    await handleApi(request).catch(() => undefined)
  }
  await endSession(store, 'logout', dpop, caches)
}

/**
 * A request the page sends to `logoutUrl` itself: sent as an API request (or
 * as written, when it carries its own `Authorization`); whatever the answer,
 * the session ends.
 */
export async function passLogout(request: Request, store: TokenStore, handleApi: HandleApi, dpop?: Dpop, caches?: SessionCaches): Promise<Response> {
  try {
    return await (request.headers.has('Authorization') ? fetch(request) : handleApi(request))
  } finally {
    await endSession(store, 'logout', dpop, caches)
  }
}
