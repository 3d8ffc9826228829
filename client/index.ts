import { failed, mustBe, TokenProxyError, TokenProxyOptionsError } from '../common/errors.js'
import type { TokenProxyOptions } from '../common/options.js'
import { isSameOriginPath } from '../common/paths.js'
import { isWorkerMessage, type LogoutReason, type RefreshReason, type Session } from '../common/protocol.js'
import type { Tokens } from '../common/tokens.js'
import { ask, checkScope, removeCopies, resultOf, startFailure, waitForControl } from './control.js'
import { loginRedirect } from './redirect.js'

export { TokenProxyError, TokenProxyOptionsError, isTokenProxyError } from '../common/errors.js'
export { safeNext, loginRedirect } from './redirect.js'
export type { TokenProxyOptions, Tokens, LogoutReason, RefreshReason, Session }

export interface LogoutEvent {
  /** `'refresh-rejected'`: the server ended the session; `'logout'`: some tab called `logout()`. */
  reason: LogoutReason
}

export interface RefreshEvent {
  /** `'expiry'`: refreshed ahead of expiry; `'unauthorized'`: after a request got a 401. */
  reason: RefreshReason
  /** With the `resources` option: the indicator of the API whose token was refreshed; absent for the login's token. */
  resource?: string
}

export interface TokenProxyEvents {
  logout: LogoutEvent
  /** The worker refreshed the tokens (for any tab). */
  refresh: RefreshEvent
  /** The session changed, in any tab: signed in, refreshed, expired now, ended. */
  session: Session
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
  /** How long to wait for the worker to control the page or answer, in ms. @default 10000 */
  timeout?: number
}

export interface TokenProxy {
  /** Hands tokens to the worker (for apps that log in some other way), starting a new session. Write-only. */
  setTokens(tokens: Tokens): Promise<void>
  /** Whether there is a session and until when its access token is known to be valid; never a token. */
  session(): Promise<Session>
  /**
   * With `dpop: true`: the JWK thumbprint (RFC 7638) of the key the next
   * login signs with, for the authorization request's `dpop_jkt` (RFC 9449
   * §10). Public; nothing else of the key ever leaves the worker.
   */
  dpopThumbprint(): Promise<string>
  /** Clears the tokens everywhere; every tab gets LOGOUT. */
  logout(): Promise<void>
  /** The worker that controls the page now (it may change when a new version takes over). */
  worker(): ServiceWorker
  /** Listens for an event of every tab; returns the function that stops listening. */
  on<K extends keyof TokenProxyEvents>(type: K, listener: (event: TokenProxyEvents[K]) => void): () => void
}

/** The options `registerTokenProxy` takes: anything else is a mistake to name, not to ignore. */
const PAGE_OPTIONS: readonly string[] = ['workerUrl', 'worker', 'scope', 'loginPath', 'onLogout', 'timeout'] satisfies (keyof RegisterTokenProxyOptions)[]

function refuseOption(option: string, expected: string, got: unknown): never {
  throw new TokenProxyOptionsError(failed('register the token proxy', mustBe(option, expected, got)))
}

/**
 * Registers the token proxy worker and resolves once it controls the page
 * and answers. Rejects with a `TokenProxyOptionsError` for invalid options,
 * before registering anything, and with a `TokenProxyError` that names the
 * cause and the fix when the worker cannot serve this page: not found, not
 * JavaScript, a scope that does not cover the page, a worker that cannot
 * start the proxy.
 */
