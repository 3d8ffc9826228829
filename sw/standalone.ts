/**
 * The standalone `sw.js`: the token proxy configured by options the file
 * carries (`self.swTokenProxyOptions = {…}` written above this code by
 * `sw-token-proxy init` or the Vite plugin), or else from the script's own
 * query string (`/sw.js?apiPrefix=/api/&refreshUrl=/api/auth/refresh`),
 * which may name same-origin endpoints only. Its lifecycle takes over pages
 * at once.
 */
import { failed, TokenProxyOptionsError } from '../common/errors.js'
import { checkStandalone, normalizeOptions, type TokenProxyOptions } from '../common/options.js'
import { normalizeUrlOptions, optionsFromQuery } from '../common/query.js'
import { installTokenProxy } from './install.js'
import { addStaticRoutes } from './static-routes.js'
import { refuseTabs } from './tabs.js'

declare const self: ServiceWorkerGlobalScope & { swTokenProxyOptions?: TokenProxyOptions }

try {
  const written = self.swTokenProxyOptions
  if (written !== undefined) {
    // A URL of someone else's making must not change what the file says.
    if (self.location.search) {
      throw new TokenProxyOptionsError(
        failed('configure the token proxy', `this worker file carries its own options, so its URL takes none; got '${self.location.search}'`),
      )
    }
    checkStandalone(normalizeOptions(written, self.location.origin))
    installTokenProxy(written)
  } else {
    const options = optionsFromQuery(self.location.search)
    checkStandalone(normalizeUrlOptions(options, self.location.origin))
    installTokenProxy(options)
  }
} catch (error) {
  // Half-working is worse than not working: handle nothing, and say why, here and to every page that asks.
  console.error(error)
  refuseTabs(String((error as Error)?.message ?? error))
}

self.addEventListener('install', (event) => {
  // Navigations and no-cors requests never start this worker where the browser has static routes.
  addStaticRoutes(event)
  void self.skipWaiting()
})
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
