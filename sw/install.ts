import { registerRoute } from 'workbox-routing'
import type { HTTPMethod } from 'workbox-routing/utils/constants.js'
import { createAborts } from './abort.js'
import { createCoordinator } from './coordinator.js'
import { TokenProxyError } from './errors.js'
import { createMatcher, type RouteKind } from './match.js'
import { logout, passLogout } from './logout.js'
import { broadcast, listenForMessages } from './messages.js'
import { normalizeOptions, type TokenProxyOptions } from './options.js'
import { createRequestHandler } from './proxy.js'
import { requestRefresh } from './refresh.js'
import { createTokenStore } from './store.js'
import { refuseRedirectedTokenAnswer, vault } from './vault.js'

declare const self: ServiceWorkerGlobalScope

/** Workbox routes one method at a time: these through it, any other method by a listener of our own. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/** Name of the Web Lock held while refreshing, shared by every worker version of the origin. */
export const REFRESH_LOCK = 'sw-token-proxy:refresh'

let installed = false

/**
 * Installs the token proxy into the worker it runs in. Call it once, during
 * the worker script's first evaluation (the browser only dispatches events to
 * listeners added then). Throws a `TokenProxyOptionsError` for invalid
 * options, before touching anything.
 */
export function installTokenProxy(options: TokenProxyOptions): void {
  const origin = self.location.origin
  const normalized = normalizeOptions(options, origin)
  if (installed) {
    throw new TokenProxyError('Failed to install the token proxy: `installTokenProxy` was already called in this worker.')
  }
  installed = true

  const cookie = normalized.refreshProtocol === 'cookie'
  const store = createTokenStore({ keepRefreshToken: !cookie })
  const coordinator = createCoordinator({
    store,
    refreshTokenRequired: !cookie,
    refresh: (tokens) => requestRefresh(normalized, tokens),
    lock: (task) => (self.navigator.locks ? self.navigator.locks.request(REFRESH_LOCK, task) : task()),
    onRefreshed: (reason) => broadcast({ type: 'REFRESHED', reason }),
    onRejected: () => broadcast({ type: 'LOGOUT', reason: 'refresh-rejected' }),
  })
  const matcher = createMatcher(normalized, origin)
  const kindOf = matcher.route
  const aborts = createAborts()
  const api = createRequestHandler(coordinator, normalized, aborts, matcher)
  const send = async (request: Request) => refuseRedirectedTokenAnswer(await api({ request }), matcher)
  const handlers: Record<RouteKind, (request: Request) => Promise<Response>> = {
    api: send,
    vault: (request) => vault(request, store, matcher),
    logout: (request) => passLogout(request, store, send),
  }
  for (const method of METHODS) {
    registerRoute(
      ({ url, request }) => {
        const kind = kindOf(url, request)
        // Workbox hands a returned object to the handler as `params`.
        return kind && { kind }
      },
      ({ request, params }) => handlers[(params as { kind: RouteKind }).kind](request),
      method as HTTPMethod,
    )
  }
  // Workbox routes by method; any other method (QUERY, PROPFIND…) is matched here.
  self.addEventListener('fetch', (event) => {
    if (METHODS.includes(event.request.method)) return
    const kind = kindOf(new URL(event.request.url), event.request)
    if (kind) event.respondWith(handlers[kind](event.request))
  })
  listenForMessages(store, () => logout(normalized, store, send), aborts)
}
