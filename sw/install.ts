import { failed, TokenProxyError } from '../common/errors.js'
import { normalizeOptions, type TokenProxyOptions } from '../common/options.js'
import { sessionOf } from '../common/protocol.js'
import { checkTokens } from '../common/tokens.js'
import { createAborts } from './abort.js'
import { createCoordinator } from './coordinator.js'
import { createDpop } from './dpop.js'
import { believedExpiry, jwtExpiry } from './expiry.js'
import { createMatcher, type RouteKind } from './match.js'
import { requestRefresh } from './refresh.js'
import { createRequestHandler } from './request.js'
import { endSession, logout, passLogout } from './session.js'
import { bindingOf, createTokenStore, workerStorage } from './store.js'
import { listenToTabs, tellTabs } from './tabs.js'
import { refuseRedirectedTokenAnswer, vault } from './vault.js'

declare const self: ServiceWorkerGlobalScope

/** Name of the Web Lock held while refreshing, shared by every worker version of the origin. */
export const REFRESH_LOCK = 'sw-token-proxy:refresh'

let installed = false

/**
 * Installs the token proxy into the worker it runs in. Call it once, during
 * the worker script's first evaluation (the browser only dispatches events to
 * listeners added then), before any fetch listener of the app's own. Throws a
 * `TokenProxyOptionsError` for invalid options, before touching anything.
 */
export function installTokenProxy(options: TokenProxyOptions): void {
  const origin = self.location.origin
  const normalized = normalizeOptions(options, origin)
  if (installed) {
    throw new TokenProxyError(failed('install the token proxy', '`installTokenProxy` was already called in this worker'))
  }
  installed = true

  const cookie = normalized.refreshProtocol === 'cookie'
  const dpop = normalized.dpop ? createDpop(workerStorage()) : undefined
  const store = createTokenStore({
    binding: bindingOf(normalized),
    keepRefreshToken: !cookie,
    onChange(tokens) {
      // The keys may have changed with the tokens, here or in another worker of the origin.
      dpop?.forget()
      // Every tab hears when the session changes: signed in, refreshed, ended (B17; never a token).
      void tellTabs({ type: 'SESSION', session: sessionOf(tokens) })
    },
  })
  const coordinator = createCoordinator({
    store,
    refreshTokenRequired: !cookie,
    refresh: (tokens, previous) => requestRefresh(normalized, tokens, previous, dpop),
    lock: (task) => (self.navigator.locks ? self.navigator.locks.request(REFRESH_LOCK, task) : task()),
    onRefreshed: (reason) => tellTabs({ type: 'REFRESHED', reason }),
    endSession: () => endSession(store, 'refresh-rejected', dpop),
  })
  const matcher = createMatcher(normalized, origin)
  const aborts = createAborts()
  const proxy = createRequestHandler(coordinator, normalized, aborts, matcher, dpop)
  const handleApi = async (request: Request) => refuseRedirectedTokenAnswer(await proxy(request), matcher)
  const routes: Record<RouteKind, (request: Request) => Promise<Response>> = {
    api: handleApi,
    vault: (request) => vault(request, store, matcher, dpop, normalized),
    logout: (request) => passLogout(request, store, handleApi, dpop),
  }

  // One listener, one decision, any HTTP method. A request it answers goes
  // to no fetch listener added after it (an app's own Workbox router, say);
  // every other request passes on untouched (B2).
  self.addEventListener('fetch', (event) => {
    const route = matcher.route(new URL(event.request.url), event.request)
    if (!route) return
    event.respondWith(routes[route](event.request))
    event.stopImmediatePropagation()
  })

  listenToTabs({
    HELLO: () => {},
    async SET_TOKENS({ tokens }) {
      const problem = checkTokens(tokens)
      if (problem) throw new Error(problem)
      // A new session (B17): only what the page gave, nothing of the last one.
      const obtainedAt = Date.now()
      const { accessToken, refreshToken, expiresAt = jwtExpiry(accessToken, obtainedAt) } = tokens
      await store.write({ accessToken, refreshToken, expiresAt: expiresAt === undefined ? undefined : believedExpiry(expiresAt, obtainedAt), obtainedAt })
      // Bearer tokens from elsewhere: no DPoP key of an earlier session signs for them.
      await dpop?.endSession()
    },
    LOGOUT: () => logout(normalized, store, handleApi, dpop),
    CLAIM: () => self.clients.claim(),
    SESSION: async () => ({ session: sessionOf(await store.read()) }),
    async DPOP_THUMBPRINT() {
      if (!dpop) throw new Error('the worker runs without `dpop: true`, so it holds no DPoP key')
      return { thumbprint: await dpop.loginThumbprint() }
    },
    ABORT: ({ id }) => {
      if (typeof id === 'string') aborts.abort(id)
    },
    async EXPIRE() {
      const tokens = await store.read()
      if (!tokens) throw new Error('there are no tokens to expire')
      await store.write({ ...tokens, expiresAt: Date.now() })
    },
  })
}
