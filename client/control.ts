import { failed, TokenProxyError, TokenProxyOptionsError } from '../common/errors.js'
import { PROTOCOL_VERSION, type Answers, type PageMessage, type Unversioned, type WorkerMessage } from '../common/protocol.js'

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

/** The page's error for a worker's refusal: a `TokenProxyOptionsError` when the worker's was one. */
const refused = (result: Extract<Result, { ok: false }>, what: string, reason: string) =>
  new (result.name === 'TokenProxyOptionsError' ? TokenProxyOptionsError : TokenProxyError)(failed(what, reason))

/** Like `resultOf`, and a refusal rejects too, with the worker's reason; resolves with the answer of the message's type (fields the page still checks). */
export async function ask<M extends Unversioned<PageMessage>>(worker: ServiceWorker, message: M, timeout: number, what: string): Promise<Partial<Answers[M['type']]>> {
  const result = await resultOf(worker, message, timeout, what)
  if (!result.ok) throw refused(result, what, `the worker refused ${message.type}: ${result.error}`)
  return result as Partial<Answers[M['type']]>
}

/**
 * The error for a worker that refused a message because it could not start
 * the proxy (a refusal in this page's protocol version; one of another
 * version is a deployment in progress, not a failure).
 */
export function startFailure(worker: ServiceWorker, result: Result, what: string): TokenProxyError | undefined {
  if (result.ok || result.version !== PROTOCOL_VERSION) return undefined
  return refused(result, what, `the worker at ${new URL(worker.scriptURL).pathname} could not start: ${result.error}`)
}

/** The script URL of a registration's newest worker. */
export const scriptOf = (registration: ServiceWorkerRegistration): string | undefined => (registration.active ?? registration.waiting ?? registration.installing)?.scriptURL

/**
 * Whether the registration can control this page: its scope covers the
 * page, and no other registration's narrower scope does (the browser gives
 * the page to the most specific one), unless that one runs the same worker
 * with the same options. Returns the other registration when it is in the way.
 */
export async function inScope(container: ServiceWorkerContainer, registration: ServiceWorkerRegistration, scriptUrl: string): Promise<{ ok: boolean; serving?: ServiceWorkerRegistration | undefined }> {
  if (!location.href.startsWith(registration.scope)) return { ok: false }
  const serving = await container.getRegistration(location.href)
  return { ok: !serving || serving.scope === registration.scope || scriptOf(serving) === scriptUrl, serving }
}
