import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios'
import { failed, mustBe, TokenProxyError, TokenProxyOptionsError } from '../common/errors.js'
import { REQUEST_ID_HEADER } from '../common/headers.js'
import { isSameOriginPath, type TokenProxyOptions } from '../common/options.js'
import { isWorkerMessage, type LogoutReason, type RefreshReason } from '../common/protocol.js'
import { normalizeUrlOptions, optionsToQuery } from '../common/query.js'
import { checkTokens, type Tokens } from '../common/tokens.js'
import { ask, waitForControl } from './control.js'
import { loginRedirect } from './redirect.js'

export { TokenProxyError, TokenProxyOptionsError, isTokenProxyError } from '../common/errors.js'
export { safeNext, loginRedirect } from './redirect.js'
export type { TokenProxyOptions, Tokens, LogoutReason, RefreshReason }

export interface LogoutEvent {
  /** `'refresh-rejected'`: the server ended the session; `'logout'`: some tab called `logout()`. */
  reason: LogoutReason
}

export interface RefreshEvent {
  /** `'expiry'`: refreshed ahead of expiry; `'unauthorized'`: after a request got a 401. */
  reason: RefreshReason
}

export interface TokenProxyEvents {
  logout: LogoutEvent
  /** The worker refreshed the tokens (for any tab). */
  refresh: RefreshEvent
}

export interface RegisterTokenProxyOptions {
  /** URL of the worker script, such as `'/sw.js'`. */
  workerUrl: string
  /**
   * Options of the standalone worker, written into `workerUrl`'s query
   * string. Leave out when your own worker calls `installTokenProxy`.
   */
  worker?: TokenProxyOptions
  /** Scope of the registration. @default the worker script's folder */
  scope?: string
  /** Same-origin path of the login page LOGOUT sends the page to. @default '/login' */
  loginPath?: string
  /** Replaces the redirect to `loginPath` on LOGOUT. */
  onLogout?: (event: LogoutEvent) => void
  /** Defaults for `proxy.http`, passed to `axios.create`. */
  http?: CreateAxiosDefaults
  /** How long to wait for the worker to control the page or answer, in ms. @default 10000 */
  timeout?: number
}

export interface TokenProxy {
  /** An axios instance with no token code: the worker adds the token and refreshes it. */
  http: AxiosInstance
  /** Hands tokens to the worker (for apps that log in some other way). Write-only. */
  setTokens(tokens: Tokens): Promise<void>
  /** Clears the tokens everywhere; every tab gets LOGOUT. */
  logout(): Promise<void>
  /** Listens for an event of every tab; returns the function that stops listening. */
  on<K extends keyof TokenProxyEvents>(type: K, listener: (event: TokenProxyEvents[K]) => void): () => void
}

/**
 * Lets the worker know when a `proxy.http` request is aborted (B15), since
 * Chromium does not pass a page's abort on to the worker: each same-origin
 * request carries an id, and its signal's abort posts ABORT with it. Requests
 * to other origins get no header (it would cost them a CORS preflight).
 */
function withAborts(http: AxiosInstance, worker: () => ServiceWorker, timeout: number): AxiosInstance {
  http.interceptors.request.use((config) => {
    const signal = config.signal as AbortSignal | undefined
    if (!signal || new URL(http.getUri(config), location.href).origin !== location.origin) return config
    // Unique across tabs, which share one worker.
    const id = crypto.randomUUID()
    config.headers.set(REQUEST_ID_HEADER, id)
    signal.addEventListener('abort', () => void ask(worker(), { type: 'ABORT', id }, timeout, 'abort the request').catch(() => {}), { once: true })
    return config
  })
  return http
}

function invalid(option: string, expected: string, got: unknown): never {
  throw new TokenProxyOptionsError(failed('register the token proxy', mustBe(option, expected, got)))
}

