import { installTokenProxy } from 'sw-token-proxy/sw'

declare const self: ServiceWorkerGlobalScope

// The app's own worker, with its own lifecycle, and the token proxy composed in first.
installTokenProxy({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', loginUrl: '/api/auth/login' })

// A fetch listener of the app's own, after the proxy's: it answers /seen with
// every URL it was handed, so a spec can tell which requests reached it.
const seen: string[] = []
self.addEventListener('fetch', (event) => {
  const { pathname } = new URL(event.request.url)
  if (pathname === '/seen') event.respondWith(Response.json(seen))
  else seen.push(pathname)
})

self.addEventListener('install', () => void self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
