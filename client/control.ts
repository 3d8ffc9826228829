import { failed, TokenProxyError } from '../common/errors.js'
import { PROTOCOL_VERSION, type PageMessage, type Unversioned, type WorkerMessage } from '../common/protocol.js'

/**
 * Sends one message to a worker and waits for its `RESULT` on a
 * `MessageChannel` (the answer comes back on the port, as in Workbox's
 * `messageSW`). `what` names the caller's action in an error: "Failed to
 * <what>: …".
 */
export function ask(worker: ServiceWorker, message: Unversioned<PageMessage>, timeout: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel()
    const timer = setTimeout(() => {
      channel.port1.close()
      reject(new TokenProxyError(failed(what, `the worker did not answer ${message.type} within ${timeout} ms`)))
    }, timeout)
    channel.port1.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
      clearTimeout(timer)
      channel.port1.close()
      if (data?.type === 'RESULT' && data.ok) resolve()
      else reject(new TokenProxyError(failed(what, `the worker refused ${message.type}: ${data?.type === 'RESULT' && !data.ok ? data.error : 'bad answer'}`)))
    }
    worker.postMessage({ tokenProxy: PROTOCOL_VERSION, ...message }, [channel.port2])
  })
}

/**
 * Resolves once the page is controlled. After a first visit or a hard reload
 * the page has no controller although the worker is active: ask the worker
 * to claim it, and wait for `controllerchange`. Never reloads the page.
 */
export async function waitForControl(container: ServiceWorkerContainer, timeout: number): Promise<ServiceWorker> {
  if (container.controller) return container.controller
  const what = 'register the token proxy'
  let timer: ReturnType<typeof setTimeout> | undefined
  const controlled = new Promise<void>((resolve, reject) => {
    container.addEventListener('controllerchange', () => resolve(), { once: true })
    timer = setTimeout(
      () => reject(new TokenProxyError(failed(what, `the worker did not take control of the page within ${timeout} ms; check that its scope covers ${location.pathname}`))),
      timeout,
    )
  })
  controlled.catch(() => {}) // awaited below when needed; never an unhandled rejection
  try {
    const registration = await Promise.race([container.ready, controlled])
    if (registration && !container.controller && registration.active) {
      await ask(registration.active, { type: 'CLAIM' }, timeout, what)
    }
    if (!container.controller) await controlled
  } finally {
    clearTimeout(timer)
  }
  return container.controller!
}
