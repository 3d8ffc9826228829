import { createHash } from 'node:crypto'
import type { AuthService } from './auth.js'
import { refreshCookie } from './auth-routes.js'
import { CORS, wait, type Route } from './exchange.js'
import type { Faults } from './faults.js'
import { DpopRefusal, type DpopVerifier } from './dpop.js'
import type { Gates } from './gates.js'

export interface ApiRoutesOptions {
  auth: AuthService
  faults: Faults
  gates: Gates
  port: () => number
  cookieMode: boolean
  /** With DPoP on: a token bound to a key needs `Authorization: DPoP` and a proof of that key, with `ath` and the nonce. */
  dpop?: DpopVerifier
}

/**
 * The protected API (`/api/…`, a valid Bearer token required) and the test
 * fixtures around it: `/apix` (a look-alike path, unprotected), `/api/redirect`
 * and CORS preflights.
 */
export function apiRoutes({ auth, faults, gates, port, cookieMode, dpop }: ApiRoutesOptions): Route {
  return async (x) => {
    const { path, req, res, url } = x
    if (req.method === 'OPTIONS' && (path.startsWith('/api') || path.startsWith('/apix'))) {
      res.writeHead(204, { ...CORS, 'Access-Control-Allow-Headers': 'Authorization, *', 'Access-Control-Allow-Methods': '*' })
      res.end()
      return 204
    }
    if (path === '/api/redirect') {
      // Sends the client on to `to`, a URL on this machine, with `status` (302 unless given):
      // for tests of where a token may follow.
      const to = new URL(url.searchParams.get('to') ?? '/', `http://127.0.0.1:${port()}`)
      const status = to.hostname === '127.0.0.1' ? Number(url.searchParams.get('status') ?? 302) : 400
      res.writeHead(status, status === 400 ? CORS : { Location: to.href, ...CORS })
      res.end()
      return status
    }
    if (path === '/apix' || path.startsWith('/apix/')) {
      return x.json(200, { path, authorization: req.headers.authorization ?? null }, CORS)
    }
    if (path !== '/api' && !path.startsWith('/api/')) return undefined

    if (faults.apiDown) {
      x.req.socket.destroy()
      return 0
    }
    await gates.pass(path)
    if (path === '/api/slow') await wait(Number(url.searchParams.get('ms') ?? 500))
    const identity = faults.rejectAllTokens ? undefined : auth.verify(req.headers.authorization)
    const [scheme, token] = (req.headers.authorization ?? '').split(' ')
    if (dpop) res.setHeader('DPoP-Nonce', dpop.nonce)
    const refuse = (challenge: string) => x.json(401, { error: 'invalid_token' }, { ...CORS, 'WWW-Authenticate': challenge })
    if (!identity) return refuse(dpop ? 'DPoP error="invalid_token", algs="ES256"' : 'Bearer error="invalid_token"')
    if (identity.jkt || scheme === 'DPoP') {
      // RFC 9449 §7: a bound token is sent as DPoP, with a proof of its key; Bearer is refused.
      if (!dpop || scheme !== 'DPoP' || !identity.jkt) return refuse('DPoP error="invalid_token", error_description="a DPoP-bound token needs the DPoP scheme and a proof"')
      try {
        x.proven = await dpop.check({ req, accessToken: token, boundTo: identity.jkt })
      } catch (error) {
        if (!(error instanceof DpopRefusal)) throw error
        return refuse(`DPoP error="${error.code}", error_description="${error.description}", algs="ES256"`)
      }
    }
    // For the demo's countdown: when the token this request carried expires. Never the token itself.
    res.setHeader('X-Demo-Token-Expires-At', String(auth.expiryOf(req.headers.authorization)))
    res.setHeader('Access-Control-Expose-Headers', 'X-Demo-Token-Expires-At')
    switch (path) {
      case '/api/auth/logout':
        auth.endSession(identity.sid)
        return x.json(200, { ok: true }, cookieMode ? { 'Set-Cookie': refreshCookie('', 0) } : {})
      case '/api/me':
        return x.json(200, identity, CORS)
      case '/api/events': {
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
      case '/api/echo':
      case '/api/slow':
        return x.json(200, {
          method: req.method,
          contentType: req.headers['content-type'] ?? null,
          bytes: x.body.length,
          sha256: x.body.length ? createHash('sha256').update(x.body).digest('hex') : '',
        }, CORS)
      case '/api/items':
        return x.json(200, [{ id: 1, name: 'tea' }, { id: 2, name: 'scones' }, { id: 3, name: 'jam' }])
      default:
        return x.json(404, { error: 'not_found' })
    }
  }
}
