import { installTokenProxy } from 'sw-token-proxy/sw'
import { clientsClaim } from 'workbox-core'
import { precacheAndRoute, type PrecacheEntry } from 'workbox-precaching'
import { registerRoute } from 'workbox-routing'
import { NetworkFirst, NetworkOnly } from 'workbox-strategies'

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] }

// The token proxy first: its own listener keeps the login, refresh and logout
// endpoints (the page never gets a token from them), and with
// `apiRouting: 'workbox'` leaves every other API request to the routes below.
const proxy = installTokenProxy({
  apiPrefix: '/api/',
  refreshUrl: '/api/auth/refresh',
  loginUrl: '/api/auth/login',
  logoutUrl: '/api/auth/logout',
  apiRouting: 'workbox',
  // Answers of one user's session: gone at every logout and login, before the next session's first answer.
  sessionCaches: ['api-reads'],
})

// The app's own job: its built files, cached at install and served from
// Cache Storage (vite-plugin-pwa writes the list into __WB_MANIFEST).
precacheAndRoute(self.__WB_MANIFEST)

// A route of the app's that would take the login answer: the proxy's listener answers the
// token endpoints before any of the app's routes, so it never sees them.
registerRoute(({ url }) => url.pathname.startsWith('/api/auth/'), new NetworkOnly(), 'POST')

// API reads, kept for offline use: from the network with the token while online, from the
// cache when the network fails. Cached under the request as the page made it, never a token.
registerRoute(
  ({ url }) => url.pathname === '/api/items' || url.pathname === '/api/me',
  new NetworkFirst({ cacheName: 'api-reads', plugins: [proxy.plugin] }),
)

// Every other API request, any method, as the proxy answers it: after the app's own routes.
for (const route of proxy.routes) registerRoute(route)

// Take over at once, first visit included: registerTokenProxy resolves only
// once this worker controls the page.
void self.skipWaiting()
clientsClaim()
