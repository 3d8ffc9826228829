import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve } from 'node:path'
import { AuthService, type TokenSet } from './auth.js'

const ROOT = resolve(import.meta.dirname, '../..')

export interface DemoServerOptions {
  /** @default 0 (any free port) */
  port?: number
  /** Lifetime of access tokens in milliseconds. @default 10000 */
  accessTtlMs?: number
  /**
   * Where the refresh token travels. `'json'`: in the login and refresh
   * bodies. `'cookie'`: only in an HttpOnly, SameSite=Strict cookie scoped to
   * `/api/auth`, never in a body. @default 'json'
   */
  refreshMode?: 'json' | 'cookie'
  /** The token service to trust, for a second server acting as an API on another origin. @default a new one */
  auth?: AuthService
  /**
   * More files to serve, by URL path, before the demo's own (benchmarks serve
   * their own workers, examples their builds). Read on every request: a test
   * may take a file out while the server runs.
   */
  files?: Record<string, string>
}

/** What the server does that tests can change while it runs. */
export interface Deployment {
  /** Appended to `/sw.js` as a comment: change it to deploy a new worker version. */
  workerBuild: number
}

/** One request as the server saw it: what tests assert on. */
export interface RequestRecord {
  method: string
  path: string
  /** The query string, `?` included, or `''`. */
  search: string
  authorization: string | null
  status: number
  /** SHA-256 (hex) of the request body, `''` when there was none. */
  bodySha256: string
  contentType: string | null
  headers: IncomingHttpHeaders
  /** The client went away before the answer was written (an aborted fetch, a stopped worker). */
  aborted: boolean
}

/** Switches that make the server misbehave on purpose, for tests and the demo. */
export interface Faults {
  /** Milliseconds the refresh endpoint waits before answering. */
  refreshDelayMs: number
  /** Every protected API request gets a 401, valid token or not. */
  rejectAllTokens: boolean
  /**
   * How the refresh endpoint fails, if it does: `network` drops the
   * connection, `500`/`503` answer that status, `400` answers
   * `invalid_request` (not `invalid_grant`), `html`, `empty`, `truncated`
   * and `no-token` answer 200 with a body that is not a token, `bad-token`
   * answers 200 with an access token no header can carry, `hang` never
   * answers, `redirect` answers 307 to `refreshRedirectTo` (token endpoints
   * do not redirect: a client that follows re-posts the refresh token there).
   * None of these may end a session (B8).
   */
  refreshFailure: RefreshFailure | null
  /** Where the `redirect` failure sends the refresh request. @default '/moved' on this server */
  refreshRedirectTo: string
  /** Decides per refresh call (numbered from 1) whether it fails, and how; for seeded random failures. */
  refreshFailureFor: ((call: number) => RefreshFailure | null) | null
}

export const REFRESH_FAILURES = ['network', '500', '503', '400', 'html', 'empty', 'truncated', 'no-token', 'bad-token', 'hang', 'redirect'] as const
export type RefreshFailure = (typeof REFRESH_FAILURES)[number]

export interface DemoServer {
  url: string
  port: number
  auth: AuthService
  faults: Faults
  deployment: Deployment
  requests: RequestRecord[]
  /** Paths of requests as they arrive, before they are answered. */
  arrivals: string[]
  /** Files served by URL path, before the demo's own: add to it while the server runs. */
  files: Record<string, string>
  /** Records for one path (query string left out). */
  requestsTo(path: string): RequestRecord[]
  /**
   * Hands every request under `prefix` (a path such as `/oidc`) to `handler`
   * with the prefix taken off its URL (`originalUrl` keeps it), body unread: for another server, such
   * as an OAuth 2.0 provider, on this origin. Recorded like the others, body
   * hash left empty.
   */
  mount(prefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void
  close(): Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** Pages of the demo app by path; everything else under /assets/ is a built asset. */
const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/login': 'login.html',
  '/console': 'console.html',
  '/console.html': 'console.html',
  // Two more pages, for tests that need two worker registrations (scopes) on one origin.
  '/twin/a': 'console.html',
  '/twin/b': 'console.html',
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => done(Buffer.concat(chunks)))
    req.on('error', fail)
  })
}

