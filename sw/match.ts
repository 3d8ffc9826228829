import { isUnder, type NormalizedOptions, type Resource } from '../common/options.js'

/** What the matcher needs of a request: a `Request`, or a plain stand-in in unit tests. */
export interface RequestLike {
  mode: RequestMode
  credentials: RequestCredentials
  headers: Pick<Headers, 'has'>
}

/**
 * How the worker handles a request: `api` gets the token (and a refresh on
 * 401); `vault` (a page's own call to the login or refresh endpoint) has the
 * tokens taken out of its answer; `logout` is sent like `api` and ends the
 * session. Anything else is left to the browser.
 */
export type RouteKind = 'api' | 'vault' | 'logout'

/**
 * A path the way a lenient server routes it: percent-decoded, case folded,
 * `;parameters` dropped, repeated and trailing slashes merged, and a final
 * `.extension` dropped. Express ignores case and a trailing slash by default,
 * nginx merges slashes, Tomcat drops `;jsessionid=…`, Rails takes `.json` as
 * a format: each of `/API//auth/login/`, `/api/auth/login;x`,
 * `/api/auth/login.json` reaches the login handler somewhere. Comparing token
 * endpoints on this form errs toward the vault, which injects no token.
 */
export function routeKey(url: URL): string {
  let path = url.pathname
  try {
    path = decodeURIComponent(path)
  } catch {}
  path = path
    .toLowerCase()
    .replace(/;[^/]*/g, '')
    .replace(/\/{2,}/g, '/')
    .replace(/\/+$/, '')
    .replace(/\.[a-z0-9]+$/, '')
  return url.origin + path
}

/**
 * Builds the tests that decide whether the worker handles a request at all,
 * and how. Anything `route` refuses (`undefined`) gets no token and no
 * `respondWith`: other origins, look-alike paths, navigations, `no-cors`
 * requests, requests with their own `Authorization` or with `credentials:
 * 'omit'`. (The worker's own
 * refresh requests never reach its fetch handler.)
 */
export function createMatcher(options: NormalizedOptions, origin: string) {
  const origins = new Set([origin, ...options.trustedOrigins])
  const key = (href: string | undefined) => (href === undefined ? undefined : routeKey(new URL(href)))
  const vault = new Set([key(options.refreshUrl), key(options.loginUrl)].filter((k) => k !== undefined))
  const logout = key(options.logoutUrl)
  const underPrefix = ({ pathname }: URL) => options.apiPrefixes.some((p) => isUnder(pathname, p))

  return {
    route(url: URL, request: RequestLike): RouteKind | undefined {
      if (!origins.has(url.origin) || request.mode === 'navigate' || request.mode === 'no-cors') return undefined
      const endpoint = routeKey(url)
      if (vault.has(endpoint)) return 'vault'
      if (endpoint === logout) return 'logout'
      // The page's own opt-outs: its own Authorization, or `credentials: 'omit'` ("send no credentials").
      if (request.headers.has('authorization') || request.credentials === 'omit') return undefined
      return underPrefix(url) ? 'api' : undefined
    },

    /** Whether a response's URL is one of the token endpoints (login or refresh). */
    isTokenEndpoint(url: URL): boolean {
      return vault.has(routeKey(url))
    },

    /** The API of `resources` an API request is for (the longest prefix), or `undefined` for the login's token. */
    resourceOf(url: URL): Resource | undefined {
      return options.resources.find((resource) => resource.origin === url.origin && isUnder(url.pathname, resource.path))
    },

    /** Whether a response's URL is one the token is for: a 401 from anywhere else is not the proxy's business. */
    isApi(url: URL): boolean {
      return origins.has(url.origin) && underPrefix(url)
    },
  }
}

export type Matcher = ReturnType<typeof createMatcher>

/**
 * Why `route` leaves a request alone, in words: for the development builds'
 * log only (production builds leave it out).
 */
export function whyLeftAlone(options: NormalizedOptions, origin: string, url: URL, request: RequestLike): string {
  if (url.origin !== origin && !options.trustedOrigins.includes(url.origin)) return `${url.origin} is neither the worker's origin nor in trustedOrigins`
  if (request.mode === 'navigate') return 'a navigation never gets the token'
  if (request.mode === 'no-cors') return 'a no-cors request never gets the token'
  if (request.headers.has('authorization')) return 'it carries an Authorization of its own'
  if (request.credentials === 'omit') return "it was made with credentials: 'omit'"
  return `${url.pathname} is not under apiPrefix (${options.apiPrefixes.map((prefix) => `${prefix}/`).join(', ')})`
}
