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
const SLOTS = ['session', 'login'] as const

const isP256 = (key: CryptoKey, type: KeyType) =>
  key.type === type && key.algorithm.name === 'ECDSA' && (key.algorithm as KeyAlgorithm & { namedCurve?: string }).namedCurve === 'P-256'

/**
 * Whether a stored pair can be one the worker made: an ECDSA P-256 pair
 * whose private key cannot be exported. Any script of the origin can write
 * to the worker's IndexedDB; a key it made extractable, it could export and
 * sign with anywhere, so such a key never signs. (A non-extractable key
 * looks the same whoever made it: see `loginThumbprint` for what else keeps
 * a planted one from binding a session.)
 */
function isWorkerKey(pair: unknown): pair is CryptoKeyPair {
  const { privateKey, publicKey } = (pair ?? {}) as Partial<Record<keyof CryptoKeyPair, unknown>>
  return (
    privateKey instanceof CryptoKey &&
    publicKey instanceof CryptoKey &&
    !privateKey.extractable &&
    isP256(privateKey, 'private') &&
    isP256(publicKey, 'public')
  )
}

/** The stored pairs that pass `isWorkerKey`; the others are left out, and said so once. */
function ownKeys(stored: unknown): KeyPairs {
  const keys: KeyPairs = {}
  for (const slot of SLOTS) {
    const pair = (stored as KeyPairs | undefined)?.[slot]
    if (isWorkerKey(pair)) keys[slot] = pair
    else if (pair !== undefined) console.warn(`sw-token-proxy: the stored DPoP ${slot} key is not one this worker makes (ECDSA P-256, not extractable); it never signs.`)
  }
  return keys
}
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

  const load = () => (pairs ??= get<KeyPairs>(KEYS, db).then(ownKeys))
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

  /** Keeps the nonce a server's answer carries, for the next proof to that server. */
  function keepNonce(response: Response, url: string, resource: boolean): void {
    const nonce = response.headers.get('DPoP-Nonce')
    if (!nonce || !nonces) return
    const key = nonceKey(new URL(url), resource)
    if (nonces.get(key) === nonce) return
    nonces.set(key, nonce)
    void set(NONCES, [...nonces], db).catch(() => {})
  }

  /** The public keys (their `x`) this worker made in its life: a login key it hands a thumbprint out for is one of these. */
  const madeHere = new Set<string>()

  /** Makes and stores a new key for `slot`; requests at the same moment share it. */
  function make(slot: keyof KeyPairs): Promise<CryptoKeyPair> {
    making[slot] ??= generate().then(async (made) => {
      madeHere.add((await describe(made)).jwk.x)
      await save({ ...(await load()), [slot]: made })
      delete making[slot]
      return made
    })
    return making[slot]
  }

  /** The key of `slot`, made and stored on first use. */
  async function keyPair(slot: keyof KeyPairs): Promise<CryptoKeyPair> {
    return (await load())[slot] ?? make(slot)
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

    /** Keeps the nonce of an answer the worker did not send itself (a Workbox strategy's fetch). */
    keepNonce(response: Response, url: string, resource: boolean): void {
      keepNonce(response, url, resource)
    },

    /**
     * Sends one request with a fresh proof from `sign`, keeps the nonce the
     * answering server sends, and sends once more with a new proof when that
     * server asks for one (RFC 9449 §8: a token endpoint's 400; §9: a
     * resource's 401). Only an answer `own` accepts counts: a redirect target
     * is not the server the proof was made for, so its nonce is not kept and
     * its request for one never makes the request go twice. `again: false`
     * for a request that cannot be sent twice (a body too large to keep).
     */
    async send(
      url: string,
      sign: () => Promise<string>,
      send: (proof: string) => Promise<Response>,
      { resource, own, again = true }: { resource: boolean; own: (response: Response) => boolean; again?: boolean },
    ): Promise<Response> {
      const once = async () => {
        const response = await send(await sign())
        if (own(response)) keepNonce(response, response.url || url, resource)
        return response
      }
      const first = await once()
      if (!again || !own(first)) return first
      const body = first.status === 400 ? await first.clone().json().catch(() => undefined) : undefined
      return wantsNonce(first, body) ? once() : first
    },

    /**
     * The JWK thumbprint (RFC 7638) of the key the next login signs with: for
     * `dpop_jkt` (§10). Only for a key this worker made in its life: one it
     * finds in storage may have been put there by page script, so a new one
     * is made in its place. A key planted after this call then signs a code
     * exchange that the authorization server refuses, its thumbprint not
     * being the `dpop_jkt` of the code.
     */
    async loginThumbprint(): Promise<string> {
      const stored = (await load()).login
      const own = stored && madeHere.has((await describe(stored)).jwk.x) ? stored : await make('login')
      const { jwk } = await describe(own)
      return sha256(`{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`)
    },

    /** A login succeeded: its key is the session's now, and the next login gets a new one. */
    async adoptLoginKey(): Promise<void> {
      const { login } = await load()
      await save(login ? { session: login } : {})
    },

    /** The session ended, or tokens came from elsewhere: no later request signs with its key. */
    async dropSessionKey(): Promise<void> {
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
