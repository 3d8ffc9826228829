import { register } from './config.js'

const $ = (id: string) => document.getElementById(id)!
const proxy = await register()

function record(client: string, request: string, status: number | string, started: number) {
  const row = document.createElement('tr')
  const ok = typeof status === 'number' && status < 400
  for (const [text, cls] of [
    [new Date().toLocaleTimeString(), 'muted'],
    [client, ''],
    [request, ''],
    [String(status), ok ? 'ok' : 'bad'],
    [String(Math.round(performance.now() - started)), 'muted'],
  ]) {
    const cell = row.insertCell()
    cell.textContent = text!
    cell.className = cls!
  }
  $('log').prepend(row)
}

async function viaAxios(method: 'get' | 'post', url: string, data?: unknown) {
  const started = performance.now()
  try {
    const response = await proxy.http.request({ method, url, data, validateStatus: () => true })
    record('axios', `${method.toUpperCase()} ${url}`, response.status, started)
    return response.status
  } catch (error) {
    record('axios', `${method.toUpperCase()} ${url}`, String(error), started)
  }
}

async function viaFetch(method: string, url: string, body?: BodyInit) {
  const started = performance.now()
  try {
    const response = await fetch(url, { method, body })
    record('fetch', `${method} ${url}`, response.status, started)
    return response.status
  } catch (error) {
    record('fetch', `${method} ${url}`, String(error), started)
  }
}

async function refreshStats() {
  const stats = (await (await fetch('/__demo/stats')).json()) as Record<string, number>
  $('s-refreshes').textContent = String(stats.refreshes)
  $('s-reuse').textContent = String(stats.reuseDetections)
  $('ttl').textContent = `${stats.accessTtlMs! / 1000} s`
}

let refreshEvents = 0
proxy.on('refresh', ({ reason }) => {
  $('s-events').textContent = String(++refreshEvents)
  const why = reason === 'expiry' ? 'ahead of expiry' : 'after a 401'
  record('worker', `tokens refreshed ${why}`, 'done', performance.now())
  void refreshStats()
})

$('axios').onclick = () => viaAxios('get', '/api/items')
$('fetch').onclick = () => viaFetch('GET', '/api/me')
$('post').onclick = () => viaFetch('POST', '/api/echo', JSON.stringify({ hello: 'world' }))
$('burst').onclick = () => {
  for (let i = 0; i < 10; i++) void viaAxios('get', '/api/items')
  for (let i = 0; i < 10; i++) void viaFetch('GET', '/api/me')
}
$('expire').onclick = async () => {
  await fetch('/__demo/expire', { method: 'POST' })
  record('demo', 'every access token expired at the server', 'done', performance.now())
}
$('revoke').onclick = async () => {
  await fetch('/__demo/revoke', { method: 'POST' })
  record('demo', 'session ended at the server; the next refresh is rejected', 'done', performance.now())
}
$('logout').onclick = () => proxy.logout()

const me = await fetch('/api/me')
if (me.status === 401) {
  location.assign('/login?next=/')
} else {
  $('user').textContent = ((await me.json()) as { user: string }).user
  await refreshStats()
  setInterval(refreshStats, 2000)
}
