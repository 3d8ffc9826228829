import type { Aborts } from './abort.js'
import type { TokenStore } from './coordinator.js'
import { jwtExpiry } from './tokens.js'
import { checkTokens, fromOwnWindow, isPageMessage, PROTOCOL_VERSION, type PageMessage, type Unversioned, type WorkerMessage } from './protocol.js'

declare const self: ServiceWorkerGlobalScope

/** Sends a message to every window of the origin in the worker's scope, controlled or not. */
export async function broadcast(message: Unversioned<WorkerMessage>): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  for (const client of windows) client.postMessage({ tokenProxy: PROTOCOL_VERSION, ...message })
}

async function handle(message: PageMessage, store: TokenStore, logout: () => Promise<void>, aborts: Aborts): Promise<void> {
  switch (message.type) {
    case 'HELLO':
      return
    case 'SET_TOKENS': {
      const problem = checkTokens(message.tokens)
      if (problem) throw new Error(problem)
      const { accessToken, refreshToken, expiresAt = jwtExpiry(accessToken, Date.now()) } = message.tokens
      await store.write({ accessToken, refreshToken, expiresAt })
      return
    }
    case 'LOGOUT':
      await logout()
      return
    case 'CLAIM':
      await self.clients.claim()
      return
    case 'ABORT':
      if (typeof message.id === 'string') aborts.abort(message.id)
      return
    case 'EXPIRE': {
      const tokens = await store.read()
      if (!tokens) throw new Error('there are no tokens to expire')
      await store.write({ ...tokens, expiresAt: Date.now() })
      return
    }
  }
}

/**
 * Answers the page's messages. Only the documented messages from windows of
 * this origin are read; anything else is ignored. Each answer goes back on
 * the port the page sent, and never holds a token.
 */
export function listenForMessages(store: TokenStore, logout: () => Promise<void>, aborts: Aborts): void {
  self.addEventListener('message', (event) => {
    if (!fromOwnWindow(event.source as Client | null, self.location.origin) || !isPageMessage(event.data)) return
    const port = event.ports[0]
    const reply = (message: Unversioned<WorkerMessage>) => port?.postMessage({ tokenProxy: PROTOCOL_VERSION, ...message })
    const fail = (error: string) => reply({ type: 'RESULT', ok: false, error, version: PROTOCOL_VERSION })
    if (event.data.tokenProxy !== PROTOCOL_VERSION) {
      // A page of another version: say so rather than guess what it meant.
      fail(`the page speaks token proxy protocol ${event.data.tokenProxy}, this worker ${PROTOCOL_VERSION}`)
      return
    }
    event.waitUntil(
      handle(event.data, store, logout, aborts).then(
        () => reply({ type: 'RESULT', ok: true }),
        (error: unknown) => fail(String((error as Error)?.message ?? error)),
      ),
    )
  })
}
