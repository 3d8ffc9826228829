import type { Page } from '@playwright/test'
import { needs } from './engines/limits.js'
import { expect, stopWorkers, test } from './fixtures.js'

/** The running status of every version of `origin`'s workers, as Chromium reports them now. */
async function statuses(page: Page, origin: string): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page)
  const seen = new Map<string, string>()
  const reported = new Promise<void>((resolve) => {
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      for (const v of versions as { versionId: string; scriptURL: string; runningStatus: string; status: string }[]) {
        if (v.scriptURL.startsWith(`${origin}/`) && v.status === 'activated') seen.set(v.versionId, v.runningStatus)
      }
      resolve()
    })
  })
  await cdp.send('ServiceWorker.enable')
  await reported
  await cdp.detach()
  return [...seen.values()]
}

test.describe('B2 no cost: static routes', () => {
  test('no-cors requests go to the network without starting the worker; an API request starts it (Chromium only: the Static Routing API, and CDP to see the worker stopped, are Chromium\'s)', async ({ page, server, openConsole, login }) => {
    needs('staticRouting')
    await openConsole(page)
    const { accessToken } = await login(page)
    await stopWorkers(page)
    expect(await statuses(page, server.url)).toEqual(['stopped'])

    // A no-cors image, answered by the server, without the worker. (Chromium 156 starts the worker for
    // a navigation all the same, to serve the new page's requests: measured, so not asserted here;
    // the navigation itself still goes to the network without a fetch event.)
    await page.evaluate(() => {
      const image = new Image()
      image.src = '/apix/echo?as=image'
      document.body.append(image)
    })
    await expect.poll(() => server.requestsTo('/apix/echo').length).toBe(1)
    expect(await statuses(page, server.url)).toEqual(['stopped'])

    // An API request is the worker's: it starts, and the token goes.
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    expect(server.requestsTo('/api/me').map((r) => r.authorization)).toEqual([`Bearer ${accessToken}`])
    expect(await statuses(page, server.url)).not.toEqual(['stopped'])
  })
})