const wait = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Answers the refresh endpoint the way `failure` says; returns the status recorded. */
async function fail(res: ServerResponse, failure: RefreshFailure, faults: Faults): Promise<number> {
  const send = (status: number, type: string, body: string) => {
    res.writeHead(status, { 'Content-Type': type })
    res.end(body)
    return status
  }
  switch (failure) {
    case 'network':
      res.socket?.destroy()
      return 0
    case '500':
    case '503':
      return send(Number(failure), 'application/json', '{"error":"server_error"}')
    case '400':
      // A 400 that is not invalid_grant says nothing about the session.
      return send(400, 'application/json', '{"error":"invalid_request"}')
    case 'html':
      return send(200, 'text/html', '<!doctype html><title>Maintenance</title>')
    case 'empty':
      return send(200, 'application/json', '')
    case 'truncated':
      return send(200, 'application/json', '{"accessToken":"eyJhbGciOi')
    case 'no-token':
      return send(200, 'application/json', '{"ok":true}')
    case 'bad-token':
      return send(200, 'application/json', JSON.stringify({ accessToken: 'a\r\nX-Injected: 1', refreshToken: 'r', expiresIn: 60 }))
    case 'redirect':
      res.writeHead(307, { Location: faults.refreshRedirectTo })
      res.end()
      return 307
    case 'hang':
      await new Promise<void>((done) => res.on('close', done))
      return 0
  }
}

const REFRESH_COOKIE = 'refresh_token'

/**
 * The refresh cookie: HttpOnly (no script reads it), Secure (browsers accept
 * it on http://127.0.0.1 and localhost, which count as secure contexts),
 * SameSite=Strict, sent only to /api/auth.
 */
function refreshCookie(value: string, maxAge: number): string {
  return `${REFRESH_COOKIE}=${value}; HttpOnly; Secure; SameSite=Strict; Path=/api/auth; Max-Age=${maxAge}`
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(/;\s*/)) {
    const at = pair.indexOf('=')
    if (pair.slice(0, at) === name) return pair.slice(at + 1)
  }
  return undefined
}

