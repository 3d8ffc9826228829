import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose'
import { set, type UseStore } from 'idb-keyval'
import { describe, expect, it, vi } from 'vitest'
import { createDpop, wantsNonce } from '../../sw/dpop.js'

/**
 * An idb-keyval store over a Map, settling each request a task later as
 * IndexedDB does. Values are kept as they are: IndexedDB's structured clone
 * of a CryptoKey keeps it usable, and non-extractable, which the e2e specs
 * check in the browser (B9).
 */
function memoryStore(): UseStore {
  const data = new Map<IDBValidKey, unknown>()
  const settle = <T>(result?: T) => {
    const request = {} as { result?: T; onsuccess?: () => void }
    setTimeout(() => {
      request.result = result
      request.onsuccess?.()
    })
    return request
  }
  return (_mode, callback) =>
    Promise.resolve(
      callback({
        get: (key: IDBValidKey) => settle(data.get(key)),
        put(value: unknown, key: IDBValidKey) {
          data.set(key, value)
        },
        get transaction() {
          return settle()
        },
      } as unknown as IDBObjectStore),
    )
}

/** Checks a proof as a resource server does, with jose: signed by its own `jwk`. */
async function verify(proof: string) {
  const header = decodeProtectedHeader(proof)
  const { payload } = await jwtVerify(proof, await importJWK(header.jwk as JWK, 'ES256'), { typ: 'dpop+jwt' })
  return { header, payload, thumbprint: await calculateJwkThumbprint(header.jwk as JWK) }
}

const nonceAnswer = (status: number, body: unknown, headers: Record<string, string>) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })

describe('DPoP proofs (RFC 9449 §4.2)', () => {
  it('carry typ, alg ES256, the public jwk only, and htm, htu without query or fragment, jti, iat', async () => {
    const dpop = createDpop(memoryStore())
    const before = Math.floor(Date.now() / 1000)
    const { header, payload } = await verify(await dpop.proof('POST', 'https://app.example/api/x?secret=1#frag'))
    expect(header).toStrictEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: { crv: 'P-256', kty: 'EC', x: expect.any(String), y: expect.any(String) } })
    expect(payload).toStrictEqual({ jti: expect.stringMatching(/^[0-9a-f-]{36}$/), htm: 'POST', htu: 'https://app.example/api/x', iat: expect.any(Number) })
    expect(payload.iat).toBeGreaterThanOrEqual(before)
  })

  it('with an access token carry ath, its SHA-256 in base64url (§4.2)', async () => {
    const dpop = createDpop(memoryStore())
    const { payload } = await verify(await dpop.proof('GET', 'https://app.example/api/me', { accessToken: 'token-1' }))
    expect(payload.ath).toBe(Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('token-1'))).toString('base64url'))
  })

  it('are never the same twice', async () => {
    const dpop = createDpop(memoryStore())
    const proofs = await Promise.all(Array.from({ length: 20 }, () => dpop.proof('GET', 'https://app.example/api/me', { accessToken: 't' })))
    expect(new Set(proofs).size).toBe(20)
    expect(new Set(proofs.map((p) => JSON.parse(Buffer.from(p.split('.')[1]!, 'base64url').toString()).jti)).size).toBe(20)
  })
})

/** What page script can write where the worker keeps its keys: a pair of its own making. */
async function plant(store: UseStore, slot: 'login' | 'session', { extractable }: { extractable: boolean }) {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
  const pair = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair
  const privateKey = extractable
    ? pair.privateKey
    : await crypto.subtle.importKey('jwk', await crypto.subtle.exportKey('jwk', pair.privateKey), algorithm, false, ['sign'])
  await set('dpop-keys', { [slot]: { privateKey, publicKey: pair.publicKey } }, store)
  const { crv, kty, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
  return calculateJwkThumbprint({ crv, kty, x, y } as JWK)
}

describe('DPoP keys', () => {
  it('a stored key that can be exported never signs, in either slot (B16)', async () => {
    const store = memoryStore()
    const login = await plant(store, 'login', { extractable: true })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const dpop = createDpop(store)
    expect((await verify(await dpop.proof('POST', 'https://app.example/login', { login: true }))).thumbprint).not.toBe(login)
    const session = await plant(store, 'session', { extractable: true })
    dpop.forget()
    expect((await verify(await dpop.proof('GET', 'https://app.example/api/me', { accessToken: 't' }))).thumbprint).not.toBe(session)
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/stored DPoP login key is not one this worker makes/))
    warn.mockRestore()
  })

  it("a thumbprint is handed out only for a login key made by this worker: one found in storage is replaced (B16)", async () => {
    const store = memoryStore()
    const planted = await plant(store, 'login', { extractable: false })
    const dpop = createDpop(store)
    const thumbprint = await dpop.loginThumbprint()
    expect(thumbprint).not.toBe(planted)
    expect((await verify(await dpop.proof('POST', 'https://app.example/login', { login: true }))).thumbprint).toBe(thumbprint)
    // Asked again, the same key: several tabs may start a login at once.
    dpop.forget()
    expect(await dpop.loginThumbprint()).toBe(thumbprint)
  })


  it('are made non-extractable, once, even when many proofs ask at the same moment', async () => {
    const dpop = createDpop(memoryStore())
    const proofs = await Promise.all(Array.from({ length: 10 }, () => dpop.proof('GET', 'https://app.example/api/me')))
    const thumbprints = new Set(await Promise.all(proofs.map(async (p) => (await verify(p)).thumbprint)))
    expect(thumbprints.size).toBe(1)
  })

  it('outlive the worker: a new instance on the same store signs with the same key (B9)', async () => {
    const store = memoryStore()
    const first = await verify(await createDpop(store).proof('GET', 'https://app.example/api/me'))
    const again = await verify(await createDpop(store).proof('GET', 'https://app.example/api/me'))
    expect(again.thumbprint).toBe(first.thumbprint)
  })

  it('the login key is the one the thumbprint names; it becomes the session key, and the next login gets a new one (B17)', async () => {
    const dpop = createDpop(memoryStore())
    const thumbprint = await dpop.loginThumbprint()
    expect((await verify(await dpop.proof('POST', 'https://app.example/login', { login: true }))).thumbprint).toBe(thumbprint)
    await dpop.adoptLoginKey()
    expect((await verify(await dpop.proof('GET', 'https://app.example/api/me'))).thumbprint).toBe(thumbprint)
    const next = await dpop.loginThumbprint()
    expect(next).not.toBe(thumbprint)
    // The session ends: its key goes; the next login's key stays, for the thumbprint already handed out.
    await dpop.dropSessionKey()
    expect((await verify(await dpop.proof('GET', 'https://app.example/api/me'))).thumbprint).not.toBe(thumbprint)
    expect(await dpop.loginThumbprint()).toBe(next)
  })
})