export async function registerTokenProxy(options: RegisterTokenProxyOptions): Promise<TokenProxy> {
  const what = 'register the token proxy'
  if (typeof window === 'undefined') {
    throw new TokenProxyError(failed(what, 'call it in a browser page, not during server-side rendering or in a worker'))
  }
  const { workerUrl, worker, scope, loginPath = '/login', onLogout, timeout = 10_000 } = options ?? {}
  for (const key of Object.keys(options ?? {})) {
    if (!PAGE_OPTIONS.includes(key)) {
      const hint = key === 'http' ? "; `proxy.http` and its `http` defaults come from 'sw-token-proxy/axios'" : `; the options are ${PAGE_OPTIONS.join(', ')}`
      throw new TokenProxyOptionsError(failed(what, `unknown option \`${key}\`${hint}`))
    }
  }
  if (typeof workerUrl !== 'string' || workerUrl === '' || (workerUrl.includes('?') && worker)) {
    refuseOption('workerUrl', "a script URL such as '/sw.js' (without a query when `worker` is given)", workerUrl)
  }
  if (!isSameOriginPath(loginPath)) refuseOption('loginPath', "a same-origin path such as '/login'", loginPath)
  if (!Number.isInteger(timeout) || timeout <= 0) refuseOption('timeout', 'a whole number of milliseconds, 1 or more', timeout)
  if (onLogout !== undefined && typeof onLogout !== 'function') refuseOption('onLogout', 'a function', onLogout)
  // Checked before anything is registered (B14), by code only pages that give `worker` load.
  let query = ''
  if (worker) {
    const { workerQuery } = await import('./worker-query.js').catch((cause: unknown) => {
      throw new TokenProxyError(failed(what, 'the code that checks the worker options could not load (offline, or a deploy in between): load the page again'), { cause })
    })
    query = workerQuery(worker)
  }
  const container = navigator.serviceWorker
  if (!container) {
    throw new TokenProxyError(
      failed(what, 'this page has no service workers: it needs https (or http on localhost), and a browser window that allows them (Firefox before 138 has none in private windows)'),
    )
  }

  // One deadline for the whole of it: registering, taking control, the worker's first answer.
  let timer: ReturnType<typeof setTimeout> | undefined
  // A call that ran out of time may still finish in the background: it must then change nothing.
  const deadline = { passed: false }
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      deadline.passed = true
      reject(new TokenProxyError(failed(what, `the worker did not take control of the page and answer within ${timeout} ms`)))
    }, timeout)
  })
  try {
    return await Promise.race([connect(container, query ? `${workerUrl}?${query}` : workerUrl, { scope, loginPath, onLogout, timeout }, deadline), late])
  } finally {
    clearTimeout(timer)
  }
}

type Listeners = Map<string, Set<(event: never) => void>>

/**
 * The page's one ear for the worker, however often `registerTokenProxy`
 * runs (a remount, a hot reload): one message listener, every proxy's
 * listeners told each event once, and the latest call's `loginPath` and
 * `onLogout` deciding what a LOGOUT does.
 */
interface Channel {
  proxies: Listeners[]
  loginPath: string
  onLogout?: ((event: LogoutEvent) => void) | undefined
}
let channel: Channel | undefined

/**
 * The page's channel (made on the first call, which it serves at once), and
 * `join`, which adds listeners of a call's own and makes its `loginPath` and
 * `onLogout` the ones a LOGOUT follows: called once that call has succeeded,
 * so that one which fails changes nothing for the proxies the page has.
 */
function hear(container: ServiceWorkerContainer, loginPath: string, onLogout: RegisterTokenProxyOptions['onLogout']): { listeners: Listeners; join(): void } {
  const listeners: Listeners = new Map()
  if (!channel) {
    const heard: Channel = (channel = { proxies: [], loginPath })
    const emit = <K extends keyof TokenProxyEvents>(type: K, event: TokenProxyEvents[K]) => {
      for (const proxy of heard.proxies) {
        for (const listener of proxy.get(type) ?? []) {
          // One listener's error stops neither the others nor the redirect: it is reported, as an uncaught one.
          try {
            ;(listener as (event: TokenProxyEvents[K]) => void)(event)
          } catch (error) {
            queueMicrotask(() => {
              throw error
            })
          }
        }
      }
    }
    let leaving = false
    container.addEventListener('message', (event) => {
      // Only our controller speaks for the token proxy, with one exception: a
      // LOGOUT from any service worker of the origin (the container delivers no
      // others), so that one from another registration or an outgoing version
      // still logs this tab out. A logout can only make the page safer.
      if (!(event.source instanceof ServiceWorker) || !isWorkerMessage(event.data)) return
      const message = event.data
      if (message.type !== 'LOGOUT' && event.source !== container.controller) return
      if (message.type === 'REFRESHED') emit('refresh', message.resource === undefined ? { reason: message.reason } : { reason: message.reason, resource: message.resource })
      if (message.type === 'SESSION') emit('session', message.session)
      if (message.type === 'LOGOUT') {
        const logout: LogoutEvent = { reason: message.reason }
        emit('logout', logout)
        if (heard.onLogout) heard.onLogout(logout)
        // Once, and not from the login page itself: a second LOGOUT (another tab's, another worker's) changes nothing.
        else if (!leaving && location.pathname !== new URL(heard.loginPath, location.href).pathname) {
          leaving = true
          location.assign(loginRedirect(heard.loginPath, location))
        }
      }
    })
    container.startMessages()
  }
  const joined = channel
  if (!joined.proxies.length) Object.assign(joined, { loginPath, onLogout })
  return {
    listeners,
    join() {
      Object.assign(joined, { loginPath, onLogout })
      joined.proxies.push(listeners)
    },
  }
}


