import { createHash, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { calculateJwkThumbprint, decodeJwt, importJWK, SignJWT, type JWK } from 'jose'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { expect, foreignProof, loginThroughPage, restartablePage, stopWorkers, storedTokens, test, workerQuery } from './fixtures.js'
import { needs } from './engines/limits.js'

/**
 * B16 against the demo server in its DPoP mode (RFC 9449): login and refresh
 * need a proof with the server's nonce and bind the session to its key; the
 * API takes a bound token only as `Authorization: DPoP` with a proof of that
 * key, `ath` and the nonce, each proof once.
 */

interface Stored {
  accessToken: string
  refreshToken: string
  tokenType?: string
}

const dpopServer = () => startDemoServer({ accessTtlMs: 60_000, dpop: true })

async function signedIn(page: import('@playwright/test').Page, server: DemoServer): Promise<Stored> {
  await page.goto(`${server.url}/console?stay&${workerQuery({ dpop: true })}`)
  await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
  expect(await loginThroughPage(page)).toEqual({ status: 200, proxy: null, body: { user: 'ada', token_type: 'DPoP' } })
  return (await storedTokens(page)) as Stored
}

const me = (page: import('@playwright/test').Page, count = 1) =>
  page.evaluate((count) => Promise.all(Array.from({ length: count }, async (_, i) => (await fetch(`/api/me?i=${i}`)).status)), count)

test.describe('B16 proof of possession', () => {
  test('the login is signed by the key whose thumbprint the page got, answered once with the nonce; API requests go as DPoP with a fresh proof each', async ({ page }) => {
    const server = await dpopServer()
    try {
      await page.goto(`${server.url}/console?stay&${workerQuery({ dpop: true })}`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      const thumbprint = await page.evaluate(() => window.tokenProxy.dpopThumbprint())
      expect(thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(await loginThroughPage(page)).toEqual({ status: 200, proxy: null, body: { user: 'ada', token_type: 'DPoP' } })
      // The first proof had no nonce: 400 use_dpop_nonce, then the same login with one.
      expect(server.requestsTo('/api/auth/login').map((r) => [r.status, r.dpop ?? null])).toEqual([[400, null], [200, thumbprint]])
      const stored = (await storedTokens(page)) as Stored
      expect(stored.tokenType).toBe('DPoP')

      // The burst's five first tries are all out before any answer brings the API's nonce back
      // (without the hold, a slow machine sends the last ones after it, with the nonce).
      const release = server.hold('/api/me')
      const burst = me(page, 5)
      await server.arrival('/api/me', 5)
      release()
      expect(await burst).toEqual(Array(5).fill(200))
      // The API keeps a nonce of its own (§9): the burst's first proofs had none, so each request went once more.
      const calls = server.requestsTo('/api/me')
      expect(calls.map((r) => r.status).sort()).toEqual([...Array(5).fill(200), ...Array(5).fill(401)])
      expect(calls.every((r) => r.authorization === `DPoP ${stored.accessToken}`)).toBe(true)
      expect(calls.filter((r) => r.status === 200).every((r) => r.dpop === thumbprint)).toBe(true)
      // A proof is never sent twice, not even to the same request's second try: ten sendings, ten proofs.
      expect(new Set(calls.map((r) => r.headers.dpop)).size).toBe(10)
      // Its nonce is known now: the next request goes once.
      expect(await me(page)).toEqual([200])
      expect(server.requestsTo('/api/me')).toHaveLength(11)
      // The thumbprint is for the next login now: the session's key is not shown again.
      expect(await page.evaluate(() => window.tokenProxy.dpopThumbprint())).not.toBe(thumbprint)
    } finally {
      await server.close()
    }
  })

  test('tokens copied out of IndexedDB are refused from elsewhere, without a proof or with one of another key; in the page they go on working', async ({ page }) => {
    const server = await dpopServer()
    try {
      const { accessToken, refreshToken } = await signedIn(page, server)
      const api = `${server.url}/api/me`
      const refresh = `${server.url}/api/auth/refresh`
      const nonce = server.dpop!.nonce
      const tries = {
        'Bearer, no proof': await fetch(api, { headers: { Authorization: `Bearer ${accessToken}` } }),
        'DPoP, no proof': await fetch(api, { headers: { Authorization: `DPoP ${accessToken}` } }),
        'DPoP, a proof of another key': await fetch(api, { headers: { Authorization: `DPoP ${accessToken}`, DPoP: await foreignProof('GET', api, { accessToken, nonce }) } }),
      }
      for (const [name, response] of Object.entries(tries)) expect(response.status, name).toBe(401)
      const post = async (proof?: string) =>
        fetch(refresh, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(proof ? { DPoP: proof } : {}) }, body: JSON.stringify({ refreshToken }) })
      expect((await post()).status).toBe(400)
      const foreign = await post(await foreignProof('POST', refresh, { nonce }))
      expect([foreign.status, await foreign.json()]).toEqual([400, { error: 'invalid_grant' }])

      // The page, with the key: its token works, and its refresh token too (never spent by the attempts).
      const fromNode = { me: server.requestsTo('/api/me').length, refresh: server.requestsTo('/api/auth/refresh').length }
      expect(await me(page)).toEqual([200])
      server.auth.expireAccessTokens()
      expect(await me(page, 3)).toEqual([200, 200, 200])
      expect(server.requestsTo('/api/auth/refresh').filter((r) => r.status === 200)).toHaveLength(1)
      expect(server.auth.stats.reuseDetections).toBe(0)
      // Every sending is signed anew, replays included (B3–B5): no proof reaches the server twice.
      const fromPage = [...server.requestsTo('/api/me').slice(fromNode.me), ...server.requestsTo('/api/auth/refresh').slice(fromNode.refresh)]
      const proofs = fromPage.map((r) => r.headers.dpop)
      expect(proofs.every(Boolean)).toBe(true)
      expect(new Set(proofs).size).toBe(proofs.length)
      expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'refresh', reason: 'unauthorized' }])
    } finally {
      await server.close()
    }
  })

  test('a new nonce costs each request one more round trip at most, never a refresh', async ({ page }) => {
    const server = await dpopServer()
    try {
      await signedIn(page, server)
      expect(await me(page)).toEqual([200])
      server.dpop!.rotateNonce()
      server.dpop!.rotateNonce() // the one before is no longer accepted either
      const before = server.requestsTo('/api/me').length
      expect(await me(page, 10)).toEqual(Array(10).fill(200))
      const burst = server.requestsTo('/api/me').slice(before)
      expect(burst.length).toBeGreaterThanOrEqual(11)
      expect(burst.length).toBeLessThanOrEqual(20)
      expect(burst.filter((r) => r.status === 200)).toHaveLength(10)
      expect(server.requestsTo('/api/auth/refresh')).toHaveLength(0)
      expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([])
    } finally {
      await server.close()
    }
  })

  test('B9 the key outlives the worker: after a restart the same key signs, with no refresh and no login (not in WebKit: nothing stops its worker there)', async ({ page: shared }) => {
    needs('stopWorker')
    const server = await dpopServer()
    const { page, close } = await restartablePage(shared)
    try {
      await signedIn(page, server)
      expect(await me(page)).toEqual([200])
      const [bound] = server.requestsTo('/api/me').filter((r) => r.status === 200).map((r) => r.dpop)
      const sent = server.requestsTo('/api/me').length
      await stopWorkers(page)
      expect(await me(page)).toEqual([200])
      // The same key, and the API's nonce kept too: one request, no round trip for a nonce.
      expect(server.requestsTo('/api/me').slice(sent).map((r) => [r.status, r.dpop])).toEqual([[200, bound]])
      expect(server.requestsTo('/api/auth/refresh')).toHaveLength(0)
      expect(server.requestsTo('/api/auth/login').filter((r) => r.status === 200)).toHaveLength(1)
    } finally {
      await close()
      await server.close()
    }
  })

  test('B17 a new session gets a new key: after a logout, and when one login follows another', async ({ page }) => {
    const server = await dpopServer()
    try {
      await signedIn(page, server)
      const keyOf = () => server.requestsTo('/api/auth/login').filter((r) => r.status === 200).map((r) => r.dpop)
      await page.evaluate(() => window.tokenProxy.logout())
      expect(await loginThroughPage(page)).toMatchObject({ status: 200 })
      expect(await loginThroughPage(page, { user: 'grace' })).toMatchObject({ status: 200 })
      const keys = keyOf()
      expect(keys).toHaveLength(3)
      expect(new Set(keys).size).toBe(3)
      // And the API takes grace's token with her session's key only.
      expect(await me(page)).toEqual([200])
      expect(server.requestsTo('/api/me').at(-1)!.dpop).toBe(keys[2])
    } finally {
      await server.close()
    }
  })

  test('B7 under DPoP a rejected refresh still ends the session', async ({ page }) => {
    const server = await dpopServer()
    try {
      await signedIn(page, server)
      server.auth.revokeSessions()
      expect(await me(page)).toEqual([401])
      expect(await page.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'refresh-rejected' }])
      expect(await storedTokens(page)).toBeUndefined()
    } finally {
      await server.close()
    }
  })
})

