import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose'

/**
 * The server side of DPoP (RFC 9449), as a resource server and a token
 * endpoint check it, with `jose` for the JWS: a proof signed by its own
 * embedded public key, for this method and URL, recent, never seen before,
 * with the server's current nonce, and (for a resource) the hash of the
 * access token it comes with and the key that token is bound to.
 */

/** Why a proof is refused: the error code of RFC 9449 §7, §8, §9, and a description. */
export class DpopRefusal extends Error {
  constructor(
    readonly code: 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token',
    readonly description: string,
  ) {
    super(`${code}: ${description}`)
  }
}

export interface ProofCheck {
  req: IncomingMessage
  /** The access token the request carries, for `ath`; left out at a token endpoint. */
  accessToken?: string
  /** The thumbprint the access token or refresh token is bound to, when it is. */
  boundTo?: string
}

/** How far a proof's `iat` may be from now, in seconds (oidc-provider allows 300 too). */
const IAT_WINDOW = 300

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url')

export function createDpopVerifier() {
  let nonce = randomBytes(24).toString('base64url')
  let previous: string | undefined
  const seen = new Map<string, number>()

  return {
    /** The nonce proofs must carry now; every answer tells the client (`DPoP-Nonce`). */
    get nonce() {
      return nonce
    },

    /** A new nonce, as servers change theirs: the one before it still passes for a while. */
    rotateNonce(): void {
      previous = nonce
      nonce = randomBytes(24).toString('base64url')
    },

    /** Checks the request's `DPoP` proof; returns the JWK thumbprint of its key, or throws a `DpopRefusal`. */
    async check({ req, accessToken, boundTo }: ProofCheck): Promise<string> {
      const header = req.headers.dpop
      if (typeof header !== 'string' || header === '') throw new DpopRefusal('invalid_dpop_proof', 'one DPoP header with a proof is required')
      let verified
      try {
        verified = await jwtVerify(header, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
      } catch (error) {
        throw new DpopRefusal('invalid_dpop_proof', `the proof does not verify: ${(error as Error).message}`)
      }
      const { payload, protectedHeader } = verified
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
      const htu = typeof payload.htu === 'string' && URL.canParse(payload.htu) ? new URL(payload.htu) : undefined
      if (payload.htm !== req.method) throw new DpopRefusal('invalid_dpop_proof', 'htm is not the request method')
      if (!htu || htu.origin + htu.pathname !== url.origin + url.pathname) throw new DpopRefusal('invalid_dpop_proof', 'htu is not the request URL')
      if (typeof payload.iat !== 'number' || Math.abs(Date.now() / 1000 - payload.iat) > IAT_WINDOW) throw new DpopRefusal('invalid_dpop_proof', 'iat is not recent')
      if (typeof payload.jti !== 'string' || payload.jti === '') throw new DpopRefusal('invalid_dpop_proof', 'jti is missing')
      if (payload.nonce !== nonce && (previous === undefined || payload.nonce !== previous)) throw new DpopRefusal('use_dpop_nonce', 'the proof must carry the server nonce')
      const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk!, 'sha256')
      if (accessToken !== undefined && payload.ath !== sha256(accessToken)) throw new DpopRefusal('invalid_dpop_proof', 'ath is not the hash of the access token')
      if (boundTo !== undefined && thumbprint !== boundTo) throw new DpopRefusal('invalid_token', 'the token is bound to another key')
      // Seen once only, for as long as its iat passes.
      const now = Date.now() / 1000
      for (const [key, until] of seen) if (until < now) seen.delete(key)
      const key = `${thumbprint}:${payload.jti}`
      if (seen.has(key)) throw new DpopRefusal('invalid_dpop_proof', 'the proof was used before')
      seen.set(key, payload.iat + IAT_WINDOW)
      return thumbprint
    },
  }
}

export type DpopVerifier = ReturnType<typeof createDpopVerifier>
