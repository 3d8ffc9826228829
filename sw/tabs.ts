import { isPageMessage, PROTOCOL_VERSION, type Answers, type PageMessage, type PageMessageType, type Unversioned, type WorkerMessage } from '../common/protocol.js'
import { fromOwnWindow } from './sources.js'

declare const self: ServiceWorkerGlobalScope

/**
 * Everything the worker says to the pages and hears from them: the only
 * module that posts or reads a message.
 */

/** Sends a message to every window of the origin in the worker's scope, controlled or not. */
export async function tellTabs(message: Unversioned<WorkerMessage>): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  for (const client of windows) client.postMessage({ tokenProxy: PROTOCOL_VERSION, ...message })
}

/**
 * What the worker does for each page message: what it returns goes into the
 * `RESULT` (its type, `Answers`, per message); a handler that throws is
 * answered with its error's message and class name.
 */
export type PageHandlers = {
  [T in PageMessageType]: (message: Extract<PageMessage, { type: T }>) => Promise<Answers[T] | void> | Answers[T] | void
}

/** An error as it crosses to the page: its message, and its class name for the page to throw the same. */
const refusal = (error: unknown) => ({ error: String((error as Error)?.message ?? error), name: (error as Error)?.name })

/**
 * Answers the page's messages. Only the documented messages from windows of
 * this origin are read; anything else is ignored. Each answer goes back on
 * the port the page sent, and never holds a token.
 */
export function listenToTabs(handlers: PageHandlers): void {
  self.addEventListener('message', (event) => {
    if (!fromOwnWindow(event.source as Client | null, self.location.origin) || !isPageMessage(event.data)) return
    const port = event.ports[0]
    const reply = (message: Unversioned<WorkerMessage>) => port?.postMessage({ tokenProxy: PROTOCOL_VERSION, ...message })
    const refuse = (error: unknown) => reply({ type: 'RESULT', ok: false, ...refusal(error), version: PROTOCOL_VERSION })
    const message = event.data
    if (message.tokenProxy !== PROTOCOL_VERSION) {
      // A page of another version: say so rather than guess what it meant.
      refuse(`the page speaks token proxy protocol ${message.tokenProxy}, this worker ${PROTOCOL_VERSION}`)
      return
    }
    const handler = handlers[message.type] as (message: PageMessage) => Promise<object | void> | object | void
    event.waitUntil(
      Promise.resolve()
        .then(() => handler(message))
        .then(
          (answer) => reply({ type: 'RESULT', ok: true, ...answer }),
          (error: unknown) => refuse(error),
        ),
    )
  })
}

/**
 * For a worker that could not start the proxy (invalid options): answers
 * every page message with the reason, so that `registerTokenProxy` fails at
 * once and says why, instead of waiting for an answer that never comes.
 */
export function refuseTabs(reason: unknown): void {
  self.addEventListener('message', (event) => {
    if (!fromOwnWindow(event.source as Client | null, self.location.origin) || !isPageMessage(event.data)) return
    event.ports[0]?.postMessage({ tokenProxy: PROTOCOL_VERSION, type: 'RESULT', ok: false, ...refusal(reason), version: PROTOCOL_VERSION })
  })
}