/**
 * What page script does to plant a key: an ECDSA P-256 pair of its own,
 * written where the worker keeps its keys (the login slot), with the other
 * workers told to read storage again. `extractable` plants the pair as made
 * (the private key exportable by anyone who reads it back); otherwise the
 * private key is first imported again as non-extractable, from material the
 * script keeps. Returns the keys as JWKs, for signing from Node.
 */
function plantLoginKey(page: import('@playwright/test').Page, { extractable }: { extractable: boolean }) {
  return page.evaluate(async (extractable) => {
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
    const pair = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])
    const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey)
    const publicJwk = await crypto.subtle.exportKey('jwk', pair.publicKey)
    const privateKey = extractable ? pair.privateKey : await crypto.subtle.importKey('jwk', privateJwk, algorithm, false, ['sign'])
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('sw-token-proxy')
      open.onerror = () => reject(open.error)
      open.onsuccess = () => {
        const tx = open.result.transaction('tokens', 'readwrite')
        tx.objectStore('tokens').put({ login: { privateKey, publicKey: pair.publicKey } }, 'dpop-keys')
        tx.oncomplete = () => resolve()
        tx.onerror = () => reject(tx.error)
      }
    })
    new BroadcastChannel('sw-token-proxy').postMessage('changed')
    return { privateJwk, publicJwk }
  }, extractable)
}

