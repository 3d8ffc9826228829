import { get, set, type UseStore } from 'idb-keyval'

/**
 * DPoP (RFC 9449): the worker's key pairs and the proofs signed with them,
 * with WebCrypto only. Keys are ECDSA P-256 made with `extractable: false`:
 * not even the worker can export the private key, and IndexedDB keeps the
 * `CryptoKeyPair` as it is (structured clone), so a restarted worker signs
 * with the same key (B9).
 *
 * Two keys, so that a new session never gets a key an earlier one had (B17):
 * the session key signs the session's refreshes and API requests; the login
 * key signs the next login (its thumbprint is what a page puts in `dpop_jkt`)
 * and becomes the session key when that login succeeds. The session key goes
 * when the session ends.
 */

interface KeyPairs {
  session?: CryptoKeyPair
  login?: CryptoKeyPair
}

interface Key {
  pair: CryptoKeyPair
  /** The public key as a proof's header carries it: the members RFC 7638 names. */
  jwk: { crv: 'P-256'; kty: 'EC'; x: string; y: string }
}

const KEYS = 'dpop-keys'
const NONCES = 'dpop-nonces'
const encoder = new TextEncoder()

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  let text = ''
  for (const byte of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) text += String.fromCharCode(byte)
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const encode = (value: unknown) => base64url(encoder.encode(JSON.stringify(value)))
const sha256 = async (text: string) => base64url(await crypto.subtle.digest('SHA-256', encoder.encode(text)))

/** Whether an answer asks for a proof with a fresh nonce: a token endpoint's 400 (§8) or a resource's 401 (§9). */
export function wantsNonce(response: Response, body?: unknown): boolean {
  if (!response.headers.has('DPoP-Nonce')) return false
  if (response.status === 401) return /\berror="use_dpop_nonce"/.test(response.headers.get('WWW-Authenticate') ?? '')
  return response.status === 400 && (body as { error?: unknown } | undefined)?.error === 'use_dpop_nonce'
}

export function createDpop(db: UseStore) {
  let pairs: Promise<KeyPairs> | undefined
  const described = new WeakMap<CryptoKeyPair, Promise<Key>>()
  /**
   * The latest nonce each server sent (RFC 9449 §8, §9): an authorization
   * server and a resource server keep their own, often on one origin (a
   * same-origin `refreshUrl`), so token endpoints are told apart by path and
   * resources by origin.
   */
  let nonces: Map<string, string> | undefined
  // Kept in IndexedDB too, so that a restarted worker does not pay each server a round trip for it again (B9).
  const loadNonces = get<[string, string][]>(NONCES, db).then(
    (stored) => (nonces ??= new Map(stored)),
    () => (nonces ??= new Map()),
  )
  const nonceKey = (url: URL, resource: boolean) => (resource ? url.origin : url.origin + url.pathname)
  /** `ath` of the last access token: one hash per token, not per request. */
  let lastAth: { token: string; ath: Promise<string> } | undefined

  const load = () => (pairs ??= get<KeyPairs>(KEYS, db).then((stored) => stored ?? {}))
  async function save(next: KeyPairs): Promise<void> {
    pairs = Promise.resolve(next)
    await set(KEYS, next, db)
  }
  const generate = () =>
    crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']) as Promise<CryptoKeyPair>

  function describe(pair: CryptoKeyPair): Promise<Key> {
    let key = described.get(pair)
    if (!key) {
      key = crypto.subtle.exportKey('jwk', pair.publicKey).then(({ x, y }) => ({ pair, jwk: { crv: 'P-256', kty: 'EC', x: x!, y: y! } }))
      described.set(pair, key)
    }
    return key
  }

  /** A key being made, per slot: requests at the same moment share it rather than each making their own. */
  const making: Partial<Record<keyof KeyPairs, Promise<CryptoKeyPair>>> = {}

  /** The key of `slot`, made and stored on first use. */
  async function keyPair(slot: keyof KeyPairs): Promise<CryptoKeyPair> {
    const stored = (await load())[slot]
    if (stored) return stored
    making[slot] ??= generate().then(async (made) => {
      await save({ ...(await load()), [slot]: made })
      delete making[slot]
      return made
    })
    return making[slot]
  }

  return {
    /**
     * A fresh proof for one request: `typ: dpop+jwt`, the public `jwk`, and
     * `jti`, `htm`, `htu` (no query, no fragment), `iat`, the server's last
     * nonce, and `ath` when the request carries an access token. Signed with
     * the login key for a login, the session key otherwise.
     */
    async proof(method: string, url: string, { accessToken, login = false }: { accessToken?: string; login?: boolean } = {}): Promise<string> {
      const { pair, jwk } = await describe(await keyPair(login ? 'login' : 'session'))
      const target = new URL(url)
      const payload: Record<string, unknown> = {
        jti: crypto.randomUUID(),
        htm: method,
        htu: target.origin + target.pathname,
        iat: Math.floor(Date.now() / 1000),
      }
      const nonce = (nonces ?? (await loadNonces)).get(nonceKey(target, accessToken !== undefined))
      if (nonce) payload.nonce = nonce
      if (accessToken) {
        if (lastAth?.token !== accessToken) lastAth = { token: accessToken, ath: sha256(accessToken) }
        payload.ath = await lastAth.ath
      }
      const input = `${encode({ typ: 'dpop+jwt', alg: 'ES256', jwk })}.${encode(payload)}`
      // WebCrypto's ECDSA signature is r||s, 64 bytes: exactly the JWS form of ES256.
      const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, encoder.encode(input))
      return `${input}.${base64url(signature)}`
    },

    /** Keeps the nonce a response carries, for the next proof to its server: a resource's (`resource`), or a token endpoint's. */
    noteNonce(response: Response, url: string, resource = false): void {
      const nonce = response.headers.get('DPoP-Nonce')
      const key = nonceKey(new URL(url), resource)
      if (!nonce || !nonces || nonces.get(key) === nonce) return
      nonces.set(key, nonce)
      void set(NONCES, [...nonces], db).catch(() => {})
    },

    /** The JWK thumbprint (RFC 7638) of the key the next login signs with: for `dpop_jkt` (§10). */
    async loginThumbprint(): Promise<string> {
      const { jwk } = await describe(await keyPair('login'))
      return sha256(`{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`)
    },

    /** A login succeeded: its key is the session's now, and the next login gets a new one. */
    async startSession(): Promise<void> {
      const { login } = await load()
      await save(login ? { session: login } : {})
    },

    /** The session ended, or tokens came from elsewhere: no later request signs with its key. */
    async endSession(): Promise<void> {
      const { login } = await load()
      await save(login ? { login } : {})
    },

    /** Another worker of the origin changed the keys: read them again. */
    forget(): void {
      pairs = undefined
    },
  }
}

export type Dpop = ReturnType<typeof createDpop>
