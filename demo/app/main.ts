import { loginRedirect } from '../../client/index.js'
import { registerForServer } from './config.js'

const $ = (id: string) => document.getElementById(id)!
const time = (at = Date.now()) => new Date(at).toLocaleTimeString([], { hour12: false })

function row(table: string, cells: [string, string][]) {
  const tr = document.createElement('tr')
  for (const [text, cls] of cells) {
    const cell = tr.insertCell()
    cell.textContent = text
    cell.className = cls
  }
  const body = $(table) as HTMLTableSectionElement
  body.prepend(tr)
  while (body.rows.length > 200) body.deleteRow(-1)
}

function record(who: string, what: string, status: number | string, started?: number) {
  const ok = typeof status === 'number' ? status < 400 : status === 'done'
  row('log', [
    [time(), 'muted'],
    [who, ''],
    [what, ''],
    [String(status), ok ? 'ok' : 'bad'],
    [started === undefined ? '' : String(Math.round(performance.now() - started)), 'muted'],
  ])
}

// On LOGOUT the page goes to the login page; first it shows why, for a moment.
const proxy = await registerForServer({
  onLogout({ reason }) {
    record('worker', reason === 'logout' ? 'LOGOUT: logged out' : 'LOGOUT: the server ended the session', 'done')
    setTimeout(() => location.assign(loginRedirect('/login', location)), 1_500)
  },
})

/** The expiry of the access token the server last saw from this tab, from the demo's response header. */
let expiresAt: number | undefined
function sawExpiry(header: string | null | undefined) {
  const at = Number(header)
  if (at > 0) expiresAt = at
}
setInterval(() => {
  if (expiresAt === undefined) return
  const left = (expiresAt - Date.now()) / 1000
  $('expiry').textContent = left > 0 ? `expires in ${left.toFixed(1)} s` : `expired ${(-left).toFixed(1)} s ago`
}, 200)

async function viaAxios(url: string) {
  const started = performance.now()
  try {
    const response = await proxy.http.get(url, { validateStatus: () => true })
    sawExpiry(response.headers['x-demo-token-expires-at'] as string | undefined)
    record('axios', `GET ${url}`, response.status, started)
  } catch (error) {
    record('axios', `GET ${url}`, String(error), started)
  }
}

async function viaFetch(method: string, url: string, body?: BodyInit) {
  const started = performance.now()
  try {
    const response = await fetch(url, { method, body })
    sawExpiry(response.headers.get('X-Demo-Token-Expires-At'))
    record('fetch', `${method} ${url}`, response.status, started)
    return response
  } catch (error) {
    record('fetch', `${method} ${url}`, String(error), started)
  }
}

async function refreshStats() {
  const stats = (await (await fetch('/__demo/stats')).json()) as { refreshes: number; reuseDetections: number; accessTtlMs: number; dpop: boolean }
  $('s-refreshes').textContent = String(stats.refreshes)
  $('s-reuse').textContent = String(stats.reuseDetections)
  $('ttl').textContent = `${stats.accessTtlMs! / 1000} s`
  $('dpop').hidden = !stats.dpop
}

let refreshEvents = 0
proxy.on('refresh', ({ reason }) => {
  $('s-events').textContent = String(++refreshEvents)
  record('worker', `tokens refreshed ${reason === 'expiry' ? 'ahead of expiry' : 'after a 401'}`, 'done')
  void refreshStats()
})

// The server's view, live, of every tab: the token's story (401s, refreshes, replays,
// logins and logouts) row by row; the requests that simply carried a valid token, counted.
let plain = 0
const feed = new EventSource('/__demo/feed')
feed.onmessage = ({ data }) => {
  const event = JSON.parse(data as string) as { at: number; method: string; path: string; status: number; note: string }
  if (!event.note) {
    $('plain').textContent = String(++plain)
    return
  }
  row('wire', [
    [time(event.at), 'muted'],
    [`${event.method} ${event.path}`, ''],
    [String(event.status), event.status < 400 ? 'ok' : 'bad'],
    [event.note, 'note'],
  ])
}

$('axios').onclick = () => viaAxios('/api/items')
$('fetch').onclick = () => viaFetch('GET', '/api/me')
$('post').onclick = () => viaFetch('POST', '/api/echo', JSON.stringify({ hello: 'world' }))
let bursts = 0
$('burst').onclick = () => {
  // Distinct URLs: the browser's HTTP cache would send identical GETs one at a time.
  const burst = ++bursts
  for (let i = 0; i < 25; i++) void viaAxios(`/api/items?burst=${burst}&i=${i}`)
  for (let i = 0; i < 25; i++) void viaFetch('GET', `/api/me?burst=${burst}&i=${i}`)
}
$('expire').onclick = async () => {
  await fetch('/__demo/expire', { method: 'POST' })
  record('demo', 'every access token expired at the server', 'done')
}
$('revoke').onclick = async () => {
  await fetch('/__demo/revoke', { method: 'POST' })
  record('demo', 'session ended at the server; the next refresh is rejected', 'done')
}
$('logout').onclick = () => proxy.logout()

const me = await viaFetch('GET', '/api/me')
if (me?.status === 401) {
  location.assign('/login?next=/')
} else if (me) {
  $('user').textContent = ((await me.json()) as { user: string }).user
  await refreshStats()
  setInterval(refreshStats, 2000)
}
