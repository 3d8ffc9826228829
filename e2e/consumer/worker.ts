import { installTokenProxy } from 'sw-token-proxy/sw'

declare const self: ServiceWorkerGlobalScope

// The app's own worker, with its own lifecycle, and the token proxy composed in.
installTokenProxy({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' })

self.addEventListener('install', () => void self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
