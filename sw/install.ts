import { failed, TokenProxyError, TokenProxyOptionsError } from '../common/errors.js'
import { normalizeOptions, type NormalizedOptions, type TokenProxyOptions } from '../common/options.js'
import { sessionOf } from '../common/protocol.js'
import { checkTokens } from '../common/tokens.js'
import { createAborts } from './abort.js'
import { createDpop } from './dpop.js'
import { believedExpiry, jwtExpiry } from './expiry.js'
import { createMatcher, whyLeftAlone, type RouteKind } from './match.js'
import { requestRefresh } from './refresh.js'
import { createRequestHandler } from './request.js'
import { endSession, logout, passLogout } from './session.js'
import { bindingOf, createTokenStore, workerStorage } from './store.js'
import { listenToTabs, tellTabs } from './tabs.js'
import { refuseRedirectedTokenAnswer, vault } from './vault.js'
import { createSessionCaches } from './caches.js'
import { createPlugin } from './plugin.js'
import { createCoordinators } from './resources.js'
import { listen, routeFor, WORKBOX_METHODS } from './routing.js'
import type { WorkboxPlugin } from 'workbox-core/types.js'
import type { Route } from 'workbox-routing/Route.js'
import { logger } from 'workbox-core/_private/logger.js'

declare const self: ServiceWorkerGlobalScope
/** Written in by the bundler, as for Workbox: `'production'` leaves out the development logging. */
declare const process: { env: { NODE_ENV?: string } }

/** Name of the Web Lock held while refreshing, shared by every worker version of the origin. */
export const REFRESH_LOCK = 'sw-token-proxy:refresh'

let installed = false

/**
 * Without Web Locks, the refresh lock of this worker alone: its grants (the
 * login's token and each API's of `resources`) still run one at a time,
 * since each may rotate the refresh token the next one presents.
 */
let queue: Promise<unknown> = Promise.resolve()
function inThisWorker<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task)
  queue = run.catch(() => undefined)
  return run
}

/** What `installTokenProxy` gives a worker of the app's own: the proxy as Workbox parts. */
export interface TokenProxyHandle {
  /**
   * A Workbox plugin for the app's own strategies
   * (`new NetworkFirst({ plugins: [proxy.plugin] })`): API requests get the
   * token, a 401 the one shared refresh and one replay; a 401, a 403 or an
   * answer of an ended session is never cached. See `createPlugin`.
   */
  plugin: WorkboxPlugin
  /**
   * With `apiRouting: 'workbox'`: a workbox-routing `Route` that answers
   * every GET API request as the proxy does, to `registerRoute` after the
   * app's own routes. Workbox routes by method: register `routes` for all.
   */
  route: Route
  /** `route` for each method a Workbox route takes (DELETE, GET, HEAD, PATCH, POST, PUT). */
  routes: Route[]
}

/**
 * Installs the token proxy into the worker it runs in. Call it once, during
 * the worker script's first evaluation (the browser only dispatches events to
 * listeners added then), before any fetch listener of the app's own. Throws a
 * `TokenProxyOptionsError` for invalid options, before touching anything.
 * Returns the proxy as Workbox parts, for an app that routes with Workbox.
 */
export function installTokenProxy(options: TokenProxyOptions): TokenProxyHandle {
  return install(normalizeOptions(options, self.location.origin), createDpop, workboxParts)
}

/** What the proxy's Workbox parts are made of, once installed. */
interface Installed {
  coordinators: ReturnType<typeof createCoordinators>
  normalized: NormalizedOptions
  matcher: ReturnType<typeof createMatcher>
  sessions: ReturnType<typeof createSessionCaches>
  dpop: ReturnType<typeof createDpop> | undefined
  apiOnly: (url: URL, request: Request) => RouteKind | undefined
  handle: (request: Request, kind: RouteKind) => Promise<Response>
}

/** The proxy as Workbox parts, for a worker of the app's own (`installTokenProxy`'s answer). */
function workboxParts({ coordinators, normalized, matcher, sessions, dpop, apiOnly, handle }: Installed): TokenProxyHandle {
  const routesByMethod = WORKBOX_METHODS.map((method) => routeFor(method, apiOnly, handle))
  return { plugin: createPlugin(coordinators, normalized, matcher, sessions, dpop), route: routesByMethod.find((route) => route.method === 'GET')!, routes: routesByMethod }
}

/**
 * `installTokenProxy` for options already normalized (checked where they
 * were made: here, or in Node for a written worker file), with DPoP's code
 * passed in, or left out: a worker file written for options without `dpop`
 * ships none of it (see sw/written.ts). Without `parts`, nothing is returned
 * and none of the Workbox parts' code is bundled: the standalone worker and
 * the written files route by themselves.
 */
