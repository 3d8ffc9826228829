import { registerTokenProxy, type AxiosTokenProxy as TokenProxy } from 'sw-token-proxy/axios'

declare global {
  interface Window {
    tokenProxy: TokenProxy
  }
}

// `?worker=composed`: the app's worker (worker.ts), which composes the proxy in;
// `?worker=query`: the package's sw.js as shipped, configured from its URL;
// otherwise /sw.js as the Vite plugin or `sw-token-proxy init` serves it, options inside.
const mode = new URLSearchParams(location.search).get('worker')
const state = document.getElementById('state')!
window.tokenProxy = await registerTokenProxy(
  mode === 'composed'
    ? { workerUrl: '/worker.js' }
    : mode === 'query'
      ? { workerUrl: '/sw-query.js', worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', loginUrl: '/api/auth/login' } }
      : { workerUrl: '/sw.js' },
)
state.textContent = 'ready'
state.dataset.ready = 'true'
