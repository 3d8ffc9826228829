import { test as base, expect, type Page } from '@playwright/test'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import type { Tokens } from '../sw/protocol.js'

export { expect }

interface Fixtures {
  /** A fresh demo server on its own port, so every test has its own origin, worker and IndexedDB. */
  server: DemoServer
  /** Opens the console page (the proxy registered, nothing else) and waits until the worker controls it. */
  openConsole: (page?: Page) => Promise<Page>
  /** Logs a user in at the server and hands the tokens to the worker through `setTokens`. */
  login: (page: Page) => Promise<Tokens>
}

export const test = base.extend<Fixtures>({
  server: async ({}, use) => {
    const server = await startDemoServer({ accessTtlMs: 60_000 })
    await use(server)
    await server.close()
  },
  openConsole: async ({ server, page, context }, use) => {
    await use(async (target = page) => {
      const tab = target ?? (await context.newPage())
      await tab.goto(`${server.url}/console`)
      await expect(tab.locator('#state')).toHaveAttribute('data-ready', 'true')
      return tab
    })
  },
  login: async ({ server }, use) => {
    await use(async (page) => {
      const { accessToken, refreshToken, expiresIn } = server.auth.login('ada')
      const tokens = { accessToken, refreshToken, expiresAt: Date.now() + expiresIn * 1000 }
      await page.evaluate((t) => window.tokenProxy.setTokens(t), tokens)
      return tokens
    })
  },
})

/** The `Authorization` headers the server received on `path`, in order. */
export const authorizations = (server: DemoServer, path: string) =>
  server.requestsTo(path).map((r) => r.authorization)

/**
 * Stops every service worker of the browser, as Chrome does to an idle one,
 * and resolves once one reported itself stopped.
 */
export async function stopWorkers(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('ServiceWorker.enable')
  const stopped = new Promise<void>((resolve) => {
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      if (versions.some((v) => v.runningStatus === 'stopped')) resolve()
    })
  })
  await cdp.send('ServiceWorker.stopAllWorkers')
  await stopped
  await cdp.detach()
}

/** Reads the tokens the worker persisted, straight from IndexedDB (any same-origin script can). */
export function storedTokens(page: Page): Promise<unknown> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('sw-token-proxy')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const db = open.result
          if (!db.objectStoreNames.contains('tokens')) return resolve(undefined)
          const get = db.transaction('tokens').objectStore('tokens').get('tokens')
          get.onsuccess = () => resolve(get.result)
          get.onerror = () => reject(get.error)
        }
      }),
  )
}