/**
 * The demo's auth server and API: login, refresh with rotation and reuse
 * detection, protected endpoints, and the demo app's pages. Every request is
 * recorded with the `Authorization` it carried.
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const auth = options.auth ?? new AuthService(options.accessTtlMs ?? 10_000)
  const faults: Faults = { refreshDelayMs: 0, rejectAllTokens: false, refreshFailure: null, refreshFailureFor: null, refreshRedirectTo: '/moved' }
  let refreshCalls = 0
  const deployment: Deployment = { workerBuild: 0 }
  const cookieMode = options.refreshMode === 'cookie'
  const requests: RequestRecord[] = []
  const arrivals: string[] = []
  const files = options.files ?? {}

  async function route(req: IncomingMessage, res: ServerResponse, body: Buffer, url: URL): Promise<number> {
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers })
      res.end(JSON.stringify(value))
      return status
    }
    const input = (): Record<string, unknown> => {
      try {
        return JSON.parse(body.toString() || '{}') as Record<string, unknown>
      } catch {
        return {}
      }
    }
    // Routed as Express does by default (case-insensitive, trailing slash optional),
    // repeated slashes merged as nginx does: `/API//auth/login/` is the login endpoint.
    const path = url.pathname.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1').toLowerCase()
    const cors = { 'Access-Control-Allow-Origin': '*' }
    /** Login and refresh answers: in cookie mode the refresh token goes only into the cookie. */
    const issue = ({ refreshToken, ...rest }: Partial<TokenSet>, extra: object = {}) =>
      cookieMode && refreshToken
        ? json(200, { ...rest, ...extra }, { 'Set-Cookie': refreshCookie(refreshToken, 30 * 24 * 3600) })
        : json(200, { ...rest, ...(refreshToken ? { refreshToken } : {}), ...extra })

    if (req.method === 'OPTIONS' && (path.startsWith('/api') || path.startsWith('/apix'))) {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Headers': 'Authorization, *', 'Access-Control-Allow-Methods': '*' })
      res.end()
      return 204
    }
    if (path === '/api/auth/login' && req.method === 'POST') {
      const { username, password, remember } = input()
      if (typeof username !== 'string' || username === '' || password !== 'demo') {
        return json(401, { error: 'invalid_credentials', message: "Any user name, password 'demo'." })
      }
      // `remember: false` ("keep me signed in" unticked): an access token only, no refresh token.
      return issue(remember === false ? auth.loginWithoutRefresh(username) : auth.login(username), { user: username })
    }
    if (path === '/api/auth/refresh' && req.method === 'POST') {
      if (faults.refreshDelayMs) await wait(faults.refreshDelayMs)
      const failure = faults.refreshFailure ?? faults.refreshFailureFor?.(++refreshCalls)
      if (failure) return fail(res, failure, faults)
      // A client that went away (a stopped worker) could never store new tokens:
      // rotating now would spend its refresh token for nothing. Keep it valid.
      if (req.socket.destroyed) return 499
      const presented = cookieMode ? readCookie(req, REFRESH_COOKIE) : input().refreshToken
      const tokens = auth.rotate(presented)
      return tokens ? issue(tokens) : json(400, { error: 'invalid_grant' }, cookieMode ? { 'Set-Cookie': refreshCookie('', 0) } : {})
    }
    if (path === '/api/redirect') {
      // Sends the client on to `to`, a URL on this machine, with `status` (302 unless given):
      // for tests of where a token may follow.
      const to = new URL(url.searchParams.get('to') ?? '/', `http://127.0.0.1:${port}`)
      const status = to.hostname === '127.0.0.1' ? Number(url.searchParams.get('status') ?? 302) : 400
      res.writeHead(status, status === 400 ? cors : { Location: to.href, ...cors })
      res.end()
      return status
    }
    if (path === '/apix' || path.startsWith('/apix/')) {
      return json(200, { path, authorization: req.headers.authorization ?? null }, cors)
    }
    if (path === '/api' || path.startsWith('/api/')) {
      if (path === '/api/slow') await wait(Number(url.searchParams.get('ms') ?? 500))
      const identity = faults.rejectAllTokens ? undefined : auth.verify(req.headers.authorization)
      if (!identity) {
        return json(401, { error: 'invalid_token' }, { ...cors, 'WWW-Authenticate': 'Bearer error="invalid_token"' })
      }
      // For the demo's countdown: when the token this request carried expires. Never the token itself.
      res.setHeader('X-Demo-Token-Expires-At', String(auth.expiryOf(req.headers.authorization)))
      res.setHeader('Access-Control-Expose-Headers', 'X-Demo-Token-Expires-At')
      if (path === '/api/auth/logout') {
        auth.endSession(identity.sid)
        return json(200, { ok: true }, cookieMode ? { 'Set-Cookie': refreshCookie('', 0) } : {})
      }
      if (path === '/api/me') return json(200, identity, cors)
      if (path === '/api/events') {
        // Server-sent events: one event naming the user, then the stream stays
        // open, as a live feed's would, until the client goes away; or, with
        // `?reconnect=ms`, it ends and the browser reconnects after `ms`.
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' })
        res.write(`data: ${identity.user}\n\n`)
        const reconnect = url.searchParams.get('reconnect')
        if (reconnect) res.end(`retry: ${Number(reconnect)}\n\n`)
        // Recorded once it is over, so the record tells whether the client left (`aborted`).
        await new Promise<void>((done) => (res.closed ? done() : res.on('close', done)))
        return 200
      }
      if (path === '/api/echo' || path === '/api/slow') {
        return json(200, {
          method: req.method,
          contentType: req.headers['content-type'] ?? null,
          bytes: body.length,
          sha256: body.length ? createHash('sha256').update(body).digest('hex') : '',
        }, cors)
      }
      if (path === '/api/items') {
        return json(200, [{ id: 1, name: 'tea' }, { id: 2, name: 'scones' }, { id: 3, name: 'jam' }])
      }
      return json(404, { error: 'not_found' })
    }
    if (path === '/__demo/stats') return json(200, { ...auth.stats, accessTtlMs: auth.accessTtlMs })
    if (path === '/__demo/feed') {
      // What the server saw, live, for the demo page: every API request of every tab as it is answered.
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' })
      for (const event of wire.slice(-50)) res.write(`data: ${JSON.stringify(event)}\n\n`)
      watchers.add(res)
      await new Promise<void>((done) => (res.closed ? done() : res.on('close', done)))
      watchers.delete(res)
      return 200
    }
    if (path === '/__demo/expire' && req.method === 'POST') {
      auth.expireAccessTokens()
      return json(200, { ok: true })
    }
    if (path === '/__demo/revoke' && req.method === 'POST') {
      auth.revokeSessions()
      return json(200, { ok: true })
    }
    const extra = files[url.pathname]
    if (extra) {
      res.writeHead(200, { 'Content-Type': TYPES[extname(extra)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' })
      res.end(await readFile(extra))
      return 200
    }
    return serveFile(res, url.pathname, deployment)
  }

  const mounts = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>()
  const wire: WireEvent[] = []
  const watchers = new Set<ServerResponse>()
  const record = (req: IncomingMessage, res: ServerResponse, url: URL, status: number, body: Buffer) => {
    const entry = requests[requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      search: url.search,
      authorization: req.headers.authorization ?? null,
      status,
      bodySha256: body.length ? createHash('sha256').update(body).digest('hex') : '',
      contentType: req.headers['content-type'] ?? null,
      headers: req.headers,
      aborted: res.destroyed && !res.writableFinished,
    }) - 1]!
    if (!entry.path.startsWith('/api/')) return
    const event = describeOnWire(entry, requests, auth)
    wire.push(event)
    if (wire.length > 200) wire.shift()
    for (const watcher of watchers) watcher.write(`data: ${JSON.stringify(event)}\n\n`)
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    arrivals.push(url.pathname)
    for (const [prefix, handler] of mounts) {
      if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) continue
      res.on('close', () => record(req, res, url, res.statusCode, Buffer.alloc(0)))
      // As Express mounts apps: the handler sees its own path, and `originalUrl` keeps the whole one.
      Object.assign(req, { originalUrl: req.url })
      req.url = req.url!.slice(prefix.length) || '/'
      return handler(req, res)
    }
    readBody(req)
      .then(async (body) => {
        record(req, res, url, await route(req, res, body, url), body)
      })
      .catch((error: unknown) => {
        console.error(error)
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
  })
  await new Promise<void>((done) => server.listen(options.port ?? 0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    auth,
    faults,
    deployment,
    requests,
    arrivals,
    files,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    mount: (prefix, handler) => void mounts.set(prefix, handler),
    close: () =>
      new Promise((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

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
  const at = Date.now()
  const { method, path, status } = entry
  const base = { at, method, path: path + entry.search, status }
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

async function serveFile(res: ServerResponse, path: string, deployment: Deployment): Promise<number> {
  const file =
    path === '/sw.js'
      ? join(ROOT, 'dist/sw.js')
      : PAGES[path]
        ? join(ROOT, 'demo/dist', PAGES[path])
        : path.startsWith('/assets/')
          ? join(ROOT, 'demo/dist', normalize(path))
          : undefined
  try {
    if (!file) throw new Error('not found')
    let content = await readFile(file)
    if (path === '/sw.js' && deployment.workerBuild) {
      content = Buffer.concat([content, Buffer.from(`\n// build ${deployment.workerBuild}\n`)])
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' })
    res.end(content)
    return 200
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' })
    res.end(file?.endsWith('sw.js') || PAGES[path] ? `${path} is not built: run npm run build:all` : 'Not found')
    return 404
  }
}
