import { logger } from 'workbox-core/_private/logger.js'
import { Route } from 'workbox-routing/Route.js'
import { Router } from 'workbox-routing/Router.js'
import type { HTTPMethod } from 'workbox-routing/utils/constants.js'
import type { RouteKind } from './match.js'

declare const self: ServiceWorkerGlobalScope
/** Written in by the bundler, as for Workbox: `'production'` leaves out the development logging. */
declare const process: { env: { NODE_ENV?: string } }

/** The methods a Workbox route can be registered for. */
export const WORKBOX_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'] as const

/** Which kind of route a request takes, if any (see `Matcher.route`). */
type Match = (url: URL, request: Request) => RouteKind | undefined
/** Answers a request the match took. */
type Handle = (request: Request, kind: RouteKind) => Promise<Response>

/**
 * A Workbox `Route` for `method` that takes what `match` takes, its kind
 * passed on as the route's params.
 */
export function routeFor(method: string, match: Match, handle: Handle): Route {
  const route = new Route(({ url, request }) => match(url, request), { handle: ({ request, params }) => handle(request, params as unknown as RouteKind) })
  // Workbox knows six methods; B1 takes any (PROPFIND too), and a Router keys its routes by the string.
  route.method = method as HTTPMethod
  return route
}

/**
 * The proxy's fetch listener: a workbox-routing `Router` of its own (never
 * Workbox's default router, so no `CACHE_URLS` listener and nothing an app's
 * `registerRoute` shares by accident), with one route per HTTP method, made
 * when a method is first seen. A request it takes goes to no fetch listener
 * added after it (the app's own); every other request passes on untouched
 * (B2). `whyNot` explains, in development builds only, why a request was
 * left alone.
 */
export function listen(match: Match, handle: Handle, whyNot?: (url: URL, request: Request) => string): void {
  const router = new Router()
  const methods = new Set<string>()
  self.addEventListener('fetch', (event) => {
    const { request } = event
    if (!methods.has(request.method)) {
      methods.add(request.method)
      router.registerRoute(routeFor(request.method, match, handle))
    }
    const response = router.handleRequest({ event, request })
    if (!response) {
      if (process.env.NODE_ENV !== 'production' && whyNot) logger.debug(`sw-token-proxy left ${request.method} ${request.url} alone: ${whyNot(new URL(request.url), request)}.`)
      return
    }
    event.respondWith(response)
    event.stopImmediatePropagation()
  })
}