/** A proof signed in Node with a key the attacker holds. */
async function proofOf(key: { privateJwk: JsonWebKey; publicJwk: JsonWebKey }, method: string, url: string, claims: { accessToken?: string; nonce: string }) {
  const { crv, kty, x, y } = key.publicJwk
  return new SignJWT({
    htm: method,
    htu: url,
    jti: randomUUID(),
    nonce: claims.nonce,
    ...(claims.accessToken ? { ath: createHash('sha256').update(claims.accessToken).digest('base64url') } : {}),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: { crv, kty, x, y } })
    .setIssuedAt()
    .sign(await importJWK(key.privateJwk as JWK, 'ES256'))
}

test.describe('B16 attacks: a key the worker did not make never signs', () => {
  const variants = [
    { name: 'an extractable key, then the thumbprint and the login', extractable: true, thumbprint: true },
    { name: 'an extractable key, then a login with no thumbprint asked', extractable: true, thumbprint: false },
    { name: 'a non-extractable key imported from kept material, then the thumbprint and the login', extractable: false, thumbprint: true },
  ]
  for (const variant of variants) {
    test(`B16 page script plants ${variant.name}: the session is not bound to it, and the stolen tokens are refused with its proofs`, async ({ page }) => {
      const server = await dpopServer()
      try {
        await page.goto(`${server.url}/console?stay&${workerQuery({ dpop: true })}`)
        await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
        const planted = await plantLoginKey(page, { extractable: variant.extractable })
        const plantedThumbprint = await calculateJwkThumbprint(planted.publicJwk as JWK, 'sha256')
        if (variant.thumbprint) expect(await page.evaluate(() => window.tokenProxy.dpopThumbprint())).not.toBe(plantedThumbprint)
        expect(await loginThroughPage(page)).toMatchObject({ status: 200 })
        const [bound] = server.requestsTo('/api/auth/login').filter((r) => r.status === 200).map((r) => r.dpop)
        expect(bound).toEqual(expect.any(String))
        expect(bound).not.toBe(plantedThumbprint)

        // What the attacker does next, from Node: the tokens read out of IndexedDB, proofs signed with the planted key.
        const { accessToken, refreshToken } = (await storedTokens(page)) as Stored
        const api = `${server.url}/api/me`
        const refresh = `${server.url}/api/auth/refresh`
        const nonce = server.dpop!.nonce
        const stolenAccess = await fetch(api, { headers: { Authorization: `DPoP ${accessToken}`, DPoP: await proofOf(planted, 'GET', api, { accessToken, nonce }) } })
        expect(stolenAccess.status).toBe(401)
        const stolenRefresh = await fetch(refresh, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', DPoP: await proofOf(planted, 'POST', refresh, { nonce }) },
          body: JSON.stringify({ refreshToken }),
        })
        expect([stolenRefresh.status, await stolenRefresh.json()]).toEqual([400, { error: 'invalid_grant' }])
        // The page's session works, with the worker's own key.
        expect(await me(page)).toEqual([200])
        expect(server.requestsTo('/api/me').at(-1)!.dpop).toBe(bound)
      } finally {
        await server.close()
      }
    })
  }
})

