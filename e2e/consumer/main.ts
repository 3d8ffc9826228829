import { registerTokenProxy, type TokenProxy } from 'sw-token-proxy'

declare global {
  interface Window {
    tokenProxy: TokenProxy
  }
}

// `?worker=standalone`: the package's own sw.js, configured from its URL;
// otherwise the app's worker (worker.ts), which composes the proxy in.
const standalone = new URLSearchParams(location.search).get('worker') === 'standalone'
const state = document.getElementById('state')!
window.tokenProxy = await registerTokenProxy(
  standalone
    ? { workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' } }
    : { workerUrl: '/worker.js' },
)
state.textContent = 'ready'
state.dataset.ready = 'true'
