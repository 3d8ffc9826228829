import { createHash } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { apiRoutes } from './api-routes.js'
import { AuthService } from './auth.js'
import { authRoutes } from './auth-routes.js'
import { exchange, type Route } from './exchange.js'
import { noFaults, type Faults } from './faults.js'
import { createFeed } from './feed.js'
import { fileRoute, type Deployment } from './files.js'
import { createDpopVerifier, type DpopVerifier } from './dpop.js'
import { createGates } from './gates.js'

export { REFRESH_FAILURES, type Faults, type RefreshFailure } from './faults.js'
export type { Deployment } from './files.js'

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
  /**
   * `'seed'`: the protocol of the classic interceptor blog post, and of many
   * hand-written servers: opaque access tokens, a login answer of `{ token,
   * refreshToken, expiresIn }`, a refresh answer of `{ token, refreshToken }`
   * that says nothing of the new token's expiry. `'snake'`: the names of
   * many servers of one's own, `{"refresh_token": …}` in, `{ access_token,
   * refresh_token, expires_in }` out, and a 400 `invalid_request` for a
   * refresh request without `refresh_token`. @default 'demo'
   */
  protocol?: 'demo' | 'seed' | 'snake'
  /**
   * DPoP (RFC 9449): login and refresh need a proof with the server's nonce
   * and bind the session to the proof's key; API requests with its tokens
   * need `Authorization: DPoP` and a proof of that key. @default false
   */
  dpop?: boolean
  /** The token service to trust, for a second server acting as an API on another origin. @default a new one */
  auth?: AuthService
  /**
   * More files to serve, by URL path, before the demo's own (benchmarks serve
   * their own workers, examples their builds). Read on every request: a test
   * may take a file out while the server runs.
   */
  files?: Record<string, string>
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
  /** The thumbprint of the DPoP key whose proof the server accepted, if one was. */
  dpop?: string
}

export interface DemoServer {
  url: string
  port: number
  auth: AuthService
  faults: Faults
  deployment: Deployment
  requests: RequestRecord[]
  /** Paths of requests as they arrive, before they are answered. */
  arrivals: string[]
  /** Resolves once `count` requests to `path` have arrived in all. */
  arrival(path: string, count?: number): Promise<void>
  /**
   * Holds the answers to `path` (the refresh endpoint, an API path, a file) until
   * the returned function is called: for steps ordered by events.
   */
  hold(path: string): () => void
  /** With `dpop`: the server's proof checks, whose nonce a test can change. */
  dpop: DpopVerifier | undefined
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

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => done(Buffer.concat(chunks)))
    req.on('error', fail)
  })
}

/**
 * The demo's auth server and API: login, refresh with rotation and reuse
 * detection, protected endpoints, and the demo app's pages. Every request is
 * recorded with the `Authorization` it carried.
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const protocol = options.protocol ?? 'demo'
  const auth = options.auth ?? new AuthService(options.accessTtlMs ?? 10_000, { opaque: protocol === 'seed' })
  const faults = noFaults()
  const deployment: Deployment = { workerBuild: 0 }
  const refreshMode = options.refreshMode ?? 'json'
  const requests: RequestRecord[] = []
  const files = options.files ?? {}
  const gates = createGates()
  const dpop = options.dpop ? createDpopVerifier() : undefined
  const feed = createFeed(auth, { dpop: !!dpop })
  let port = 0
  // In order: the first route that answers wins.
  const routes: Route[] = [
    authRoutes({ auth, faults, gates, refreshMode, protocol, dpop }),
    apiRoutes({ auth, faults, gates, port: () => port, cookieMode: refreshMode === 'cookie', dpop }),
    feed.route,
    fileRoute(files, deployment, gates),
  ]

  const mounts = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>()
  const record = (req: IncomingMessage, res: ServerResponse, url: URL, status: number, body: Buffer, proven?: string) => {
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      search: url.search,
      authorization: req.headers.authorization ?? null,
      status,
      bodySha256: body.length ? createHash('sha256').update(body).digest('hex') : '',
      contentType: req.headers['content-type'] ?? null,
      headers: req.headers,
      aborted: res.destroyed && !res.writableFinished,
      ...(proven ? { dpop: proven } : {}),
    })
    feed.add(requests)
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    gates.arrived(url.pathname)
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
        const x = exchange(req, res, url, body)
        let status: number | undefined
        for (const route of routes) if ((status = await route(x)) !== undefined) break
        record(req, res, url, status ?? 404, body, x.proven)
      })
      .catch((error: unknown) => {
        console.error(error)
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
  })
  // A port in use rejects here (callers that pick ports try another), instead of an uncaught 'error' event.
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail)
      done()
    })
  })
  port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    auth,
    faults,
    deployment,
    requests,
    arrivals: gates.arrivals,
    arrival: gates.arrival,
    hold: gates.hold,
    dpop,
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