/**
 * Another origin that answers every request with the 401 a DPoP resource
 * server sends for its nonce (RFC 9449 §9), and records what it received.
 */
async function nonceAsker() {
  const received: { method: string; dpop: string | undefined }[] = []
  const http = createServer((req, res) => {
    const cors = {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': '*',
      'Access-Control-Allow-Methods': '*',
      'Access-Control-Expose-Headers': 'DPoP-Nonce, WWW-Authenticate',
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors)
      return res.end()
    }
    received.push({ method: req.method ?? '', dpop: req.headers.dpop as string | undefined })
    req.resume()
    res.writeHead(401, { ...cors, 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'nonce-of-elsewhere', 'Content-Type': 'application/json' })
    res.end('{"error":"use_dpop_nonce"}')
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return { url, received, close: () => new Promise<void>((resolve) => (http.closeAllConnections(), http.close(() => resolve()))) }
}

const nonceIn = (proof: unknown) => (decodeJwt(String(proof)) as { nonce?: string }).nonce

test.describe('B16 attacks: redirects', () => {
  test("B16 an API POST that 307s to another origin answering use_dpop_nonce is sent once; that origin's nonce never reaches the API's proofs", async ({ page }) => {
    const server = await dpopServer()
    const elsewhere = await nonceAsker()
    try {
      await signedIn(page, server)
      // The API's nonce is learned once, as usual.
      expect(await me(page)).toEqual([200])
      const to = encodeURIComponent(`${elsewhere.url}/sink`)
      const status = await page.evaluate(
        async (to) => (await fetch(`/api/redirect?status=307&to=${to}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"pay":1}' })).status,
        to,
      )
      // The 401 is the other origin's answer: the page gets it, and the POST went to the API once.
      expect(status).toBe(401)
      expect(server.requestsTo('/api/redirect').map((r) => r.method)).toEqual(['POST'])
      expect(elsewhere.received.map((r) => r.method)).toEqual(['POST'])
      // The next API request carries the API's nonce, not the other origin's: it is sent once.
      const before = server.requestsTo('/api/me').length
      expect(await me(page)).toEqual([200])
      const next = server.requestsTo('/api/me').slice(before)
      expect(next.map((r) => [r.status, nonceIn(r.headers.dpop)])).toEqual([[200, server.dpop!.nonce]])
    } finally {
      await elsewhere.close()
      await server.close()
    }
  })
})
