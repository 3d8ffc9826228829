/**
 * Every error the token proxy throws or rejects with. `name` is pinned so
 * that `isTokenProxyError` works across realms (page, worker, iframe), where
 * `instanceof` does not.
 */
export class TokenProxyError extends Error {
  override name = 'TokenProxyError'
}

/** Invalid options or arguments, caught at the edge before anything runs. */
export class TokenProxyOptionsError extends TokenProxyError {
  override name = 'TokenProxyOptionsError'
}

const NAMES = new Set(['TokenProxyError', 'TokenProxyOptionsError'])

/** Checks by `name`, not `instanceof`: an error from another realm (an iframe, a worker) passes too. */
export function isTokenProxyError(value: unknown): value is TokenProxyError {
  return typeof value === 'object' && value !== null && NAMES.has((value as { name?: unknown }).name as string)
}

/** Every message reads `Failed to <what>: <why>.`: what the caller tried, and what stood in the way. */
export function failed(what: string, why: string): string {
  return `Failed to ${what}: ${why.replace(/\.+$/, '')}.`
}
