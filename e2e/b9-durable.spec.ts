import { expect, restartablePage, stopWorkers, test } from './fixtures.js'
import { needs } from './engines/limits.js'

test.describe('B9 durable', () => {
  test('a worker stopped by the browser and restarted needs no refresh and no login (Chromium stops it by CDP, Firefox when it idles; not in WebKit)', async ({ page: shared, server, openConsole, login }) => {
    needs('stopWorker')
    const { page, close } = await restartablePage(shared)
    try {
      await openConsole(page)
      await login(page)
      server.auth.expireAccessTokens()
      // A refresh rotates both tokens: the new ones must be in IndexedDB, not only in memory.
      expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
      expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
      const rotated = server.requestsTo('/api/me').at(-1)!.authorization

      await stopWorkers(page)
      expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
      expect(server.requestsTo('/api/me').at(-1)!.authorization).toBe(rotated)
      expect(server.requestsTo('/api/auth/refresh')).toHaveLength(1)
      expect(page.url()).toBe(`${server.url}/console`)

      // And the rotated refresh token is the one kept: the next expiry refreshes without reuse.
      server.auth.expireAccessTokens()
      await stopWorkers(page)
      expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
      expect(server.requestsTo('/api/auth/refresh').map((r) => r.status)).toEqual([200, 200])
      expect(server.auth.stats.reuseDetections).toBe(0)
    } finally {
      await close()
    }
  })
})
