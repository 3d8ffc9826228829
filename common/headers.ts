/** Header set on responses the worker makes itself, so pages can tell them from the server's. */
export const PROXY_HEADER = 'X-Token-Proxy'

/**
 * The request header `proxy.http` names each request with, so that it can
 * abort it later (B15); the worker takes it off before sending.
 */
export const REQUEST_ID_HEADER = 'X-Token-Proxy-Request'
