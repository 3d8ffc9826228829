import type { NormalizedOptions } from './options.js'

/** What the matcher needs of a request: a `Request`, or a plain stand-in in unit tests. */
export interface RequestLike {
  mode: RequestMode
  headers: Pick<Headers, 'has'>
}

/**
 * Builds the test that decides whether the worker handles a request at all.
 * Anything it refuses is left to the browser: no token, no `respondWith`.
 */
export function createMatcher(options: NormalizedOptions, origin: string) {
  const refresh = new URL(options.refreshUrl)
  const refreshPath = refresh.origin + refresh.pathname
  return (url: URL, request: RequestLike): boolean =>
    url.origin === origin &&
    request.mode !== 'navigate' &&
    request.mode !== 'no-cors' &&
    url.origin + url.pathname !== refreshPath &&
    !request.headers.has('authorization') &&
    options.apiPrefixes.some((p) => url.pathname === p || url.pathname.startsWith(`${p}/`))
}
