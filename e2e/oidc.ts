import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Page } from '@playwright/test'
import Provider, { errors as providerErrors } from 'oidc-provider'
import type { DemoServer } from '../demo/server/app.js'
import { lacks } from './engines/limits.js'
import { createDpopVerifier, DpopRefusal, type DpopVerifier } from '../demo/server/dpop.js'

export const CLIENT_ID = 'spa'

/** A PKCE pair (RFC 7636, S256), as a public client makes one per login. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export interface Oidc {
  provider: Provider
  /**
   * A session as a finished login leaves it, without the browser: a grant and its first refresh token, made in-process,
   * exchanged once at the token endpoint. With `resources`, the grant covers those resource indicators (scope `api`).
   */
  login(accountId: string, options?: { resources?: readonly string[] }): Promise<{ accessToken: string; refreshToken: string; grantId: string }>
  /** Refresh tokens presented again after they were spent: each revoked its grant. */
  readonly reuse: number
  /** Ends an access token at the provider now (what expiry does). */
  expire(accessToken: string): Promise<void>
}

/**
 * A real OpenID Connect provider (`oidc-provider`, certified) on the demo
 * server's origin under `/oidc`, with a public client that rotates refresh
 * tokens, and a protected resource at `/api/oidc/me` that checks access
 * tokens against it. With `dpop`, the provider's own DPoP (RFC 9449) is on
 * with nonces required and the client's tokens must be bound; the resource
 * then takes a bound token only with a proof of its key (and a nonce of its
 * own).
 */
export interface OidcOptions {
  dpop?: boolean
  /**
   * Resource indicators (RFC 8707) the provider mints JWT access tokens for,
   * each with its own `aud` and the scope `api`; any other is `invalid_target`.
   */
  resources?: readonly string[]
  /**
   * With `resources`: whether a refresh token grant that names a resource the
   * grant does not cover spends the refresh token before it answers
   * `invalid_target`, as oidc-provider 9 does when it rotates (the rotation
   * runs before the resource is checked). False rotates only once the
   * resource is known to be granted, as the README advises. @default true
   */
  spendOnRefusal?: boolean
}

