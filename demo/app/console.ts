import type { TokenProxy } from '../../client/index.js'
import { register } from './config.js'

declare global {
  interface Window {
    tokenProxy: TokenProxy
    /** Every proxy event this page saw, in order. */
    tokenProxyEvents: { type: string; reason?: string }[]
    /** Whether a worker controlled the page before `registerTokenProxy` ran. */
    controlledAtStart: boolean
  }
}

const state = document.getElementById('state')!
window.tokenProxyEvents = []
window.controlledAtStart = navigator.serviceWorker.controller !== null
try {
  // `?stay` keeps the page on LOGOUT (it records the event instead), for tests that watch requests settle.
  const stay = new URLSearchParams(location.search).has('stay')
  window.tokenProxy = await register(stay ? { onLogout: () => {} } : {})
  window.tokenProxy.on('refresh', () => window.tokenProxyEvents.push({ type: 'refresh' }))
  window.tokenProxy.on('logout', ({ reason }) => window.tokenProxyEvents.push({ type: 'logout', reason }))
  state.textContent = 'ready'
  state.dataset.ready = 'true'
} catch (error) {
  state.textContent = String(error)
  state.dataset.ready = 'false'
}