export function install(normalized: NormalizedOptions, makeDpop?: typeof createDpop): void
export function install(normalized: NormalizedOptions, makeDpop: typeof createDpop | undefined, parts: (installed: Installed) => TokenProxyHandle): TokenProxyHandle
export function install(normalized: NormalizedOptions, makeDpop?: typeof createDpop, parts?: (installed: Installed) => TokenProxyHandle): TokenProxyHandle | void {
  const origin = self.location.origin
  if (normalized.dpop && !makeDpop) {
    throw new TokenProxyOptionsError(
      failed('configure the token proxy', '`dpop: true` needs a worker file with DPoP in it: write it again with `npx sw-token-proxy init` or the Vite plugin, which choose it'),
    )
  }
  if (installed) {
    throw new TokenProxyError(failed('install the token proxy', '`installTokenProxy` was already called in this worker'))
  }
  installed = true

  const cookie = normalized.refreshProtocol === 'cookie'
  const sessions = createSessionCaches(normalized.sessionCaches)
  const dpop = normalized.dpop ? makeDpop!(workerStorage()) : undefined
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
  const matcher = createMatcher(normalized, origin)
  // One for the login's token, one for each API of `resources`: one refresh lock, one session.
  const coordinators = createCoordinators(store, normalized, matcher, {
    refreshTokenRequired: !cookie,
    refresh: (tokens, previous, resource) => requestRefresh(normalized, tokens, previous, dpop, resource),
    lock: (task) => (self.navigator.locks ? self.navigator.locks.request(REFRESH_LOCK, task) : inThisWorker(task)),
    onRefreshed(reason, resource) {
      if (process.env.NODE_ENV !== 'production') {
        logger.log(`sw-token-proxy refreshed the ${resource ? `token of ${resource}` : 'tokens'} (${reason === 'expiry' ? 'ahead of expiry' : 'after a 401'}).`)
      }
      return tellTabs(resource ? { type: 'REFRESHED', reason, resource } : { type: 'REFRESHED', reason })
    },
    endSession: () => endSession(store, 'refresh-rejected', dpop, sessions),
  })
  const aborts = createAborts()
  const proxy = createRequestHandler(
    coordinators,
    normalized,
    aborts,
    matcher,
    dpop,
    process.env.NODE_ENV !== 'production' ? (newer) => logger.log(`sw-token-proxy replays a request that got a 401, with the ${newer ? 'newer' : 'same'} token.`) : undefined,
  )
  const handleApi = async (request: Request) => refuseRedirectedTokenAnswer(await proxy(request), matcher)
  const routes: Record<RouteKind, (request: Request) => Promise<Response>> = {
    api: handleApi,
    vault: (request) => vault(request, store, matcher, dpop, normalized, sessions),
    logout: (request) => passLogout(request, store, handleApi, dpop, sessions),
  }
  const handle = (request: Request, kind: RouteKind) => {
    if (process.env.NODE_ENV !== 'production') logger.log(`sw-token-proxy took ${request.method} ${request.url} (${kind}).`)
    return routes[kind](request)
  }
  const apiOnly = (url: URL, request: Request) => (matcher.route(url, request) === 'api' ? 'api' : undefined)
  // The token endpoints are the proxy's whatever the app routes (B13); API requests too unless the app's routes decide.
  const byApp = normalized.apiRouting === 'workbox'
  listen(
    byApp
      ? (url, request) => {
          const kind = matcher.route(url, request)
          return kind === 'api' ? undefined : kind
        }
      : matcher.route,
    handle,
    process.env.NODE_ENV !== 'production'
      ? (url, request) => (byApp && apiOnly(url, request) ? "API routing is left to the app's Workbox routes (apiRouting: 'workbox')" : whyLeftAlone(normalized, origin, url, request))
      : undefined,
  )

  listenToTabs({
    HELLO: () => {},
    async SET_TOKENS({ tokens }) {
      const problem = checkTokens(tokens)
      // The page throws the same class (see tabs.ts).
      if (problem) throw new TokenProxyOptionsError(problem)
      // A new session (B17): only what the page gave, nothing of the last one.
      const obtainedAt = Date.now()
      const { accessToken, refreshToken, expiresAt = jwtExpiry(accessToken, obtainedAt) } = tokens
      await store.write({ accessToken, refreshToken, expiresAt: expiresAt === undefined ? undefined : believedExpiry(expiresAt, obtainedAt), obtainedAt })
      // Bearer tokens from elsewhere: no DPoP key of an earlier session signs for them, nor its cached answers serve them.
      await dpop?.dropSessionKey()
      await sessions.boundary()
    },
    LOGOUT: () => logout(normalized, store, handleApi, dpop, sessions),
    CLAIM: () => self.clients.claim(),
    SESSION: async () => ({ session: sessionOf(await store.read()) }),
    async DPOP_THUMBPRINT() {
      if (!dpop) throw new Error('the worker runs without `dpop: true`, so it holds no DPoP key')
      return { thumbprint: await dpop.loginThumbprint() }
    },
    ABORT: ({ id }) => {
      if (typeof id === 'string') aborts.abort(id)
    },
  })

  return parts?.({ coordinators, normalized, matcher, sessions, dpop, apiOnly, handle })
}
