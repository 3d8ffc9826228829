import type { ServerResponse } from 'node:http'
import type { AuthService } from './auth.js'
import type { Route } from './exchange.js'
import type { RequestRecord } from './app.js'

/** One API request as the demo's live log shows it. */
export interface WireEvent {
  at: number
  method: string
  path: string
  status: number
  /** What it means, when the request is part of the token story: a 401, a refresh, a replay. */
  note: string
}

/**
 * Names what a request was: a refresh (rotated, or rejected and why), a 401,
 * or a replay (a request that got a 401 among the last 400, sent again, same
 * method, URL and body, with another token: what the worker does after a
 * refresh).
 */
function describeOnWire(entry: RequestRecord, all: readonly RequestRecord[], auth: AuthService): WireEvent {
  const event = describeStory(entry, all, auth)
  // With DPoP: the key every accepted proof was signed with (its thumbprint, shortened).
  return entry.dpop ? { ...event, note: [event.note, `DPoP proof, key ${entry.dpop.slice(0, 8)}…`].filter(Boolean).join(' · ') } : event
}

function describeStory(entry: RequestRecord, all: readonly RequestRecord[], auth: AuthService): WireEvent {
  const { method, path, status } = entry
  const base = { at: Date.now(), method, path: path + entry.search, status }
  if (path === '/api/auth/refresh') {
    if (status === 200) return { ...base, note: 'refresh: both tokens rotated' }
    return { ...base, note: auth.stats.reuseDetections ? 'refresh rejected: session ended' : 'refresh rejected' }
  }
  if (path === '/api/auth/login') return { ...base, note: status === 200 ? 'login: the worker keeps the tokens' : 'login failed' }
  if (path === '/api/auth/logout') return { ...base, note: 'logout: session ended' }
  if (status === 401) return { ...base, note: entry.authorization ? 'token expired or revoked' : 'no token' }
  let replay = false
  for (let i = all.length - 2; i >= Math.max(0, all.length - 400) && !replay; i--) {
    const r = all[i]!
    replay = r.status === 401 && r.method === method && r.path === path && r.search === entry.search && r.bodySha256 === entry.bodySha256 && r.authorization !== entry.authorization
  }
  return { ...base, note: replay ? 'replayed with the new token' : '' }
}

/**
 * What the server saw, live, for the demo page (`/__demo/feed`, server-sent
 * events), and the demo's buttons: `/__demo/stats`, `/__demo/expire` (every
 * access token stops working), `/__demo/revoke` (every session ends).
 */
export function createFeed(auth: AuthService, { dpop = false } = {}) {
  const wire: WireEvent[] = []
  const watchers = new Set<ServerResponse>()

  const route: Route = async (x) => {
    if (x.path === '/__demo/stats') return x.json(200, { ...auth.stats, accessTtlMs: auth.accessTtlMs, dpop })
    if (x.path === '/__demo/expire' && x.req.method === 'POST') {
      auth.expireAccessTokens()
      return x.json(200, { ok: true })
    }
    if (x.path === '/__demo/revoke' && x.req.method === 'POST') {
      auth.revokeSessions()
      return x.json(200, { ok: true })
    }
    if (x.path !== '/__demo/feed') return undefined
    const { res } = x
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' })
    for (const event of wire.slice(-50)) res.write(`data: ${JSON.stringify(event)}\n\n`)
    watchers.add(res)
    await new Promise<void>((done) => (res.closed ? done() : res.on('close', done)))
    watchers.delete(res)
    return 200
  }

  return {
    route,
    /** Adds the request just recorded (the last of `all`) to the feed, if it is an API request. */
    add(all: readonly RequestRecord[]): void {
      const entry = all.at(-1)!
      if (!entry.path.startsWith('/api/')) return
      const event = describeOnWire(entry, all, auth)
      wire.push(event)
      if (wire.length > 200) wire.shift()
      for (const watcher of watchers) watcher.write(`data: ${JSON.stringify(event)}\n\n`)
    },
  }
}
