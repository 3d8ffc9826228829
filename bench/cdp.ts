import type { Browser, CDPSession } from '@playwright/test'

/**
 * A CDP session with the origin's running service worker. Playwright gives
 * sessions for pages only, so this goes through the browser session's target
 * messages.
 */
export async function workerSession(browser: Browser, origin: string) {
  const cdp: CDPSession = await browser.newBrowserCDPSession()
  const { targetInfos } = await cdp.send('Target.getTargets')
  const target = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(origin))
  if (!target) throw new Error(`no service worker running for ${origin}`)
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false })
  let lastId = 0
  const call = <T>(method: string, params: object = {}): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++lastId
      const listener = ({ message }: { message: string }) => {
        const answer = JSON.parse(message) as { id?: number; result?: T; error?: { message: string } }
        if (answer.id !== id) return
        cdp.off('Target.receivedMessageFromTarget', listener)
        if (answer.error) reject(new Error(`${method}: ${answer.error.message}`))
        else resolve(answer.result!)
      }
      cdp.on('Target.receivedMessageFromTarget', listener)
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
    })
  return {
    call,
    /** The heap in use and the ArrayBuffer backing stores, after a garbage collection. */
    async sample(): Promise<{ heap: number; buffers: number }> {
      await call('HeapProfiler.collectGarbage')
      const usage = await call<{ usedSize: number; backingStorageSize?: number }>('Runtime.getHeapUsage')
      return { heap: usage.usedSize, buffers: usage.backingStorageSize ?? Number.NaN }
    },
    detach: () => cdp.detach(),
  }
}
