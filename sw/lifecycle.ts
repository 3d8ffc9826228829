import { addStaticRoutes } from './static-routes.js'
import { refuseTabs } from './tabs.js'

declare const self: ServiceWorkerGlobalScope

/**
 * The lifecycle of a worker that is nothing but the token proxy (the
 * standalone `sw.js` and the worker files written with options): `start`
 * installs it, and if it throws, the worker handles nothing and says why,
 * here and to every page that asks (half-working is worse than not
 * working). It takes over pages at once.
 */
export function runStandalone(start: () => void): void {
  try {
    start()
  } catch (error) {
    console.error(error)
    refuseTabs(error)
  }
  self.addEventListener('install', (event) => {
    // Navigations and no-cors requests never start this worker where the browser has static routes.
    addStaticRoutes(event)
    void self.skipWaiting()
  })
  self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
}
