import { registerTokenProxy, type AxiosTokenProxy as TokenProxy, type Session } from '../../client/axios.js'
import { proxyOptions, register } from './config.js'

declare global {
  interface Window {
    tokenProxy: TokenProxy
    /** Every refresh and logout event this page saw, in order. */
    tokenProxyEvents: { type: 'refresh' | 'logout'; reason: string; resource?: string }[]
    /** Every session event this page saw, in order. */
    sessionEvents: Session[]
    /** Whether a worker controlled the page before `registerTokenProxy` ran. */
    controlledAtStart: boolean
    registerTokenProxy: typeof registerTokenProxy
    /** Loads plain axios and ky, which know nothing of the proxy (a separate chunk, fetched only when asked). */
    clients: () => Promise<typeof import('./clients.js')>
  }
}

const state = document.getElementById('state')!
const query = new URLSearchParams(location.search)
window.tokenProxyEvents = []
window.sessionEvents = []
window.controlledAtStart = (navigator.serviceWorker?.controller ?? null) !== null
window.registerTokenProxy = registerTokenProxy
window.clients = () => import('./clients.js')

/**
 * Query switches, for tests and for trying things out:
 * `?stay` keeps the page on LOGOUT (it records the event instead);
 * `?worker={…}` adds worker options (JSON); `?scope=/x` registers with that scope;
 * `?script=/x.js` registers that worker file, which carries its own options.
 */
async function start() {
  const script = query.get('script')
  window.tokenProxy = await register({
    ...(script
      ? { workerUrl: script, worker: undefined }
      : { worker: { ...proxyOptions.worker!, ...(JSON.parse(query.get('worker') ?? '{}') as object) } }),
    ...(query.has('scope') ? { scope: query.get('scope')! } : {}),
    ...(query.has('stay') ? { onLogout: () => {} } : {}),
  })
  window.tokenProxy.on('refresh', ({ reason, resource }) => window.tokenProxyEvents.push(resource === undefined ? { type: 'refresh', reason } : { type: 'refresh', reason, resource }))
  window.tokenProxy.on('logout', ({ reason }) => window.tokenProxyEvents.push({ type: 'logout', reason }))
  window.tokenProxy.on('session', (session) => window.sessionEvents.push(session))
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
