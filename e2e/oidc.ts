import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import Provider from 'oidc-provider'
import type { DemoServer } from '../demo/server/app.js'

export const CLIENT_ID = 'spa'

/** A PKCE pair (RFC 7636, S256), as a public client makes one per login. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export interface Oidc {
  provider: Provider
  /** A session as a finished login leaves it, without the browser: a grant and its first refresh token, made in-process, exchanged once at the token endpoint. */
  login(accountId: string): Promise<{ accessToken: string; refreshToken: string; grantId: string }>
  /** Ends an access token at the provider now (what expiry does). */
  expire(accessToken: string): Promise<void>
}

/**
 * A real OpenID Connect provider (`oidc-provider`, certified) on the demo
 * server's origin under `/oidc`, with a public client that rotates refresh
 * tokens, and a protected resource at `/api/oidc/me` that checks access
 * tokens against it.
 */
export async function startOidc(server: DemoServer): Promise<Oidc> {
  const provider = new Provider(`${server.url}/oidc`, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${server.url}/callback`],
      },
    ],
    scopes: ['openid', 'offline_access', 'api'],
    // Public clients get a new refresh token on every use; a spent one revokes the grant.
    rotateRefreshToken: true,
    issueRefreshToken: async () => true,
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // Its built-in login and consent pages (any login, any password): the browser logs in for real.
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['sw-token-proxy e2e'] },
    jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })] },
    ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 86_400, Grant: 86_400 },
    // Browsers send Origin with every POST, same-origin ones included.
    clientBasedCORS: (_ctx, origin) => origin === server.url,
  })
  provider.on('server_error', (_ctx, error) => console.error(error))
  const callback = provider.callback()
  server.mount('/oidc', callback)
  server.mount('/api/oidc', (req, res) => void resource(provider, req, res))

  return {
    provider,
    async login(accountId) {
      const grant = new provider.Grant({ accountId, clientId: CLIENT_ID })
      grant.addOIDCScope('openid offline_access')
      const grantId = await grant.save()
      const client = await provider.Client.find(CLIENT_ID)
      if (!client) throw new Error(`no client ${CLIENT_ID}`)
      const first = await new provider.RefreshToken({ accountId, client, grantId, gty: 'authorization_code', scope: 'openid offline_access' }).save()
      const response = await fetch(`${server.url}/oidc/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first, client_id: CLIENT_ID }),
      })
      const body = (await response.json()) as { access_token: string; refresh_token: string }
      if (!response.ok) throw new Error(`login at the provider failed: ${JSON.stringify(body)}`)
      return { accessToken: body.access_token, refreshToken: body.refresh_token, grantId }
    },
    async expire(accessToken) {
      await (await provider.AccessToken.find(accessToken))?.destroy()
    },
  }
}

/** `/api/oidc/me`: the resource server, answering for valid access tokens of the provider only. */
async function resource(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
  const found = token ? await provider.AccessToken.find(token) : undefined
  if (!found || found.isExpired) {
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer error="invalid_token"', 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ error: 'invalid_token' }))
    return
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify({ sub: found.accountId, path: req.url }))
}
