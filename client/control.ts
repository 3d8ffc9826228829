import { failed, TokenProxyError, TokenProxyOptionsError } from '../common/errors.js'
import { PROTOCOL_VERSION, type Answers, type PageMessage, type Unversioned, type WorkerMessage } from '../common/protocol.js'

/** The worker's answer to a page message. */
export type Result = Extract<WorkerMessage, { type: 'RESULT' }>

/**
 * Sends one message to a worker and resolves with its `RESULT`, which comes
 * back on a `MessageChannel` (as in Workbox's `messageSW`). Rejects only when
 * no answer came within `timeout`; `what` names the caller's action in that
 * error: "Failed to <what>: …".
 */
export function resultOf(worker: ServiceWorker, message: Unversioned<PageMessage>, timeout: number, what: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel()
    const timer = setTimeout(() => {
      channel.port1.close()
      reject(new TokenProxyError(failed(what, `the worker did not answer ${message.type} within ${timeout} ms`)))
    }, timeout)
    channel.port1.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
      clearTimeout(timer)
      channel.port1.close()
      resolve(data?.type === 'RESULT' ? data : { type: 'RESULT', ok: false, error: 'bad answer', version: 0, tokenProxy: PROTOCOL_VERSION })
    }
    worker.postMessage({ tokenProxy: PROTOCOL_VERSION, ...message }, [channel.port2])
  })
}

/** The page's error for a worker's refusal: a `TokenProxyOptionsError` when the worker's was one. */
const refused = (result: Extract<Result, { ok: false }>, what: string, reason: string) =>
  new (result.name === 'TokenProxyOptionsError' ? TokenProxyOptionsError : TokenProxyError)(failed(what, reason))

/** Like `resultOf`, and a refusal rejects too, with the worker's reason; resolves with the answer of the message's type (fields the page still checks). */
export async function ask<M extends Unversioned<PageMessage>>(worker: ServiceWorker, message: M, timeout: number, what: string): Promise<Partial<Answers[M['type']]>> {
  const result = await resultOf(worker, message, timeout, what)
  if (!result.ok) throw refused(result, what, `the worker refused ${message.type}: ${result.error}`)
  return result as Partial<Answers[M['type']]>
}

/**
 * The error for a worker that refused a message because it could not start
 * the proxy (a refusal in this page's protocol version; one of another
 * version is a deployment in progress, not a failure).
 */
export function startFailure(worker: ServiceWorker, result: Result, what: string): TokenProxyError | undefined {
  if (result.ok || result.version !== PROTOCOL_VERSION) return undefined
  return refused(result, what, `the worker at ${new URL(worker.scriptURL).pathname} could not start: ${result.error}`)
}

/**
 * Resolves once the page is controlled by the worker at `scriptUrl` (absolute)
 * of `registration`. After a first visit or a hard reload the page has no
 * controller; after a copy of the worker registered with other options was
 * removed (see `removeCopies`), that copy may still control it; after the
 * registration was pointed at another URL, its old worker does until the new
 * one is active. In each case: wait until the worker at `scriptUrl` is
 * active, ask it to claim the page, and wait for `controllerchange`. Never
 * reloads the page.
 */
export async function waitForControl(
  container: ServiceWorkerContainer,
  registration: ServiceWorkerRegistration,
  scriptUrl: string,
  timeout: number,
  removed: readonly string[] = [],
): Promise<ServiceWorker> {
  const ours = () => (container.controller?.scriptURL === scriptUrl ? container.controller : null)
  const now = ours()
  if (now) return now
  const what = 'register the token proxy'
  let timer: ReturnType<typeof setTimeout> | undefined
  let check = () => {}
  const controlled = new Promise<void>((resolve, reject) => {
    check = () => void (ours() && resolve())
    container.addEventListener('controllerchange', check)
    timer = setTimeout(() => reject(new TokenProxyError(failed(what, `the worker did not take control of the page within ${timeout} ms`))), timeout)
  })
  controlled.catch(() => {}) // awaited below when needed; never an unhandled rejection
  try {
    const active = await Promise.race([activated(registration, scriptUrl), controlled])
    if (active && !ours()) {
      const claimed = await resultOf(active, { type: 'CLAIM' }, timeout, what)
      const failure = startFailure(active, claimed, what)
      if (failure) throw failure
      if (!claimed.ok) throw new TokenProxyError(failed(what, `the worker refused CLAIM: ${claimed.error}`))
      const copy = container.controller?.scriptURL
      if (!ours() && copy && removed.includes(copy)) await reloadOnce(copy, what)
    }
    if (!ours()) await controlled
  } finally {
    clearTimeout(timer)
    container.removeEventListener('controllerchange', check)
  }
  forgetReload()
  return container.controller!
}

