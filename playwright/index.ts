/**
 * Fixtures for an app's own Playwright suite (`sw-token-proxy/playwright`):
 * wait until the worker controls the page, hand it tokens, expire the access
 * token now, stop and restart the worker, and read the proxy's events.
 * Stopping and restarting use the Chrome DevTools Protocol: Chromium only;
 * in other engines they reject with an error naming the engine, and the
 * rest works.
 */
import {
  test as base,
  type BrowserContext,
  type CDPSession,
  type Page,
  type PlaywrightTestArgs,
  type PlaywrightTestOptions,
  type PlaywrightWorkerArgs,
  type PlaywrightWorkerOptions,
  type TestType,
} from '@playwright/test'
import { isWorkerMessage, PROTOCOL_VERSION, type Answer, type LogoutReason, type PageMessage, type RefreshReason, type Session, type Unversioned } from '../common/protocol.js'
import type { Tokens } from '../common/tokens.js'
import { DB_NAME, STORE_NAME, TOKENS_KEY } from '../common/storage.js'

export type { Tokens }

/** An event of the proxy, as the page's `proxy.on` hears it from the worker. */
export type TokenProxyEvent =
  /** `resource`: the API of `resources` whose token was refreshed; absent for the login's token. */
  | { type: 'refresh'; reason: RefreshReason; resource?: string }
  | { type: 'logout'; reason: LogoutReason }
  | { type: 'session'; session: Session }

/** A message a service worker posted to the page, as the page received it: recorded raw, read with the protocol module. */
export interface ReceivedMessage {
  data: unknown
  /** Whether it came from the page's controller at the time. */
  fromController: boolean
}

/**
 * The proxy's events in `messages`, as the page module makes them (see
 * `registerTokenProxy`): messages of the protocol, of any version; refreshes
 * and session changes from the page's own controller, a LOGOUT from any
 * worker of the origin.
 */
export function eventsOf(messages: readonly ReceivedMessage[]): TokenProxyEvent[] {
  const events: TokenProxyEvent[] = []
  for (const { data, fromController } of messages) {
    if (!isWorkerMessage(data)) continue
    if (data.type === 'LOGOUT') events.push({ type: 'logout', reason: data.reason })
    if (!fromController) continue
    if (data.type === 'REFRESHED') events.push(data.resource === undefined ? { type: 'refresh', reason: data.reason } : { type: 'refresh', reason: data.reason, resource: data.resource })
    if (data.type === 'SESSION') events.push({ type: 'session', session: data.session })
  }
  return events
}

export interface TokenProxyHelper {
  /** Resolves once a service worker controls the page (`registerTokenProxy` resolves at the same point). */
  waitForControl(options?: { timeout?: number }): Promise<void>
  /** Hands tokens to the worker, as `proxy.setTokens` does. */
  setTokens(tokens: Tokens): Promise<void>
  /** Makes the worker take the stored access token as expired: the next API request refreshes it first. */
  expireAccessToken(): Promise<void>
  /** Clears the tokens everywhere; every tab gets LOGOUT. */
  logout(): Promise<void>
  /** Stops the page's worker, as the browser does to an idle one. The next request starts it again. */
  stopWorker(): Promise<void>
  /** Stops the page's worker and starts it again; resolves once it runs. */
  restartWorker(): Promise<void>
  /** Whether the page's worker runs now, as the browser reports it. */
  workerStatus(): Promise<WorkerStatus>
  /** The proxy's events this page received since it loaded, in order, as `proxy.on` hears them. Needs `recordTokenProxyEvents` (the `test` fixture calls it). */
  events(): Promise<TokenProxyEvent[]>
}

declare global {
  interface Window {
    __swTokenProxyMessages?: ReceivedMessage[]
  }
}

/**
 * Records what the service workers of the origin post to every page of
 * `context`, from its first script on; `events()` reads the proxy's events
 * out of it with the protocol module. Call it before the pages navigate.
 */
export async function recordTokenProxyEvents(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const container = navigator.serviceWorker
    if (!container || window.__swTokenProxyMessages) return
    const messages: ReceivedMessage[] = (window.__swTokenProxyMessages = [])
    container.addEventListener('message', ({ data, source }) => messages.push({ data, fromController: source !== null && source === container.controller }))
  })
}

