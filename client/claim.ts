import type { Result } from './control.js'

/*
 * Taking the page: removing copies of the worker, and taking control of a
 * page that has none or another worker. Loaded only then (a first visit, a
 * hard reload, new options, a copy to remove), while the browser installs
 * the worker anyway: a page the worker already controls never loads it.
 * It imports nothing the page module's startup has (what it needs comes as
 * `Page`), so that it is one chunk of its own and the startup carries none
 * of it.
 */

/** What the page module lends: a message to a worker and its answer, and its errors. */
export interface Page {
  /** Sends `message` and resolves with the worker's `RESULT` (rejects when none came in time). */
  tell(worker: ServiceWorker, message: { type: 'CLAIM' }): Promise<Result>
  /** The error for a worker that could not start the proxy, if `result` says so. */
  startFailure(worker: ServiceWorker, result: Result): Error | undefined
  /** The error that rejects registration, for `reason`. */
  fail(reason: string): Error
}

/**
 * Unregisters every registration of a copy of this worker: the same script
 * path with another query (other options) and another scope. Page script
 * can register such a copy with options of its own making, and it outlives
 * the script; a narrower one takes this page, or the app's pages under its
 * scope, from the app's worker. (One at the app's own scope is the app's
 * registration, which `register` has pointed back at the app's URL; the
 * same URL at another scope runs the app's own options and is left alone.)
 * `registrations` are the origin's. Returns the script URLs removed.
 */
export async function removeCopies(registrations: readonly ServiceWorkerRegistration[], registration: ServiceWorkerRegistration, scriptUrl: string): Promise<string[]> {
  const path = new URL(scriptUrl).pathname
  const removed: string[] = []
  for (const other of registrations) {
    const script = (other.active ?? other.waiting ?? other.installing)?.scriptURL
    if (other.scope === registration.scope || !script || script === scriptUrl || new URL(script).pathname !== path) continue
    await other.unregister()
    removed.push(script)
  }
  return removed
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
  removed: readonly string[],
  { tell, startFailure, fail }: Page,
): Promise<ServiceWorker> {
  const ours = () => (container.controller?.scriptURL === scriptUrl ? container.controller : null)
  const now = ours()
  if (now) return now
  let timer: ReturnType<typeof setTimeout> | undefined
  let check = () => {}
  const controlled = new Promise<void>((resolve, reject) => {
    check = () => void (ours() && resolve())
    container.addEventListener('controllerchange', check)
    timer = setTimeout(() => reject(fail(`the worker did not take control of the page within ${timeout} ms`)), timeout)
  })
  controlled.catch(() => {}) // awaited below when needed; never an unhandled rejection
  try {
    const active = await Promise.race([activated(registration, scriptUrl), controlled])
    if (active && !ours()) {
      const claimed = await tell(active, { type: 'CLAIM' })
      const failure = startFailure(active, claimed)
      if (failure) throw failure
      if (!claimed.ok) throw fail(`the worker refused CLAIM: ${claimed.error}`)
      const copy = container.controller?.scriptURL
      if (!ours() && copy && removed.includes(copy)) await reloadOnce(copy, fail)
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

const RELOADED = 'sw-token-proxy:reloaded-for'

/**
 * Chromium lets no worker claim a page from a registration being removed
 * (measured in Chromium 156; Firefox and WebKit hand it over): the page
 * stays with the removed copy until it is loaded again. Loads it again,
 * once per copy and tab, so that it cannot loop; a second time, rejects.
 */
function reloadOnce(copy: string, fail: Page['fail']): Promise<never> {
  const stuck = () => fail(`this page is still controlled by a removed copy of the worker (${new URL(copy).pathname}${new URL(copy).search}); load the page again`)
  try {
    if (sessionStorage.getItem(RELOADED) === copy) return Promise.reject(stuck())
    sessionStorage.setItem(RELOADED, copy)
  } catch {
    return Promise.reject(stuck())
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
