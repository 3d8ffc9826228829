import { failed, TokenProxyError, TokenProxyOptionsError } from '../common/errors.js'
import type { TokenProxyOptions } from '../common/options.js'
import { isSameOriginPath } from '../common/paths.js'
import { isWorkerMessage, type LogoutReason, type RefreshReason, type Session } from '../common/protocol.js'
import type { Tokens } from '../common/tokens.js'
import { ask, inScope, resultOf, scriptOf, startFailure } from './control.js'
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

const WHAT = 'register the token proxy'

/**
 * Each option `registerTokenProxy` takes, and its test (defaults applied);
 * anything else is a mistake to name, not to ignore. What to say about one
 * that fails is in `explain.ts`, loaded then.
 */
const PAGE_CHECKS: Record<keyof RegisterTokenProxyOptions, (value: never, options: { worker?: unknown }) => boolean> = {
  workerUrl: (url: unknown, { worker }) => typeof url === 'string' && url !== '' && !(worker && url.includes('?')),
  worker: () => true, // checked by the worker's own rules, in `worker-query.ts`
  scope: () => true, // the browser's to refuse, in its words
  loginPath: isSameOriginPath,
  onLogout: (listener: unknown) => listener === undefined || typeof listener === 'function',
  timeout: (ms: unknown) => Number.isInteger(ms) && (ms as number) > 0,
}

/** The reason for a code chunk that could not load, in the place of what it would have said. */
const unloaded = (code: string) => `the code that ${code} could not load (offline, or a deploy in between): load the page again`

/**
 * The error for a failure pages rarely meet, in the words `explain.ts`
 * has for it (loaded now), or saying `fallback` when they cannot load.
 */
async function explained(fallback: string, words: (explain: typeof import('./explain.js')) => string, Class = TokenProxyError, cause?: unknown): Promise<TokenProxyError> {
  const reason = await import('./explain.js').then(words, () => `${fallback}; ${unloaded('explains it')}`)
  return new Class(failed(WHAT, reason), cause === undefined ? undefined : { cause })
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
  if (typeof window === 'undefined') throw await explained('not in a browser page', (e) => e.outsidePage())
  const { workerUrl, worker, scope, loginPath = '/login', onLogout, timeout = 10_000 } = options ?? {}
  const given: Record<string, unknown> = { ...options, workerUrl, loginPath, timeout }
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(PAGE_CHECKS, name) || !PAGE_CHECKS[name as keyof RegisterTokenProxyOptions](value as never, given)) {
      throw await explained(`the option \`${name}\` is unknown or not valid`, (e) => e.badOption(name, value, Object.keys(PAGE_CHECKS)), TokenProxyOptionsError)
    }
  }
  // Checked before anything is registered (B14), by code only pages that give `worker` load.
  let query = ''
  if (worker) {
    const { workerQuery } = await import('./worker-query.js').catch((cause: unknown) => {
      throw new TokenProxyError(failed(WHAT, unloaded('checks the worker options')), { cause })
    })
    query = workerQuery(worker)
  }
  const container = navigator.serviceWorker
  if (!container) throw await explained('no service workers', (e) => e.noServiceWorkers())

  // One deadline for the whole of it: registering, taking control, the worker's first answer.
  let timer: ReturnType<typeof setTimeout> | undefined
  // A call that ran out of time may still finish in the background: it must then change nothing.
  const deadline = { passed: false }
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      deadline.passed = true
      reject(new TokenProxyError(failed(WHAT, `the worker did not take control of the page and answer within ${timeout} ms`)))
    }, timeout)
  })
  try {
    return await Promise.race([connect(container, query ? `${workerUrl}?${query}` : workerUrl!, { scope, loginPath, onLogout, timeout }, deadline), late])
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
  let registration: ServiceWorkerRegistration
  try {
    registration = await container.register(url, scope === undefined ? undefined : { scope })
  } catch (cause) {
    // Why, in words: code loaded only when a registration fails.
    throw await import('./diagnose.js').then(
      async ({ registrationFailure }) => new TokenProxyError(failed(WHAT, await registrationFailure(url, cause)), { cause }),
      () => new TokenProxyError(failed(WHAT, `the browser refused to register ${url}: ${String((cause as Error)?.message ?? cause)}`), { cause }),
    )
  }
  const scriptUrl = new URL(url, location.href).href
  const registrations = await container.getRegistrations()
  // A page the worker controls already, with no copy of it to remove (every load after the first), needs none of the code that takes the page.
  const claim =
    container.controller?.scriptURL === scriptUrl && registrations.length < 2
      ? undefined
      : await import('./claim.js').catch((cause: unknown) => {
          throw new TokenProxyError(failed(WHAT, unloaded('takes control of the page')), { cause })
        })
  const removed = claim ? await claim.removeCopies(registrations, registration, scriptUrl) : []
  const { ok, serving } = await inScope(container, registration, scriptUrl)
  if (!ok) throw await explained('its scope does not cover this page', (e) => e.outOfScope(registration.scope, serving?.scope, serving && scriptOf(serving)))
  const controller = claim
    ? await claim.waitForControl(container, registration, scriptUrl, timeout, removed, {
        tell: (worker, message) => resultOf(worker, message, timeout, WHAT),
        startFailure: (worker, result) => startFailure(worker, result, WHAT),
        fail: (reason) => new TokenProxyError(failed(WHAT, reason)),
      })
    : container.controller!
  // The worker that controls the page now: a new version may have taken over since.
  const current = () => container.controller ?? controller
  const { listeners, join } = hear(container, loginPath, onLogout)

  const hello = await resultOf(controller, { type: 'HELLO' }, timeout, WHAT).catch(async (cause: unknown) => {
    throw await explained('the worker does not answer', (e) => e.silent(controller.scriptURL), TokenProxyError, cause)
  })
  // The worker could not start the proxy: nothing would get a token, so say why now.
  const failure = startFailure(controller, hello, WHAT)
  if (failure) throw failure
  // Page and worker deployed from different versions: say so once, and carry on
  // (tokens are still injected; the update that follows brings them together).
  if (!hello.ok) console.warn(new TokenProxyError(failed(WHAT, hello.error)))
  if (deadline.passed) throw new TokenProxyError(failed(WHAT, `the worker did not take control of the page and answer within ${timeout} ms`))
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