/**
 * Registers the token proxy worker and resolves once it controls the page.
 * Rejects with a `TokenProxyOptionsError` for invalid options, before
 * registering anything.
 */
export async function registerTokenProxy(options: RegisterTokenProxyOptions): Promise<TokenProxy> {
  if (typeof window === 'undefined') {
    throw new TokenProxyError(failed('register the token proxy', 'call it in a browser page, not during server-side rendering or in a worker'))
  }
  const { workerUrl, worker, scope, loginPath = '/login', onLogout, http, timeout = 10_000 } = options ?? {}
  if (typeof workerUrl !== 'string' || workerUrl === '' || workerUrl.includes('?') && worker) {
    invalid('workerUrl', "a script URL such as '/sw.js' (without a query when `worker` is given)", workerUrl)
  }
  if (!isSameOriginPath(loginPath)) invalid('loginPath', "a same-origin path such as '/login'", loginPath)
  if (!Number.isInteger(timeout) || timeout <= 0) invalid('timeout', 'a whole number of milliseconds above 0', timeout)
  if (onLogout !== undefined && typeof onLogout !== 'function') invalid('onLogout', 'a function', onLogout)
  if (worker) normalizeUrlOptions(worker, location.origin)
  const container = navigator.serviceWorker
  if (!container) {
    throw new TokenProxyError(
      failed('register the token proxy', 'this page has no service workers: it needs https (or http on localhost), and a browser window that allows them (Firefox before 138 has none in private windows)'),
    )
  }

  const url = worker ? `${workerUrl}?${optionsToQuery(worker)}` : workerUrl
  await container.register(url, scope === undefined ? undefined : { scope }).catch((cause: unknown) => {
    throw new TokenProxyError(failed('register the token proxy', String((cause as Error)?.message ?? cause)), { cause })
  })
  let controller = await waitForControl(container, timeout)
  container.addEventListener('controllerchange', () => {
    if (container.controller) controller = container.controller
  })

  const listeners = new Map<string, Set<(event: never) => void>>()
  const emit = (type: keyof TokenProxyEvents, event: object) => {
    for (const listener of listeners.get(type) ?? []) listener(event as never)
  }
  container.addEventListener('message', (event) => {
    // Only our controller speaks for the token proxy, with one exception: a
    // LOGOUT from any service worker of the origin (the container delivers no
    // others), so that one from another registration or an outgoing version
    // still logs this tab out. A logout can only make the page safer.
    if (!(event.source instanceof ServiceWorker) || !isWorkerMessage(event.data)) return
    const message = event.data
    if (message.type !== 'LOGOUT' && event.source !== container.controller) return
    if (message.type === 'REFRESHED') emit('refresh', { reason: message.reason })
    if (message.type === 'LOGOUT') {
      const logout: LogoutEvent = { reason: message.reason }
      emit('logout', logout)
      if (onLogout) onLogout(logout)
      else location.assign(loginRedirect(loginPath, location))
    }
  })
  container.startMessages()
  // Page and worker deployed from different versions: say so once, and carry on
  // (tokens are still injected; the update that follows brings them together).
  await ask(controller, { type: 'HELLO' }, timeout, 'register the token proxy').catch((error: unknown) => console.warn(error))

  return {
    http: withAborts(axios.create(http), () => controller, timeout),
    async setTokens(tokens) {
      const problem = checkTokens(tokens)
      if (problem) throw new TokenProxyOptionsError(failed('set the tokens', problem))
      const { accessToken, refreshToken, expiresAt } = tokens
      await ask(controller, { type: 'SET_TOKENS', tokens: { accessToken, refreshToken, expiresAt } }, timeout, 'set the tokens')
    },
    logout: () => ask(controller, { type: 'LOGOUT' }, timeout, 'log out'),
    on(type, listener) {
      const set = listeners.get(type) ?? new Set()
      listeners.set(type, set.add(listener as (event: never) => void))
      return () => void set.delete(listener as (event: never) => void)
    },
  }
}
