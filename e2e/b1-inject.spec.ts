import { expect, test, authorizations } from './fixtures.js'

test.describe('B1 inject', () => {
  test('fetch GET and POST under apiPrefix carry the access token', async ({ page, server, openConsole, login }) => {
    await openConsole()
    const { accessToken } = await login(page)
    const statuses = await page.evaluate(async () => [
      (await fetch('/api/me')).status,
      (await fetch('/api/echo', { method: 'POST', body: 'hi' })).status,
    ])
    expect(statuses).toEqual([200, 200])
    expect(authorizations(server, '/api/me')).toEqual([`Bearer ${accessToken}`])
    expect(authorizations(server, '/api/echo')).toEqual([`Bearer ${accessToken}`])
  })

  test('axios (XHR adapter) GET, POST, PUT, PATCH and DELETE carry the access token', async ({ page, server, openConsole, login }) => {
    await openConsole()
    const { accessToken } = await login(page)
    const statuses = await page.evaluate(async () => {
      const http = window.tokenProxy.http
      const xhr = { adapter: 'xhr' } as const
      return [
        (await http.get('/api/me', xhr)).status,
        (await http.post('/api/echo', { a: 1 }, xhr)).status,
        (await http.put('/api/echo', { a: 2 }, xhr)).status,
        (await http.patch('/api/echo', { a: 3 }, xhr)).status,
        (await http.delete('/api/echo', xhr)).status,
      ]
    })
    expect(statuses).toEqual([200, 200, 200, 200, 200])
    expect(authorizations(server, '/api/me')).toEqual([`Bearer ${accessToken}`])
    expect(server.requestsTo('/api/echo').map((r) => [r.method, r.authorization])).toEqual(
      ['POST', 'PUT', 'PATCH', 'DELETE'].map((m) => [m, `Bearer ${accessToken}`]),
    )
  })

  test('methods Workbox does not route (PROPFIND) carry the token too, and are replayed', async ({ page, server, openConsole, login }) => {
    await openConsole()
    await login(page)
    server.auth.expireAccessTokens()
    expect(await page.evaluate(async () => (await fetch('/api/echo', { method: 'PROPFIND', body: '<propfind/>' })).status)).toBe(200)
    const [first, replay] = server.requestsTo('/api/echo')
    expect([first!.method, first!.status, replay!.method, replay!.status]).toEqual(['PROPFIND', 401, 'PROPFIND', 200])
    expect(replay!.authorization).toMatch(/^Bearer /)
    expect(replay!.bodySha256).toBe(first!.bodySha256)
  })

  test('a request with its own Authorization is left as the page wrote it', async ({ page, server, openConsole, login }) => {
    await openConsole()
    await login(page)
    const status = await page.evaluate(async () => (await fetch('/api/me', { headers: { Authorization: 'Bearer mine' } })).status)
    expect(status).toBe(401)
    expect(authorizations(server, '/api/me')).toEqual(['Bearer mine'])
    expect(server.requestsTo('/api/auth/refresh')).toHaveLength(0)
  })
})
