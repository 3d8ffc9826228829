import { installTokenProxy } from 'sw-token-proxy/sw'
import { clientsClaim } from 'workbox-core'
import { precacheAndRoute, type PrecacheEntry } from 'workbox-precaching'

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] }

// The app's own job: its built files, cached at install and served from
// Cache Storage (vite-plugin-pwa writes the list into __WB_MANIFEST).
precacheAndRoute(self.__WB_MANIFEST)

// The token proxy, composed in: it routes only same-origin /api/ requests, so
// the two share one Workbox router without overlapping.
installTokenProxy({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' })

// Take over at once, first visit included: registerTokenProxy resolves only
// once this worker controls the page.
void self.skipWaiting()
clientsClaim()
