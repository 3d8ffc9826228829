import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios'
import { REQUEST_ID_HEADER } from '../common/headers.js'
import { resultOf } from './control.js'
import { registerTokenProxy as register, type RegisterTokenProxyOptions, type TokenProxy } from './index.js'

/**
 * `sw-token-proxy/axios`: the page module for apps that use axios. The same
 * `registerTokenProxy`, whose proxy also has `http`, an axios instance with
 * no token code in it. The main entry imports no axios, so an app that uses
 * `fetch` (or another client) never bundles it.
 */
export * from './index.js'

export interface AxiosRegisterTokenProxyOptions extends RegisterTokenProxyOptions {
  /** Defaults for `proxy.http`, passed to `axios.create`. */
  http?: CreateAxiosDefaults
}

export interface AxiosTokenProxy extends TokenProxy {
  /** An axios instance with no token code: the worker adds the token and refreshes it. */
  http: AxiosInstance
}

/**
 * Lets the worker know when a `proxy.http` request is aborted (B15), since
 * Chromium does not pass a page's abort on to the worker: each same-origin
 * request carries an id, and its signal's abort posts ABORT with it. Requests
 * to other origins get no header (it would cost them a CORS preflight).
 */
function withAborts(http: AxiosInstance, proxy: TokenProxy, timeout: number): AxiosInstance {
  http.interceptors.request.use((config) => {
    const signal = config.signal as AbortSignal | undefined
    if (!signal || new URL(http.getUri(config), location.href).origin !== location.origin) return config
    // Unique across tabs, which share one worker.
    const id = crypto.randomUUID()
    config.headers.set(REQUEST_ID_HEADER, id)
    signal.addEventListener('abort', () => void resultOf(proxy.worker(), { type: 'ABORT', id }, timeout, 'abort the request').catch(() => {}), { once: true })
    return config
  })
  return http
}

/** `registerTokenProxy` of the main entry, and `proxy.http`. */
export async function registerTokenProxy(options: AxiosRegisterTokenProxyOptions): Promise<AxiosTokenProxy> {
  const { http, ...rest } = options ?? ({} as AxiosRegisterTokenProxyOptions)
  const proxy = await register(rest)
  return { ...proxy, http: withAborts(axios.create(http), proxy, rest.timeout ?? 10_000) }
}
