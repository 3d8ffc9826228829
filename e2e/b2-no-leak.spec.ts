import type { Response } from '@playwright/test'
import { startDemoServer } from '../demo/server/app.js'
import { authorizations, expect, test } from './fixtures.js'
import { can, lacks } from './engines/limits.js'

test.describe('B2 no leak, no cost', () => {
  test('/apix, no-cors and another origin get no token and are not handled by the worker', async ({ page, server, openConsole, login }) => {
    const other = await startDemoServer()
    try {
      await openConsole()
      const { accessToken } = await login(page)
      const responses: Response[] = []
      if (!lacks('pageEvents')) page.on('response', (r) => responses.push(r))
      const statuses = await page.evaluate(async (otherUrl) => [
        (await fetch('/api/me')).status,
        (await fetch('/apix/echo')).status,
        (await fetch('/api/echo?no-cors', { mode: 'no-cors' })).status,
        (await fetch(`${otherUrl}/api/echo`)).status,
      ], other.url)
      expect(statuses).toEqual([200, 200, 401, 401])

      // The control: the API request went through the worker with the token.
      expect(authorizations(server, '/api/me')).toEqual([`Bearer ${accessToken}`])
      // Everything else went straight to the network, untouched.
      expect(authorizations(server, '/apix/echo')).toEqual([null])
      expect(authorizations(server, '/api/echo')).toEqual([null])
      expect(authorizations(other, '/api/echo')).toEqual([null])
      if (can('pageEvents')) {
        if (can('workerNetwork')) expect(responses.find((r) => r.url().endsWith('/api/me'))?.fromServiceWorker()).toBe(true)
        for (const path of ['/apix/echo', '/api/echo?no-cors', `${other.url}/api/echo`]) {
          const response = responses.find((r) => r.url().endsWith(path))
          expect(response, path).toBeDefined()
          if (can('workerNetwork')) expect(response!.fromServiceWorker(), path).toBe(false)
        }
      }
    } finally {
      await other.close()
    }
  })

  test('a navigation to an API URL gets no token', async ({ page, server, openConsole, login }) => {
    await openConsole()
    await login(page)
    const response = await page.goto(`${server.url}/api/me`)
    if (can('workerNetwork')) expect(response?.fromServiceWorker()).toBe(false)
    // As the server saw and answered it: the same in every engine.
    expect(server.requestsTo('/api/me').map(({ status, authorization }) => ({ status, authorization }))).toEqual([{ status: 401, authorization: null }])
  })
})
