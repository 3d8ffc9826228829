import type { NormalizedOptions } from './options.js'

/** What the matcher needs of a request: a `Request`, or a plain stand-in in unit tests. */
export interface RequestLike {
  mode: RequestMode
  headers: Pick<Headers, 'has'>
}

/**
 * How the worker handles a request: `api` gets the token (and a refresh on
 * 401); `vault` (a page's own call to the login or refresh endpoint) has the
 * tokens taken out of its answer; `logout` is sent like `api` and ends the
 * session. Anything else is left to the browser.
 */
export type RouteKind = 'api' | 'vault' | 'logout'

const endpoint = (href: string | undefined) => {
  if (href === undefined) return undefined
  const url = new URL(href)
  return url.origin + url.pathname
}

/**
 * Builds the test that decides whether the worker handles a request at all,
 * and how. Anything it refuses (`undefined`) gets no token and no
 * `respondWith`: other origins, look-alike paths, navigations, `no-cors`
 * requests, requests with their own `Authorization`. (The worker's own
 * refresh requests never reach its fetch handler.)
 */
export function createMatcher(options: NormalizedOptions, origin: string) {
  const origins = new Set([origin, ...options.trustedOrigins])
  const refresh = endpoint(options.refreshUrl)
  const login = endpoint(options.loginUrl)
  const logout = endpoint(options.logoutUrl)
  return (url: URL, request: RequestLike): RouteKind | undefined => {
    if (!origins.has(url.origin) || request.mode === 'navigate' || request.mode === 'no-cors') return undefined
    const path = url.origin + url.pathname
    if (path === login || path === refresh) return 'vault'
    if (path === logout) return 'logout'
    if (request.headers.has('authorization')) return undefined
    const { pathname } = url
    return options.apiPrefixes.some((p) => pathname === p || pathname.startsWith(`${p}/`)) ? 'api' : undefined
  }
}