export async function startOidc(server: DemoServer, { dpop = false, resources, spendOnRefusal = true }: OidcOptions = {}): Promise<Oidc> {
  const provider = new Provider(`${server.url}/oidc`, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${server.url}/callback`],
        ...(dpop ? { dpop_bound_access_tokens: true } : {}),
      },
    ],
    scopes: ['openid', 'offline_access', 'api'],
    // Public clients get a new refresh token on every use; a spent one revokes the grant.
    rotateRefreshToken:
      resources && !spendOnRefusal
        ? (ctx) => {
            const resource = ctx.oidc.params?.resource
            return typeof resource !== 'string' || (ctx.oidc.entities.RefreshToken?.resourceIndicators.has(resource) ?? false)
          }
        : true,
    issueRefreshToken: async () => true,
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // Its built-in login and consent pages (any login, any password): the browser logs in for real.
    features: {
      devInteractions: { enabled: true },
      dPoP: dpop ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } : { enabled: false },
      resourceIndicators: resources
        ? {
            enabled: true,
            // The login's own token (no resource asked for) stays the provider's opaque one, for /api/oidc/me.
            defaultResource: async () => undefined,
            getResourceServerInfo: async (_ctx, indicator) => {
              if (!resources.includes(indicator)) throw new providerErrors.InvalidTarget()
              return { scope: 'api', audience: indicator, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }
            },
          }
        : { enabled: false },
    },
    cookies: { keys: ['sw-token-proxy e2e'] },
    jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })] },
    ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 86_400, Grant: 86_400 },
    // Browsers send Origin with every POST, same-origin ones included.
    clientBasedCORS: (_ctx, origin) => origin === server.url,
  })
  provider.on('server_error', (_ctx, error) => console.error(error))
  let reuse = 0
  provider.on('grant.error', (_ctx, error) => {
    if ((error as { error_detail?: string }).error_detail === 'refresh token already used') reuse++
  })
  const callback = provider.callback()
  server.mount('/oidc', callback)
  const proofs = dpop ? createDpopVerifier() : undefined
  server.mount('/api/oidc', (req, res) => void resource(provider, req, res, proofs))

  return {
    provider,
    get reuse() {
      return reuse
    },
    async login(accountId, { resources: granted = [] } = {}) {
      const grant = new provider.Grant({ accountId, clientId: CLIENT_ID })
      grant.addOIDCScope('openid offline_access')
      for (const indicator of granted) grant.addResourceScope(indicator, 'api')
      const grantId = await grant.save()
      const client = await provider.Client.find(CLIENT_ID)
      if (!client) throw new Error(`no client ${CLIENT_ID}`)
      const scope = granted.length ? 'openid offline_access api' : 'openid offline_access'
      const first = await new provider.RefreshToken({ accountId, client, grantId, gty: 'authorization_code', scope, ...(granted.length ? { resource: [...granted] } : {}) }).save()
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

/**
 * `/api/oidc/me`: the resource server, answering for valid access tokens of
 * the provider only; a DPoP-bound one (`jkt`) only as `Authorization: DPoP`
 * with a proof of its key.
 */
async function resource(provider: Provider, req: IncomingMessage, res: ServerResponse, proofs?: DpopVerifier): Promise<void> {
  const [, scheme, token] = /^(Bearer|DPoP) (.+)$/.exec(req.headers.authorization ?? '') ?? []
  const found = token ? await provider.AccessToken.find(token) : undefined
  const refuse = (challenge: string) => {
    res.writeHead(401, { 'WWW-Authenticate': challenge, 'Content-Type': 'application/json', ...(proofs ? { 'DPoP-Nonce': proofs.nonce } : {}) })
    res.end(JSON.stringify({ error: 'invalid_token' }))
  }
  if (!found || found.isExpired) return refuse(`${proofs ? 'DPoP' : 'Bearer'} error="invalid_token"`)
  if (found.jkt) {
    if (!proofs || scheme !== 'DPoP') return refuse('DPoP error="invalid_token", error_description="a DPoP-bound token needs the DPoP scheme"')
    try {
      // The provider mounts it under /api/oidc: the proof is for the URL the client used.
      const original = Object.assign(Object.create(req) as IncomingMessage, { url: (req as { originalUrl?: string }).originalUrl ?? req.url })
      await proofs.check({ req: original, accessToken: token, boundTo: found.jkt })
    } catch (error) {
      if (!(error instanceof DpopRefusal)) throw error
      return refuse(`DPoP error="${error.code}", error_description="${error.description}"`)
    }
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify({ sub: found.accountId, path: req.url }))
}

/**
 * A real login at the provider in the browser: the authorization request
 * with PKCE (and `dpop_jkt`, RFC 9449 §10, when given), the provider's own
 * login and consent pages, and the redirect back with the code.
 */
export async function authorize(page: Page, server: DemoServer, { dpopJkt, resources = [] }: { dpopJkt?: string; resources?: readonly string[] } = {}) {
  // The provider's login page imports a web font; there is no network to fetch it from.
  // (An engine that cannot route requests meets the closed network's own refusal instead.)
  if (!lacks('route')) await page.context().route(/fonts\.googleapis\.com/, (route) => route.abort())
  const { verifier, challenge } = pkce()
  const redirectUri = `${server.url}/callback`
  const url = new URL(`${server.url}/oidc/auth`)
  for (const [key, value] of Object.entries({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: resources.length ? 'openid offline_access api' : 'openid offline_access',
    prompt: 'consent', // OpenID Connect grants offline_access (a refresh token) only with consent asked
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'x',
    ...(dpopJkt ? { dpop_jkt: dpopJkt } : {}),
  })) {
    url.searchParams.set(key, value)
  }
  // Every API the app will call, each its own `resource` (RFC 8707 §2.1).
  for (const indicator of resources) url.searchParams.append('resource', indicator)
  await page.goto(url.href)
  await page.locator('input[name=login]').fill('grace')
  await page.locator('input[name=password]').fill('any')
  await page.getByRole('button', { name: 'Sign-in' }).click()
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.waitForURL(/\/callback\?/)
  const code = new URL(page.url()).searchParams.get('code')
  if (!code) throw new Error(`the provider sent no code: ${page.url()}`)
  return { code, verifier, redirectUri }
}

/** The page exchanges the code at the token endpoint (through the worker, which keeps the tokens); its status and body as the page saw them. */
export function exchangeCode(page: Page, { code, verifier, redirectUri }: { code: string; verifier: string; redirectUri: string }) {
  return page.evaluate(
    async (form) => {
      const response = await fetch('/oidc/token', { method: 'POST', body: new URLSearchParams(form) })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    },
    { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: verifier },
  )
}