/** The answer of the worker to a page message, once the protocol module has read it. */
function answerOf(type: string, data: unknown): Answer {
  if (!isWorkerMessage(data) || data.type !== 'RESULT') throw new Error(`sw-token-proxy: the worker answered ${type} with something else than a result`)
  if (!data.ok) throw new Error(`sw-token-proxy: the worker refused ${type}: ${data.error}`)
  return data
}

/** Sends one message of the protocol to the page's controller, and reads its answer with the protocol module. */
async function ask(page: Page, message: Unversioned<PageMessage>, timeout = 10_000): Promise<Answer> {
  const data = await page.evaluate(
    ({ message, timeout }) =>
      new Promise<unknown>((resolve, reject) => {
        const controller = navigator.serviceWorker?.controller
        if (!controller) return reject(new Error('sw-token-proxy: no service worker controls this page; call waitForControl() first'))
        const channel = new MessageChannel()
        const timer = setTimeout(() => reject(new Error(`sw-token-proxy: the worker did not answer ${message.type} within ${timeout} ms`)), timeout)
        channel.port1.onmessage = ({ data }) => {
          clearTimeout(timer)
          channel.port1.close()
          resolve(data)
        }
        controller.postMessage(message, [channel.port2])
      }),
    { message: { tokenProxy: PROTOCOL_VERSION, ...message } as PageMessage, timeout },
  )
  return answerOf(message.type, data)
}

/**
 * Takes the stored access token as expired now, as any script of the origin
 * could: its `expiresAt` in IndexedDB set to now, and the workers of the
 * origin told to read storage again (as they tell each other). Resolves once
 * the page's worker answers with the new expiry. The worker carries no
 * message of its own for this: nothing test-only ships in it.
 */
async function expireNow(page: Page, timeout = 10_000): Promise<void> {
  const expiresAt = await page.evaluate(
    ({ db, store, key }) =>
      new Promise<number>((resolve, reject) => {
        const none = () => reject(new Error('sw-token-proxy: there are no tokens to expire'))
        const open = indexedDB.open(db)
        // No database yet: opening must not create one (the worker's store would then lack its object store).
        open.onupgradeneeded = () => open.transaction?.abort()
        open.onerror = () => (open.error?.name === 'AbortError' ? none() : reject(open.error))
        open.onsuccess = () => {
          if (!open.result.objectStoreNames.contains(store)) {
            open.result.close()
            return none()
          }
          const tx = open.result.transaction(store, 'readwrite')
          const tokens = tx.objectStore(store)
          const read = tokens.get(key)
          read.onsuccess = () => {
            if (!read.result) return none()
            const now = Date.now()
            // Every token of the session: the login's, and each API's of `resources`.
            const resources = Object.fromEntries(Object.entries(read.result.resources ?? {}).map(([indicator, token]) => [indicator, { ...(token as object), expiresAt: now }]))
            tokens.put({ ...read.result, expiresAt: now, ...(read.result.resources ? { resources } : {}) }, key)
            tx.oncomplete = () => {
              new BroadcastChannel(db).postMessage('changed')
              resolve(now)
            }
          }
          tx.onerror = () => reject(tx.error)
        }
      }),
    { db: DB_NAME, store: STORE_NAME, key: TOKENS_KEY },
  )
  // The worker reads storage again when the broadcast reaches it: wait until it tells that expiry.
  const deadline = Date.now() + timeout
  for (;;) {
    const { session } = await ask(page, { type: 'SESSION' }, timeout)
    if (session?.expiresAt === expiresAt) return
    if (Date.now() > deadline) throw new Error(`sw-token-proxy: the worker did not take the new expiry within ${timeout} ms`)
  }
}

export type WorkerStatus = 'stopped' | 'starting' | 'running' | 'stopping'

interface Version {
  versionId: string
  registrationId: string
  scriptURL: string
  runningStatus: WorkerStatus
}

