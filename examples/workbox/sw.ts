import { installTokenProxy } from 'sw-token-proxy/sw'
import { clientsClaim } from 'workbox-core'
import { precacheAndRoute, type PrecacheEntry } from 'workbox-precaching'

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] }

// The token proxy first: its fetch listener answers same-origin /api/
// requests and keeps them from the listeners after it.
installTokenProxy({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' })

// The app's own job: its built files, cached at install and served from
// Cache Storage (vite-plugin-pwa writes the list into __WB_MANIFEST).
precacheAndRoute(self.__WB_MANIFEST)

// Take over at once, first visit included: registerTokenProxy resolves only
// once this worker controls the page.
void self.skipWaiting()
clientsClaim()
