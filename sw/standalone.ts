/**
 * The standalone `sw.js`: the token proxy configured from the script's own
 * query string (`/sw.js?apiPrefix=/api/&refreshUrl=/api/auth/refresh`), and
 * a lifecycle that takes over pages at once.
 */
import { installTokenProxy } from './install.js'
import { optionsFromQuery } from './options.js'

declare const self: ServiceWorkerGlobalScope

try {
  installTokenProxy(optionsFromQuery(self.location.search))
} catch (error) {
  // Half-working is worse than not working: handle nothing, say why.
  console.error(error)
}

self.addEventListener('install', () => void self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