/** The CDP view of the page's controlling worker, and a way to wait for its running status. */
async function controllingWorker(page: Page): Promise<{ cdp: CDPSession; version: Version; scopeURL: string; until: (status: WorkerStatus) => Promise<void> }> {
  const scriptURL = await page.evaluate(() => navigator.serviceWorker?.controller?.scriptURL)
  if (!scriptURL) throw new Error('sw-token-proxy: no service worker controls this page; call waitForControl() first')
  const engine = page.context().browser()?.browserType().name() ?? 'this browser'
  if (engine !== 'chromium') {
    throw new Error(
      `sw-token-proxy: stopWorker(), restartWorker() and workerStatus() need the Chrome DevTools Protocol, which ${engine} does not have. ` +
        `Run such tests in Chromium only (test.skip(browserName !== 'chromium', …)); in Firefox, the preferences ` +
        `dom.serviceWorkers.idle_timeout and dom.serviceWorkers.idle_extended_timeout (firefoxUserPrefs, in milliseconds) make the browser stop idle workers itself.`,
    )
  }
  const cdp = await page.context().newCDPSession(page)
  const versions = new Map<string, Version>()
  const scopes = new Map<string, string>()
  const waiters = new Set<() => void>()
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: updated }) => {
    for (const v of updated as Version[]) versions.set(v.versionId, v)
    for (const waiter of waiters) waiter()
  })
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
    for (const r of registrations as { registrationId: string; scopeURL: string }[]) scopes.set(r.registrationId, r.scopeURL)
  })
  await cdp.send('ServiceWorker.enable')
  const current = () => [...versions.values()].find((v) => v.scriptURL === scriptURL && v.runningStatus !== 'stopped') ?? [...versions.values()].find((v) => v.scriptURL === scriptURL)
  // `enable` reports the known versions right away; wait for ours to be among them.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sw-token-proxy: the DevTools Protocol did not report ${scriptURL}`)), 5_000)
    const check = () => {
      if (!current() || !scopes.has(current()!.registrationId)) return
      clearTimeout(timer)
      waiters.delete(check)
      resolve()
    }
    waiters.add(check)
    check()
  })
  const version = current()!
  const until = (status: WorkerStatus) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if ([...versions.values()].some((v) => v.versionId === version.versionId && v.runningStatus === status)) {
          waiters.delete(check)
          resolve()
        }
      }
      waiters.add(check)
      check()
    })
  return { cdp, version, scopeURL: scopes.get(version.registrationId)!, until }
}

/** The helper for one page. */
export function tokenProxy(page: Page): TokenProxyHelper {
  const stop = async () => {
    const worker = await controllingWorker(page)
    try {
      if (worker.version.runningStatus !== 'stopped') {
        await worker.cdp.send('ServiceWorker.stopWorker', { versionId: worker.version.versionId })
        await worker.until('stopped')
      }
      return worker
    } catch (error) {
      await worker.cdp.detach()
      throw error
    }
  }
  return {
    async waitForControl({ timeout = 10_000 } = {}) {
      await page.waitForFunction(() => !!navigator.serviceWorker?.controller, undefined, { timeout })
    },
    setTokens: async (tokens) => void (await ask(page, { type: 'SET_TOKENS', tokens })),
    expireAccessToken: () => expireNow(page),
    logout: async () => void (await ask(page, { type: 'LOGOUT' })),
    async stopWorker() {
      await (await stop()).cdp.detach()
    },
    async restartWorker() {
      const worker = await stop()
      try {
        await worker.cdp.send('ServiceWorker.startWorker', { scopeURL: worker.scopeURL })
        await worker.until('running')
      } finally {
        await worker.cdp.detach()
      }
    },
    async workerStatus() {
      const worker = await controllingWorker(page)
      await worker.cdp.detach()
      return worker.version.runningStatus
    },
    async events() {
      const messages = await page.evaluate(() => window.__swTokenProxyMessages)
      if (!messages) throw new Error('sw-token-proxy: events are not recorded; call recordTokenProxyEvents(context) before the page loads, or use the `test` fixture')
      return eventsOf(messages)
    },
  }
}

/** Playwright's `test` with a `tokenProxy` fixture for the test's page; its events are recorded. */
export const test: TestType<PlaywrightTestArgs & PlaywrightTestOptions & { tokenProxy: TokenProxyHelper }, PlaywrightWorkerArgs & PlaywrightWorkerOptions> = base.extend<{
  tokenProxy: TokenProxyHelper
}>({
  tokenProxy: async ({ page, context }, use) => {
    await recordTokenProxyEvents(context)
    await use(tokenProxy(page))
  },
})

export { expect } from '@playwright/test'