describe('DPoP nonces (§8, §9)', () => {
  it('a token endpoint asks with a 400 use_dpop_nonce, a resource with a 401 WWW-Authenticate error; both need DPoP-Nonce', () => {
    expect(wantsNonce(nonceAnswer(400, {}, { 'DPoP-Nonce': 'n' }), { error: 'use_dpop_nonce' })).toBe(true)
    expect(wantsNonce(nonceAnswer(401, {}, { 'DPoP-Nonce': 'n', 'WWW-Authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"' }))).toBe(true)
    expect(wantsNonce(nonceAnswer(400, {}, {}), { error: 'use_dpop_nonce' })).toBe(false)
    expect(wantsNonce(nonceAnswer(400, {}, { 'DPoP-Nonce': 'n' }), { error: 'invalid_grant' })).toBe(false)
    expect(wantsNonce(nonceAnswer(401, {}, { 'DPoP-Nonce': 'n', 'WWW-Authenticate': 'DPoP error="invalid_token"' }))).toBe(false)
    expect(wantsNonce(nonceAnswer(401, {}, { 'DPoP-Nonce': 'n' }))).toBe(false)
  })

  /** What the worker does with one answer of a server: sends once with a proof, and keeps its nonce. */
  const answered = (dpop: ReturnType<typeof createDpop>, response: Response, url: string, resource = false) =>
    dpop.send(url, async () => 'proof', async () => response, { resource, own: () => true, again: false })

  it("the latest of each server goes into the next proof to it: token endpoints by path, resources by origin", async () => {
    const store = memoryStore()
    const dpop = createDpop(store)
    const nonceOf = async (proof: string) => (await verify(proof)).payload.nonce
    expect(await nonceOf(await dpop.proof('POST', 'https://app.example/token'))).toBeUndefined()
    await answered(dpop, nonceAnswer(400, {}, { 'DPoP-Nonce': 'as-1' }), 'https://app.example/token')
    await answered(dpop, nonceAnswer(401, {}, { 'DPoP-Nonce': 'rs-1' }), 'https://app.example/api/me', true)
    expect(await nonceOf(await dpop.proof('POST', 'https://app.example/token'))).toBe('as-1')
    expect(await nonceOf(await dpop.proof('GET', 'https://app.example/api/other', { accessToken: 't' }))).toBe('rs-1')
    expect(await nonceOf(await dpop.proof('POST', 'https://app.example/other-token'))).toBeUndefined()
    await answered(dpop, nonceAnswer(200, {}, { 'DPoP-Nonce': 'rs-2' }), 'https://app.example/api/me', true)
    expect(await nonceOf(await dpop.proof('GET', 'https://app.example/api/me', { accessToken: 't' }))).toBe('rs-2')
    // Kept for a restarted worker, too (written as it was noted: the store runs put at once).
    expect(await nonceOf(await createDpop(store).proof('GET', 'https://app.example/api/me', { accessToken: 't' }))).toBe('rs-2')
  })

  it("an answer that is not the server's own (a redirect target's) is sent once, and its nonce is not kept", async () => {
    const dpop = createDpop(memoryStore())
    const asks = () => nonceAnswer(401, {}, { 'DPoP-Nonce': 'elsewhere', 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"' })
    let sent = 0
    const send = (own: boolean) =>
      dpop.send('https://app.example/api/x', () => dpop.proof('POST', 'https://app.example/api/x', { accessToken: 't' }), async () => (sent++, asks()), { resource: true, own: () => own })
    await send(false)
    expect(sent).toBe(1)
    expect((await verify(await dpop.proof('GET', 'https://app.example/api/me', { accessToken: 't' }))).payload.nonce).toBeUndefined()
    // The server's own request for its nonce is answered once more.
    await send(true)
    expect(sent).toBe(3)
  })
})
