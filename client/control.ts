import { failed, TokenProxyError } from '../common/errors.js'
import { PROTOCOL_VERSION, type Answer, type PageMessage, type Unversioned, type WorkerMessage } from '../common/protocol.js'

/** The worker's answer to a page message. */
export type Result = Extract<WorkerMessage, { type: 'RESULT' }>

/**
 * Sends one message to a worker and resolves with its `RESULT`, which comes
 * back on a `MessageChannel` (as in Workbox's `messageSW`). Rejects only when
 * no answer came within `timeout`; `what` names the caller's action in that
 * error: "Failed to <what>: …".
 */
export function resultOf(worker: ServiceWorker, message: Unversioned<PageMessage>, timeout: number, what: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel()
    const timer = setTimeout(() => {
      channel.port1.close()
      reject(new TokenProxyError(failed(what, `the worker did not answer ${message.type} within ${timeout} ms`)))
    }, timeout)
    channel.port1.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
      clearTimeout(timer)
      channel.port1.close()
      resolve(data?.type === 'RESULT' ? data : { type: 'RESULT', ok: false, error: 'bad answer', version: 0, tokenProxy: PROTOCOL_VERSION })
    }
    worker.postMessage({ tokenProxy: PROTOCOL_VERSION, ...message }, [channel.port2])
  })
}

/** Like `resultOf`, and a refusal rejects too, with the worker's reason. */
export async function ask(worker: ServiceWorker, message: Unversioned<PageMessage>, timeout: number, what: string): Promise<Answer> {
  const result = await resultOf(worker, message, timeout, what)
  if (!result.ok) throw new TokenProxyError(failed(what, `the worker refused ${message.type}: ${result.error}`))
  return result
}

/**
 * The error for a worker that refused a message because it could not start
 * the proxy (a refusal in this page's protocol version; one of another
 * version is a deployment in progress, not a failure).
 */
export function startFailure(worker: ServiceWorker, result: Result, what: string): TokenProxyError | undefined {
  if (result.ok || result.version !== PROTOCOL_VERSION) return undefined
  return new TokenProxyError(failed(what, `the worker at ${new URL(worker.scriptURL).pathname} could not start: ${result.error}`))
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
    timer = setTimeout(() => reject(new TokenProxyError(failed(what, `the worker did not take control of the page within ${timeout} ms`))), timeout)
  })
  controlled.catch(() => {}) // awaited below when needed; never an unhandled rejection
  try {
    const registration = await Promise.race([container.ready, controlled])
    const active = registration?.active
    if (active && !container.controller) {
      const claimed = await resultOf(active, { type: 'CLAIM' }, timeout, what)
      const failure = startFailure(active, claimed, what)
      if (failure) throw failure
      if (!claimed.ok) throw new TokenProxyError(failed(what, `the worker refused CLAIM: ${claimed.error}`))
    }
    if (!container.controller) await controlled
  } finally {
    clearTimeout(timer)
  }
  return container.controller!
}