/** `registerTokenProxy` once its options were checked. */
async function connect(
  container: ServiceWorkerContainer,
  /** The worker's URL, with the query of its options when given. */
  url: string,
  { scope, loginPath, onLogout, timeout }: Required<Pick<RegisterTokenProxyOptions, 'loginPath' | 'timeout'>> & Pick<RegisterTokenProxyOptions, 'scope' | 'onLogout'>,
  deadline: { passed: boolean },
): Promise<TokenProxy> {
  const what = 'register the token proxy'
  let registration: ServiceWorkerRegistration
  try {
    registration = await container.register(url, scope === undefined ? undefined : { scope })
  } catch (cause) {
    // Why, in words: code loaded only when a registration fails.
    throw await import('./diagnose.js').then(
      ({ registrationFailure }) => registrationFailure(url, cause),
      () => new TokenProxyError(failed(what, `the browser refused to register ${url}: ${String((cause as Error)?.message ?? cause)}`), { cause }),
    )
  }
  const scriptUrl = new URL(url, location.href).href
  const removed = await removeCopies(container, registration, scriptUrl)
  await checkScope(container, registration, scriptUrl)
  const controller = await waitForControl(container, registration, scriptUrl, timeout, removed)
  // The worker that controls the page now: a new version may have taken over since.
  const current = () => container.controller ?? controller
  const { listeners, join } = hear(container, loginPath, onLogout)

  const hello = await resultOf(controller, { type: 'HELLO' }, timeout, what).catch((cause: unknown) => {
    throw new TokenProxyError(failed(what, `the worker at ${new URL(controller.scriptURL).pathname} does not answer: does it call installTokenProxy?`), { cause })
  })
  // The worker could not start the proxy: nothing would get a token, so say why now.
  const failure = startFailure(controller, hello, what)
  if (failure) throw failure
  // Page and worker deployed from different versions: say so once, and carry on
  // (tokens are still injected; the update that follows brings them together).
  if (!hello.ok) console.warn(new TokenProxyError(failed(what, hello.error)))
  if (deadline.passed) throw new TokenProxyError(failed(what, `the worker did not take control of the page and answer within ${timeout} ms`))
  join()

  return {
    worker: current,
    async setTokens(tokens) {
      // The page's own check, loaded when first needed; the worker checks them too, should it not load.
      const problem = await import('../common/tokens.js').then(
        ({ checkTokens }) => checkTokens(tokens),
        () => undefined,
      )
      if (problem) throw new TokenProxyOptionsError(failed('set the tokens', problem))
      const { accessToken, refreshToken, expiresAt } = tokens
      await ask(current(), { type: 'SET_TOKENS', tokens: { accessToken, refreshToken, expiresAt } }, timeout, 'set the tokens')
    },
    async session() {
      const { session } = await ask(current(), { type: 'SESSION' }, timeout, 'read the session')
      if (!session) throw new TokenProxyError(failed('read the session', 'the worker answered without one'))
      return { active: session.active, expiresAt: session.expiresAt }
    },
    async dpopThumbprint() {
      const { thumbprint } = await ask(current(), { type: 'DPOP_THUMBPRINT' }, timeout, 'read the DPoP key thumbprint')
      if (typeof thumbprint !== 'string') throw new TokenProxyError(failed('read the DPoP key thumbprint', 'the worker answered without one'))
      return thumbprint
    },
    logout: async () => void (await ask(current(), { type: 'LOGOUT' }, timeout, 'log out')),
    on(type, listener) {
      const set = listeners.get(type) ?? new Set()
      listeners.set(type, set.add(listener as (event: never) => void))
      return () => void set.delete(listener as (event: never) => void)
    },
  }
}
