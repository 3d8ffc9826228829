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
