import { createHash } from 'node:crypto'
import type { Page } from '@playwright/test'
import { startDemoServer } from '../demo/server/app.js'
import { can, lacks } from './engines/limits.js'
import { expect, loginThroughPage, storedTokens, test, workerQuery } from './fixtures.js'
import { forwardApi, SIMPLEJWT_OPTIONS, startSimpleJwt, type SimpleJwt } from './simplejwt.js'

/**
 * B18: the worker speaks the server's names. Against a real Django REST
 * framework SimpleJWT server (Debian's Django 3.2, DRF 3.14, SimpleJWT 5.2),
 * forwarded on the page's origin, rotation and blacklisting on; and against
 * the demo server's `snake` protocol, the names of many servers of one's own.
 */

const me = (page: Page, count = 1, path = '/api/me/') =>
  page.evaluate(({ count, path }) => Promise.all(Array.from({ length: count }, async (_, i) => (await fetch(`${path}?i=${i}`)).status)), { count, path })

async function withSimpleJwt(run: (django: SimpleJwt) => Promise<void>, options?: { accessSeconds?: number }): Promise<void> {
  const django = await startSimpleJwt(options)
  try {
    await run(django)
  } finally {
    await django.close()
  }
}

test.describe('B18 the server\'s names: Django REST framework SimpleJWT', () => {
  test('B18 the login at TokenObtainPairView is kept by the worker: the page gets no token, API views take the access token', async ({ page, server, openConsole }) => {
    await withSimpleJwt(async (django) => {
      forwardApi(server, django)
      await openConsole(page, `stay&${workerQuery(SIMPLEJWT_OPTIONS)}`)
      const answer = await loginThroughPage(page, { path: '/api/token/' })
      expect(answer).toEqual({ status: 200, proxy: null, body: {} })
      const stored = (await storedTokens(page)) as { accessToken: string; refreshToken: string; expiresAt: number; obtainedAt: number }
      expect(stored.accessToken).toMatch(/^ey/)
      expect(stored.refreshToken).toMatch(/^ey/)
      // The lifetime comes from the JWT's exp - iat: 60 s.
      expect(stored.expiresAt - stored.obtainedAt).toBe(60_000)
      expect(await page.evaluate(async () => (await (await fetch('/api/me/')).json()) as unknown)).toEqual({ user: 'ada' })
      expect(server.requestsTo('/api/me/').map((r) => r.authorization)).toEqual([`Bearer ${stored.accessToken}`])
    })
  })

  test("B18 without fields, SimpleJWT's login answer is not handed to the page: a 502 that names the fields and the option", async ({ page, server, openConsole }) => {
    await withSimpleJwt(async (django) => {
      forwardApi(server, django)
      const { fields: _, ...unmapped } = SIMPLEJWT_OPTIONS
      await openConsole(page, `stay&${workerQuery(unmapped)}`)
      const answer = await loginThroughPage(page, { path: '/api/token/' })
      expect(answer).toEqual({
        status: 502,
        proxy: 'token-answer-unread',
        body: { error: 'token_answer_unread', reason: expect.stringContaining("'refresh', 'access'") },
      })
      expect((answer.body as { reason: string }).reason).toContain('`fields`')
      expect(JSON.stringify(answer)).not.toMatch(/ey[\w-]{10,}\./)
      expect(await storedTokens(page)).toBeUndefined()
    })
  })

  test('B18 + B10 a burst across expiry costs N + 1 server requests: one refresh first, then the burst, all 200', async ({ page, server, openConsole }) => {
    await withSimpleJwt(
      async (django) => {
        forwardApi(server, django)
        await openConsole(page, `stay&${workerQuery(SIMPLEJWT_OPTIONS)}`)
        await loginThroughPage(page, { path: '/api/token/' })
        // A 4 s token is refreshed in the last half of its life: wait until the stored one is there.
        const { expiresAt } = (await storedTokens(page)) as { expiresAt: number }
        await expect.poll(() => Date.now() >= expiresAt - 2_000, { timeout: 5_000, intervals: [50] }).toBe(true)
        expect(await me(page, 20)).toEqual(Array(20).fill(200))
        expect(server.requestsTo('/api/token/refresh/').map((r) => r.status)).toEqual([200])
        expect(server.requestsTo('/api/me/').map((r) => r.status)).toEqual(Array(20).fill(200))
      },
      { accessSeconds: 4 },
    )
  })

  test('B18 + B3 + B11 two tabs at expiry: one refresh, rotation with blacklisting never trips, and the spent refresh token is never presented again', async ({ page, context, server, openConsole }) => {
    await withSimpleJwt(async (django) => {
      forwardApi(server, django)
      await openConsole(page, `stay&${workerQuery(SIMPLEJWT_OPTIONS)}`)
      const other = await openConsole(await context.newPage(), `stay&${workerQuery(SIMPLEJWT_OPTIONS)}`)
      await loginThroughPage(page, { path: '/api/token/' })
      for (let round = 1; round <= 2; round++) {
        await django.expireAccessTokens()
        const statuses = (await Promise.all([me(page, 5), me(other, 5)])).flat()
        expect(statuses).toEqual(Array(10).fill(200))
        // A blacklisted refresh token presented again would get 401 and end the session.
        expect(server.requestsTo('/api/token/refresh/').map((r) => r.status)).toEqual(Array(round).fill(200))
      }
      for (const tab of [page, other]) expect(await tab.evaluate(() => window.tokenProxyEvents.filter((e) => e.type === 'logout'))).toEqual([])
    })
  })

  test('B18 + B5 a POST body is intact across the refresh', async ({ page, server, openConsole }) => {
    await withSimpleJwt(async (django) => {
      forwardApi(server, django)
      await openConsole(page, `stay&${workerQuery(SIMPLEJWT_OPTIONS)}`)
      await loginThroughPage(page, { path: '/api/token/' })
      await django.expireAccessTokens()
      const body = JSON.stringify({ note: 'tea, scones and jam', n: [1, 2, 3] })
      const answer = await page.evaluate(
        async (body) => (await (await fetch('/api/echo/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).json()) as unknown,
        body,
      )
      expect(answer).toEqual({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), contentType: 'application/json' })
      expect(server.requestsTo('/api/echo/').map((r) => r.status)).toEqual([401, 200])
      expect(server.requestsTo('/api/token/refresh/').map((r) => r.status)).toEqual([200])
    })
  })

  test("B18 + B7 the blacklisted refresh token's 401 logs every tab out", async ({ page, context, server, openConsole }) => {
    await withSimpleJwt(async (django) => {
      forwardApi(server, django)
      await openConsole(page, `stay&${workerQuery(SIMPLEJWT_OPTIONS)}`)
      const other = await openConsole(await context.newPage(), `stay&${workerQuery(SIMPLEJWT_OPTIONS)}`)
      await loginThroughPage(page, { path: '/api/token/' })
      await django.revokeRefreshTokens()
      await django.expireAccessTokens()
      expect(await me(page)).toEqual([401])
      expect(server.requestsTo('/api/token/refresh/').map((r) => r.status)).toEqual([401])
      for (const tab of [page, other]) {
        await expect.poll(() => tab.evaluate(() => window.tokenProxyEvents)).toEqual([{ type: 'logout', reason: 'refresh-rejected' }])
      }
      expect(await storedTokens(page)).toBeUndefined()
    })
  })
})

test.describe("B18 the server's names: a refresh endpoint that reads refresh_token", () => {
  test('B18 + B8 without fields the refresh is refused 400; the page learns why, the console names the fix, and the endpoint is then asked with a growing pause', async ({ page, context }) => {
    const server = await startDemoServer({ accessTtlMs: 60_000, protocol: 'snake' })
    const logged: string[] = []
    if (!lacks('workerConsole')) context.on('console', (message) => void (message.worker() && logged.push(message.text())))
    try {
      await page.goto(`${server.url}/console?stay`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      // The login answer's snake_case names are among those read by default.
      expect(await loginThroughPage(page)).toEqual({ status: 200, proxy: null, body: { user: 'ada' } })
      server.auth.expireAccessTokens()
      const answer = async () =>
        page.evaluate(async () => {
          const response = await fetch('/api/me')
          return { status: response.status, body: (await response.json()) as { reason?: string } }
        })
      const first = await answer()
      expect(first).toEqual({
        status: 503,
        body: { error: 'token_refresh_unavailable', reason: 'status 400 (error: invalid_request; error_description: refresh_token is required)' },
      })
      // Once more after the first failure, then the pause: three more requests, no more refreshes.
      for (let i = 0; i < 4; i++) expect((await answer()).status).toBe(503)
      expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([400, 400])
      expect(await page.evaluate(() => window.tokenProxy.session())).toMatchObject({ active: true })
      if (can('workerConsole')) expect(logged.filter((line) => line.includes('`fields.refreshToken`'))).toHaveLength(1)
    } finally {
      await server.close()
    }
  })

  test('B18 with fields: { refreshToken: "refresh_token" } it refreshes, one refresh for a burst', async ({ page }) => {
    const server = await startDemoServer({ accessTtlMs: 60_000, protocol: 'snake' })
    try {
      await page.goto(`${server.url}/console?stay&${workerQuery({ fields: { refreshToken: 'refresh_token' } })}`)
      await expect(page.locator('#state')).toHaveAttribute('data-ready', 'true')
      await loginThroughPage(page)
      server.auth.expireAccessTokens()
      expect(await me(page, 10, '/api/me')).toEqual(Array(10).fill(200))
      expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([200])
      expect(server.auth.stats.reuseDetections).toBe(0)
    } finally {
      await server.close()
    }
  })

  test('B18 a multi-step login answer with no token ({"mfa_required": true}) reaches the page as it is', async ({ page, server, openConsole }) => {
    server.mount('/mfa', (req, res) => {
      req.resume()
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ mfa_required: true, id_token_hint: 'x', id_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.' }))
    })
    await openConsole(page, `stay&${workerQuery({ loginUrl: '/mfa/login' })}`)
    expect(await loginThroughPage(page, { path: '/mfa/login' })).toEqual({
      status: 200,
      proxy: null,
      body: { mfa_required: true, id_token_hint: 'x', id_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.' },
    })
    expect(await storedTokens(page)).toBeUndefined()
  })
})
