import { registerTokenProxy, type TokenProxy } from '../../client/index.js'
import { register } from './config.js'

declare global {
  interface Window {
    tokenProxy: TokenProxy
    /** Every proxy event this page saw, in order. */
    tokenProxyEvents: { type: string; reason?: string }[]
    /** Whether a worker controlled the page before `registerTokenProxy` ran. */
    controlledAtStart: boolean
    registerTokenProxy: typeof registerTokenProxy
  }
}

const state = document.getElementById('state')!
const query = new URLSearchParams(location.search)
window.tokenProxyEvents = []
window.controlledAtStart = navigator.serviceWorker.controller !== null
window.registerTokenProxy = registerTokenProxy

async function start() {
  // `?stay` keeps the page on LOGOUT (it records the event instead), for tests that watch requests settle.
  window.tokenProxy = await register(query.has('stay') ? { onLogout: () => {} } : {})
  window.tokenProxy.on('refresh', () => window.tokenProxyEvents.push({ type: 'refresh' }))
  window.tokenProxy.on('logout', ({ reason }) => window.tokenProxyEvents.push({ type: 'logout', reason }))
  state.textContent = 'ready'
  state.dataset.ready = 'true'
}

// `?manual`: nothing registered; the page calls `registerTokenProxy` itself.
if (query.has('manual')) state.textContent = 'not registered'
else {
  await start().catch((error: unknown) => {
    state.textContent = String(error)
    state.dataset.ready = 'false'
  })
}