/** The worker of `registration` at `scriptUrl`, once it is active (never, if the registration has none). */
function activated(registration: ServiceWorkerRegistration, scriptUrl: string): Promise<ServiceWorker | undefined> {
  const worker = [registration.active, registration.waiting, registration.installing].find((w) => w?.scriptURL === scriptUrl)
  if (!worker) return new Promise(() => {})
  if (worker.state === 'activated') return Promise.resolve(worker)
  return new Promise((resolve) => {
    const changed = () => {
      if (worker.state !== 'activated') return
      worker.removeEventListener('statechange', changed)
      resolve(worker)
    }
    worker.addEventListener('statechange', changed)
  })
}

/**
 * Unregisters every registration of a copy of this worker: the same script
 * path with another query (other options) and another scope. Page script
 * can register such a copy with options of its own making, and it outlives
 * the script; a narrower one takes this page, or the app's pages under its
 * scope, from the app's worker. (One at the app's own scope is the app's
 * registration, which `register` has pointed back at the app's URL; the
 * same URL at another scope runs the app's own options and is left alone.)
 * Returns the script URLs removed.
 */
export async function removeCopies(container: ServiceWorkerContainer, registration: ServiceWorkerRegistration, scriptUrl: string): Promise<string[]> {
  const path = new URL(scriptUrl).pathname
  const removed: string[] = []
  for (const other of await container.getRegistrations()) {
    const script = (other.active ?? other.waiting ?? other.installing)?.scriptURL
    if (other.scope === registration.scope || !script || script === scriptUrl || new URL(script).pathname !== path) continue
    await other.unregister()
    removed.push(script)
  }
  return removed
}

const RELOADED = 'sw-token-proxy:reloaded-for'

/**
 * Chromium lets no worker claim a page from a registration being removed
 * (measured in Chromium 156; Firefox and WebKit hand it over): the page
 * stays with the removed copy until it is loaded again. Loads it again,
 * once per copy and tab, so that it cannot loop; a second time, rejects.
 */
function reloadOnce(copy: string, what: string): Promise<never> {
  const fail = () =>
    new TokenProxyError(failed(what, `this page is still controlled by a removed copy of the worker (${new URL(copy).pathname}${new URL(copy).search}); load the page again`))
  try {
    if (sessionStorage.getItem(RELOADED) === copy) return Promise.reject(fail())
    sessionStorage.setItem(RELOADED, copy)
  } catch {
    return Promise.reject(fail())
  }
  location.reload()
  return new Promise(() => {})
}

/** Control reached: a later copy in this tab may be reloaded away again. */
function forgetReload(): void {
  try {
    sessionStorage.removeItem(RELOADED)
  } catch {}
}

/**
 * Fails at once when the registration can never control this page: its
 * scope does not cover the page, or another registration's narrower scope
 * does (the browser gives the page to the most specific one).
 */
export async function checkScope(container: ServiceWorkerContainer, registration: ServiceWorkerRegistration, scriptUrl: string): Promise<void> {
  const page = location.pathname
  if (!location.href.startsWith(registration.scope)) {
    throw new TokenProxyError(
      failed('register the token proxy', `the worker's scope ${new URL(registration.scope).pathname} does not cover this page (${page}); serve the worker from a folder above the page, such as /sw.js, or let the server allow a wider scope with a Service-Worker-Allowed header`),
    )
  }
  const serving = await container.getRegistration(location.href)
  const script = serving && (serving.active ?? serving.waiting ?? serving.installing)?.scriptURL
  // The same worker with the same options at a narrower scope serves the page as well as this one.
  if (serving && serving.scope !== registration.scope && script !== scriptUrl) {
    throw new TokenProxyError(
      failed('register the token proxy', `another service worker (${script ? new URL(script).pathname : 'with no script'}, scope ${new URL(serving.scope).pathname}) controls this page and takes its requests; unregister it or register the token proxy for that scope`),
    )
  }
}
