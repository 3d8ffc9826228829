import { createStore, del, get, set } from 'idb-keyval'
import type { NormalizedOptions } from '../common/options.js'
import { DB_NAME, STORE_NAME, TOKENS_KEY } from '../common/storage.js'
import type { Tokens } from '../common/tokens.js'

/** Where the tokens live, as the rest of the worker sees it. */
export interface TokenStore {
  /** The current tokens: memory first, storage on the first read after a restart. */
  read(): Promise<Tokens | null>
  /** The tokens as storage holds them now, bypassing memory. */
  reload(): Promise<Tokens | null>
  /** Resolves once the tokens are durable. */
  write(tokens: Tokens): Promise<void>
  clear(): Promise<void>
  /** Grows on every write and clear, here or by another worker, so a refresh can tell that the tokens changed under it. */
  readonly generation: number
}

export { DB_NAME, STORE_NAME, TOKENS_KEY }

/** The object store the worker keeps its state in: the tokens, and the DPoP keys (dpop.ts). */
export const workerStorage = () => createStore(DB_NAME, STORE_NAME)

/**
 * Tokens in IndexedDB (the truth, survives the worker being stopped) with a
 * memory copy so the hot path does not open IndexedDB per request. Memory
 * changes first, so every later read in this worker sees the newest tokens;
 * `write` resolves once they are durable, and the coordinator releases no
 * waiting request before that. Other workers of the origin (another scope,
 * another version) announce their changes on a BroadcastChannel, and `reload`
 * re-reads storage under the refresh lock. If IndexedDB fails, the worker goes
 * on from memory for the rest of its life and says so once.
 */
export interface TokenStoreOptions {
  /**
   * What the session is bound to: tokens written under another binding (by
   * a worker of other options) read as no session. See `bindingOf`.
   * @default ''
   */
  binding?: string
  /** False with the cookie protocol: the refresh credential lives in an HttpOnly cookie, never here. @default true */
  keepRefreshToken?: boolean
  /** Called once tokens were written or cleared, here or by another worker of the origin. */
  onChange?: (tokens: Tokens | null) => void
}

/**
 * The options a session is bound to: every one that decides where a token
 * or the refresh token may go. Any script of the origin can register the
 * standalone worker with options of its own making (a same-origin endpoint
 * that keeps what it is posted, as `refreshUrl`), and the registration
 * outlives the script: such a worker shares this IndexedDB, but finds no
 * session in it that its options did not write. The tunables (timeouts,
 * sizes, leeway) are left out, so changing one keeps users signed in.
 */
export function bindingOf(options: NormalizedOptions): string {
  const { apiPrefixes, trustedOrigins, refreshUrl, loginUrl, logoutUrl, refreshProtocol, clientId, scope, dpop, resources, resourceParameter } = options
  const binding = [apiPrefixes, trustedOrigins, refreshUrl, loginUrl, logoutUrl, refreshProtocol, clientId, scope, dpop]
  // Which token goes to which API: without `resources`, the binding sessions of earlier versions were written under.
  return JSON.stringify(resources.length ? [...binding, resources, resourceParameter] : binding)
}

/** The tokens as stored: with the binding of the options that wrote them. */
type StoredTokens = Tokens & { binding?: string }

export function createTokenStore({ binding = '', keepRefreshToken = true, onChange }: TokenStoreOptions = {}): TokenStore {
  const db = workerStorage()
  let memory: Tokens | null | undefined
  let generation = 0
  let warned = false
  // Other workers of the origin (another scope, another version) say when they
  // change the tokens: forget ours, and read storage again on the next request.
  const peers = typeof BroadcastChannel === 'function' ? new BroadcastChannel(DB_NAME) : undefined
  if (peers) {
    peers.onmessage = () => {
      generation++
      memory = undefined
      if (onChange) void store.read().then(onChange)
    }
  }

  async function safely<T>(action: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await action()
    } catch (error) {
      if (!warned) {
        warned = true
        console.warn('sw-token-proxy: IndexedDB failed, keeping tokens in memory only.', error)
      }
      return fallback
    }
  }

  /** The stored tokens, or `undefined` when storage could not be read (nothing is cached then). */
  async function load(): Promise<Tokens | null | undefined> {
    return safely(async () => {
      const stored = await get<StoredTokens>(TOKENS_KEY, db)
      if (stored?.binding !== binding) return null
      const { binding: _, ...tokens } = stored
      return tokens
    }, undefined)
  }

  const store: TokenStore = {
    get generation() {
      return generation
    },
    async read() {
      if (memory === undefined) {
        const stored = await load()
        // A write or clear that landed while we read wins.
        if (memory === undefined) memory = stored
      }
      return memory ?? null
    },
    async reload() {
      const before = generation
      const stored = await load()
      // Changed meanwhile (here, or by a peer): the newest of memory and a fresh read.
      if (generation === before) memory = stored ?? memory
      return memory === undefined ? ((await load()) ?? null) : memory
    },
    async write(given) {
      generation++
      // The receipt time lets the worker tell how long the token lives (see expiry.ts).
      const tokens = { ...given, obtainedAt: given.obtainedAt ?? Date.now() }
      // With the cookie protocol the refresh credential lives in an HttpOnly cookie, never here.
      if (!keepRefreshToken) delete tokens.refreshToken
      memory = tokens
      await safely(() => set(TOKENS_KEY, { ...tokens, binding } satisfies StoredTokens, db), undefined)
      peers?.postMessage('changed')
      onChange?.(tokens)
    },
    async clear() {
      generation++
      memory = null
      await safely(() => del(TOKENS_KEY, db), undefined)
      peers?.postMessage('changed')
      onChange?.(null)
    },
  }
  return store
}
