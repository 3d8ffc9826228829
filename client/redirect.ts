import { isSameOriginPath } from '../common/paths.js'

/** Where LOGOUT sends the page: `loginPath` with the current same-origin path as `?next=`. */
export function loginRedirect(loginPath: string, here: Pick<Location, 'pathname' | 'search' | 'hash'>): string {
  const url = new URL(loginPath, 'http://x')
  if (url.pathname === here.pathname) return loginPath
  url.searchParams.set('next', here.pathname + here.search + here.hash)
  return url.pathname + url.search + url.hash
}

/**
 * The `next` target after login, if it is a same-origin path; `fallback`
 * otherwise (`//evil.example`, `javascript:…`, absolute URLs).
 */
export function safeNext(next: string | null, fallback = '/'): string {
  return isSameOriginPath(next) ? next : fallback
}
