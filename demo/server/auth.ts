import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'

/** What login and refresh hand out, in the demo server's JSON protocol. */
export interface TokenSet {
  accessToken: string
  refreshToken: string
  /** Seconds. */
  expiresIn: number
}

export interface Identity {
  user: string
  sid: string
  /** The DPoP key thumbprint the session's tokens are bound to, if they are (RFC 9449 `cnf.jkt`). */
  jkt?: string
}

interface Session {
  user: string
  revoked: boolean
  jkt?: string
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url')

/**
 * A small but real token service: HS256 JWT access tokens with a short life,
 * opaque refresh tokens with rotation and reuse detection (RFC 9700 §4.14.2):
 * every refresh token works once, and presenting a spent one revokes the
 * whole session.
 */
export class AuthService {
  readonly stats = { logins: 0, refreshes: 0, refreshRejected: 0, reuseDetections: 0 }
  private readonly secret = randomBytes(32)
  private readonly sessions = new Map<string, Session>()
  private readonly access = new Map<string, { sid: string; expiresAt: number }>()
  private readonly refresh = new Map<string, { sid: string; used: boolean }>()

  /**
   * `opaque`: access tokens are random strings the server looks up, as many
   * hand-written servers issue, instead of JWTs that say when they expire.
   */
  constructor(
    public accessTtlMs: number,
    private readonly options: { opaque?: boolean } = {},
  ) {}

  /** Starts a session; with `jkt` (a DPoP login) its tokens are bound to that key. */
  login(user: string, { jkt }: { jkt?: string } = {}): TokenSet {
    this.stats.logins++
    const sid = randomUUID()
    this.sessions.set(sid, { user, revoked: false, ...(jkt ? { jkt } : {}) })
    return this.issue(sid, user, jkt)
  }

  /** A session with an access token only ("keep me signed in" unticked): it ends when that expires. */
  loginWithoutRefresh(user: string): Omit<TokenSet, 'refreshToken'> {
    const { refreshToken, ...rest } = this.login(user)
    this.refresh.delete(refreshToken)
    return rest
  }

  /**
   * Rotates a refresh token. `undefined` means `invalid_grant`. A token of a
   * DPoP-bound session needs a proof of that key (`jkt`); one of another key,
   * or none, is refused without spending the token.
   */
  rotate(refreshToken: unknown, { jkt }: { jkt?: string } = {}): TokenSet | undefined {
    const entry = typeof refreshToken === 'string' ? this.refresh.get(refreshToken) : undefined
    const session = entry && this.sessions.get(entry.sid)
    if (!entry || !session || session.revoked || (session.jkt !== undefined && session.jkt !== jkt)) {
      this.stats.refreshRejected++
      return undefined
    }
    if (entry.used) {
      // A spent token came back: someone else holds the session. End it.
      this.stats.reuseDetections++
      this.stats.refreshRejected++
      session.revoked = true
      return undefined
    }
    entry.used = true
    this.stats.refreshes++
    return this.issue(entry.sid, session.user, session.jkt)
  }

  /** The grant id (`jti`) of a token (`Bearer` or `DPoP`) whose signature holds; for opaque tokens, the token itself. */
  private grantOf(authorization: string | undefined): string | undefined {
    const token = /^(?:Bearer|DPoP) (.+)$/.exec(authorization ?? '')?.[1]
    if (this.options.opaque) return token
    const [header, payload, signature] = token?.split('.') ?? []
    if (!header || !payload || !signature) return undefined
    const expected = this.sign(`${header}.${payload}`)
    if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
      return undefined
    }
    return (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { jti: string }).jti
  }

  /** The identity behind `Authorization: Bearer …`, if its token is valid now. */
  verify(authorization: string | undefined): Identity | undefined {
    const id = this.grantOf(authorization)
    const grant = id === undefined ? undefined : this.access.get(id)
    const session = grant && this.sessions.get(grant.sid)
    if (!grant || !session || session.revoked || grant.expiresAt <= Date.now()) return undefined
    return { user: session.user, sid: grant.sid, ...(session.jkt ? { jkt: session.jkt } : {}) }
  }

  /** When the access token behind a verified `Authorization` expires (epoch ms): the demo shows a countdown. */
  expiryOf(authorization: string | undefined): number | undefined {
    const id = this.verify(authorization) && this.grantOf(authorization)
    return id ? this.access.get(id)?.expiresAt : undefined
  }

  /** Every access token issued so far stops working now; refresh tokens still do. */
  expireAccessTokens(): void {
    for (const grant of this.access.values()) grant.expiresAt = 0
  }

  /** Ends every session: its access and refresh tokens stop working. */
  revokeSessions(): void {
    for (const session of this.sessions.values()) session.revoked = true
  }

  endSession(sid: string): void {
    const session = this.sessions.get(sid)
    if (session) session.revoked = true
  }

  private issue(sid: string, user: string, jkt?: string): TokenSet {
    const now = Date.now()
    const expiresAt = now + this.accessTtlMs
    const refreshToken = randomBytes(24).toString('base64url')
    this.refresh.set(refreshToken, { sid, used: false })
    if (this.options.opaque) {
      const accessToken = randomBytes(24).toString('base64url')
      this.access.set(accessToken, { sid, expiresAt })
      return { accessToken, refreshToken, expiresIn: this.accessTtlMs / 1000 }
    }
    const jti = randomUUID()
    this.access.set(jti, { sid, expiresAt })
    const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
    // exp - iat is the lifetime in whole seconds, as real issuers write it; exp never
    // falls after the moment the server stops accepting the token.
    const iat = Math.floor(now / 1000)
    const claims = { sub: user, sid, jti, iat, exp: iat + Math.ceil(this.accessTtlMs / 1000), ...(jkt ? { cnf: { jkt } } : {}) }
    const body = base64url(JSON.stringify(claims))
    return {
      accessToken: `${head}.${body}.${this.sign(`${head}.${body}`)}`,
      refreshToken,
      expiresIn: this.accessTtlMs / 1000,
    }
  }

  private sign(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url')
  }
}
