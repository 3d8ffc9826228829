import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import { createDpopVerifier, DpopRefusal } from '../demo/server/dpop.js'

/** What a resource server saw of one request, for the specs. */
export interface ResourceRequest {
  method: string
  path: string
  authorization: string | undefined
  /** The `aud` of the token it was sent, decoded without checking (undefined: not a JWT). */
  audience: unknown
  status: number
}

export interface ResourceServer {
  /** Its origin: another port on 127.0.0.1, so another origin than the app's. */
  origin: string
  /** The resource indicator it takes tokens for: its `aud`. */
  indicator: string
  requests: ResourceRequest[]
  /** Refuses every token it has seen so far, as if they had expired. */
  expireAll(): void
  close(): Promise<void>
}

/**
 * A protected resource on an origin of its own (RFC 8707 §1): it takes only
 * JWT access tokens the provider signed for its `aud`, checked with `jose`
 * against the provider's published keys, and refuses any other, a token of
 * another API first. A token bound to a DPoP key (`cnf.jkt`) needs the DPoP
 * scheme and a proof of that key with this server's nonce. Answers the app's
 * origin with CORS. `indicator` defaults to its origin.
 */
export async function startResourceServer({ issuer, appOrigin, indicator }: { issuer: string; appOrigin: string; indicator?: string }): Promise<ResourceServer> {
  const keys = createRemoteJWKSet(new URL(`${issuer}/jwks`))
  const proofs = createDpopVerifier()
  const requests: ResourceRequest[] = []
  const expired = new Set<string>()
  const http = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const audience = indicator ?? origin

  const cors = {
    'Access-Control-Allow-Origin': appOrigin,
    'Access-Control-Allow-Headers': 'Authorization, DPoP',
    'Access-Control-Expose-Headers': 'DPoP-Nonce, WWW-Authenticate',
    Vary: 'Origin',
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET, POST' })
      return void res.end()
    }
    const authorization = req.headers.authorization
    const [, scheme, token] = /^(Bearer|DPoP) (.+)$/.exec(authorization ?? '') ?? []
    let seen: unknown
    try {
      seen = token ? decodeJwt(token).aud : undefined
    } catch {}
    const answer = (status: number, body: object, headers: Record<string, string> = {}) => {
      requests.push({ method: req.method!, path: req.url!, authorization, audience: seen, status })
      res.writeHead(status, { ...cors, 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers })
      res.end(JSON.stringify(body))
    }
    const refuse = (error: string, description: string) =>
      answer(401, { error }, { 'WWW-Authenticate': `${scheme === 'DPoP' ? 'DPoP' : 'Bearer'} error="${error}", error_description="${description}"`, 'DPoP-Nonce': proofs.nonce })
    if (!token) return refuse('invalid_token', 'no token')
    let claims
    try {
      claims = (await jwtVerify(token, keys, { issuer, audience })).payload
    } catch (error) {
      return refuse('invalid_token', (error as Error).message)
    }
    if (expired.has(token)) return refuse('invalid_token', 'expired')
    const jkt = (claims.cnf as { jkt?: string } | undefined)?.jkt
    if (jkt) {
      if (scheme !== 'DPoP') return refuse('invalid_token', 'a DPoP-bound token needs the DPoP scheme')
      try {
        await proofs.check({ req, accessToken: token, boundTo: jkt })
      } catch (error) {
        if (!(error instanceof DpopRefusal)) throw error
        return refuse(error.code, error.description)
      }
    }
    answer(200, { sub: claims.sub, aud: claims.aud, path: req.url })
  }

  return {
    origin,
    indicator: audience,
    requests,
    expireAll() {
      for (const { authorization } of requests) if (authorization) expired.add(authorization.replace(/^\S+ /, ''))
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve())
        // The browser keeps its connections open (kept alive, or a request the test left behind): close waits for none.
        http.closeAllConnections()
      }),
  }
}
