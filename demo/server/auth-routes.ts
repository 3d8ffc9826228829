import type { IncomingMessage } from 'node:http'
import type { AuthService, TokenSet } from './auth.js'
import type { Exchange, Route } from './exchange.js'
import { wait } from './exchange.js'
import { answerFailure, type Faults } from './faults.js'
import { DpopRefusal, type DpopVerifier } from './dpop.js'
import type { Gates } from './gates.js'

const REFRESH_COOKIE = 'refresh_token'

/**
 * The refresh cookie: HttpOnly (no script reads it), Secure (Chromium and
 * Firefox accept it on http://127.0.0.1 and localhost, which count as secure
 * contexts; WebKit does not, so there the cookie mode needs https),
 * SameSite=Strict, sent only to /api/auth.
 */
export function refreshCookie(value: string, maxAge: number): string {
  return `${REFRESH_COOKIE}=${value}; HttpOnly; Secure; SameSite=Strict; Path=/api/auth; Max-Age=${maxAge}`
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(/;\s*/)) {
    const at = pair.indexOf('=')
    if (pair.slice(0, at) === name) return pair.slice(at + 1)
  }
  return undefined
}

export interface AuthRoutesOptions {
  auth: AuthService
  faults: Faults
  gates: Gates
  /** `'cookie'`: the refresh token travels only in an HttpOnly cookie, never in a body. */
  refreshMode: 'json' | 'cookie'
  /** How answers are written: see `DemoServerOptions.protocol`. */
  protocol: 'demo' | 'seed' | 'snake'
  /** With DPoP on: login and refresh need a proof (with the server's nonce), and bind the tokens to its key. */
  dpop?: DpopVerifier
}

/**
 * Login (`POST /api/auth/login`, any user name and the password `demo`;
 * `remember: false` asks for an access token only) and refresh (`POST
 * /api/auth/refresh`, rotation and reuse detection, the fault switches).
 */
export function authRoutes({ auth, faults, gates, refreshMode, protocol, dpop }: AuthRoutesOptions): Route {
  const cookieMode = refreshMode === 'cookie'
  let refreshCalls = 0

  /**
   * A login or refresh answer: in cookie mode the refresh token goes only
   * into the cookie; the seed's protocol calls the access token `token` and
   * says nothing of its expiry when refreshing.
   */
  const issue = (x: Exchange, { refreshToken, accessToken, expiresIn }: Partial<TokenSet>, extra: object = {}, refreshing = false) => {
    if (protocol === 'snake') {
      return x.json(200, { access_token: accessToken, expires_in: expiresIn, ...(refreshToken ? { refresh_token: refreshToken } : {}), ...extra })
    }
    const answer = protocol === 'seed' ? { token: accessToken, ...(refreshing ? {} : { expiresIn }) } : { accessToken, expiresIn, ...(x.proven ? { token_type: 'DPoP' } : {}) }
    return cookieMode && refreshToken
      ? x.json(200, { ...answer, ...extra }, { 'Set-Cookie': refreshCookie(refreshToken, 30 * 24 * 3600) })
      : x.json(200, { ...answer, ...(refreshToken ? { refreshToken } : {}), ...extra })
  }

  /**
   * The proof a DPoP token request carries (RFC 9449 §5): its key's
   * thumbprint, or the 400 that says why not (`use_dpop_nonce` with the
   * nonce to use, §8).
   */
  async function proofOf(x: Exchange): Promise<string | number> {
    if (!dpop) return ''
    x.res.setHeader('DPoP-Nonce', dpop.nonce)
    try {
      return (x.proven = await dpop.check({ req: x.req }))
    } catch (error) {
      if (!(error instanceof DpopRefusal)) throw error
      return x.json(400, { error: error.code === 'use_dpop_nonce' ? 'use_dpop_nonce' : 'invalid_dpop_proof', error_description: error.description })
    }
  }

  return async (x) => {
    if (x.req.method !== 'POST') return undefined
    if (x.path === '/api/auth/login' || x.path === '/api/auth/refresh') {
      const proof = await proofOf(x)
      if (typeof proof === 'number') return proof
    }
    const jkt = x.proven
    if (x.path === '/api/auth/login') {
      const { username, password, remember } = x.input()
      if (typeof username !== 'string' || username === '' || password !== 'demo') {
        return x.json(401, { error: 'invalid_credentials', message: "Any user name, password 'demo'." })
      }
      // `remember: false` ("keep me signed in" unticked): an access token only, no refresh token.
      return issue(x, remember === false ? auth.loginWithoutRefresh(username) : auth.login(username, { jkt }), { user: username })
    }
    if (x.path === '/api/auth/refresh') {
      await gates.pass('/api/auth/refresh')
      if (faults.refreshDelayMs) await wait(faults.refreshDelayMs)
      const failure = faults.refreshFailure ?? faults.refreshFailureFor?.(++refreshCalls)
      if (failure) return answerFailure(x.res, failure, faults)
      // A client that went away (a stopped worker) could never store new tokens:
      // rotating now would spend its refresh token for nothing. Keep it valid.
      if (x.req.socket.destroyed) return 499
      const presented = cookieMode ? readCookie(x.req, REFRESH_COOKIE) : protocol === 'snake' ? x.input().refresh_token : x.input().refreshToken
      if (presented === undefined && protocol === 'snake') return x.json(400, { error: 'invalid_request', error_description: 'refresh_token is required' })
      const tokens = auth.rotate(presented, { jkt })
      if (tokens) return issue(x, tokens, {}, true)
      return x.json(400, { error: 'invalid_grant' }, cookieMode ? { 'Set-Cookie': refreshCookie('', 0) } : {})
    }
    return undefined
  }
}
