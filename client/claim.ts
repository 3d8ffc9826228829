import { failed, TokenProxyError } from '../common/errors.js'
import { resultOf, startFailure } from './control.js'

/*
 * Taking control of a page that has none, or another worker: loaded only
 * then (a first visit, a hard reload, new options), while the browser
 * installs the worker anyway. A page the worker already controls never
 * loads it.
 */

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
