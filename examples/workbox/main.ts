import { registerTokenProxy, type AxiosTokenProxy } from 'sw-token-proxy/axios'

declare global {
  interface Window {
    tokenProxy: AxiosTokenProxy
  }
}

const element = (id: string) => document.getElementById(id)!

// No `worker` options: /sw.js is the app's own Workbox worker, which calls
// installTokenProxy itself. The login form is on this page, so LOGOUT comes back here.
const proxy = await registerTokenProxy({ workerUrl: '/sw.js', loginPath: '/' })
window.tokenProxy = proxy

/** An API request with no token code: the worker adds the token, and refreshes it on a 401. */
async function loadMe(): Promise<void> {
  const me = element('me')
  try {
    const { status, data } = await proxy.http.get<{ user: string }>('/api/me', { validateStatus: () => true })
    me.textContent = status === 200 ? `Signed in as ${data.user}.` : `${status}: not signed in.`
    me.dataset.status = String(status)
  } catch {
    // Offline: the page itself still opens, from the precache.
    me.textContent = 'The API is unreachable.'
    me.dataset.status = 'offline'
  }
}

// The worker has `loginUrl`: it keeps the tokens of the login answer, and the page gets the rest.
element('login').addEventListener('click', async () => {
  await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'ada', password: 'demo' }),
  })
  await loadMe()
})
element('logout').addEventListener('click', () => void proxy.logout().then(loadMe))
element('load').addEventListener('click', () => void loadMe())
proxy.on('refresh', ({ reason }) => console.info(`sw-token-proxy refreshed the token (${reason})`))

const state = element('state')
state.textContent = 'ready: this page is controlled by /sw.js'
state.dataset.ready = 'true'
