import type { RefreshReason, Tokens } from './protocol.js'
import type { RefreshResult } from './refresh.js'

/** The token store as the coordinator sees it. */
export interface TokenStore {
  /** The current tokens: memory first, storage on the first read after a restart. */
  read(): Promise<Tokens | null>
  /** The tokens as storage holds them now, bypassing memory. */
  reload(): Promise<Tokens | null>
  /** Resolves once the tokens are durable. */
  write(tokens: Tokens): Promise<void>
  clear(): Promise<void>
  /** Grows on every write and clear, so a refresh can tell that the tokens changed under it. */
  readonly generation: number
}

/** What a request that got a 401 does next. */
export type Recovery =
  /** Send once more with these tokens. */
  | { kind: 'retry'; tokens: Tokens }
  /** The session is over (tokens cleared, LOGOUT sent): hand the 401 to the page. */
  | { kind: 'rejected' }
  /** There are no tokens: hand the 401 to the page. */
  | { kind: 'none' }
  /** The refresh endpoint could not answer; tokens are kept. */
  | { kind: 'unavailable'; reason: string }

export interface CoordinatorDeps {
  store: TokenStore
  /** One call to the refresh endpoint. */
  refresh(tokens: Tokens): Promise<RefreshResult>
  /** Runs `task` while holding the origin-wide refresh lock. */
  lock<T>(task: () => Promise<T>): Promise<T>
  /** Tells every tab; awaited before waiting requests are released. */
  onRefreshed(reason: RefreshReason): Promise<void> | void
  onRejected(): Promise<void> | void
  /** Whether a refresh needs a stored refresh token (not with the cookie protocol). @default true */
  refreshTokenRequired?: boolean
  /** The clock. @default Date.now */
  now?: () => number
}

/**
 * How long a failed refresh ahead of expiry holds back the next one: 5 s, or
 * a quarter of the token's life when that is shorter.
 */
function holdBack({ expiresAt, obtainedAt }: Tokens): number {
  const life = expiresAt !== undefined && obtainedAt !== undefined ? expiresAt - obtainedAt : Infinity
  return Math.min(5_000, Math.max(0, life / 4))
}

/**
 * Owns the one refresh in flight. Every request that needs a refresh, or
 * arrives while one runs, waits for the same one.
 */
export function createCoordinator({
  store,
  refresh,
  lock,
  onRefreshed,
  onRejected,
  refreshTokenRequired = true,
  now = Date.now,
}: CoordinatorDeps) {
  /** The one refresh in flight, and the access token it replaces. */
  let inFlight: { from: string; result: Promise<Recovery> } | null = null

  async function end(): Promise<Recovery> {
    await store.clear()
    await onRejected()
    return { kind: 'rejected' }
  }

  async function run(from: Tokens, reason: RefreshReason): Promise<Recovery> {
    // Another worker version may have refreshed already: storage is the truth.
    const stored = await store.reload()
    if (!stored) return { kind: 'none' }
    if (stored.accessToken !== from.accessToken) return { kind: 'retry', tokens: stored }
    if (refreshTokenRequired && !stored.refreshToken) {
      // Nothing to refresh with. Ahead of expiry the token still works: keep
      // using it; only its 401 ends the session.
      return reason === 'expiry' ? { kind: 'unavailable', reason: 'no refresh token' } : end()
    }
    const generation = store.generation
    const result = await refresh(stored).catch(
      (error: unknown): RefreshResult => ({ kind: 'unavailable', reason: String(error) }),
    )
    // The page set or cleared tokens meanwhile: those win.
    if (store.generation !== generation) return latest()
    if (result.kind === 'rejected') return end()
    if (result.kind === 'unavailable') return result
    const written = store.write(result.tokens)
    const ours = store.generation
    await written
    await onRefreshed(reason)
    // The page may have set tokens while ours were written: the newest win.
    return store.generation === ours ? { kind: 'retry', tokens: result.tokens } : latest()
  }

  async function latest(): Promise<Recovery> {
    const current = await store.read()
    return current ? { kind: 'retry', tokens: current } : { kind: 'none' }
  }

  /** Counts finished refreshes, so a request can tell whether one ended after it was sent. */
  let epoch = 0
  /**
   * The last refresh, if it was unavailable: shared by the requests that were
   * in flight when it failed, and for a few seconds by refreshes ahead of
   * expiry, which would otherwise each wait out an endpoint that is down.
   */
  let failed: { from: string; epoch: number; at: number; result: Recovery } | null = null

  return {
    /** Pass it to `recover` as `since`, taken just before the request is sent. */
    get epoch() {
      return epoch
    },

    /** The tokens to send a new request with, after any refresh in flight. */
    async current(): Promise<Tokens | null> {
      while (inFlight) await inFlight.result
      return store.read()
    },

    /**
     * Called with the access token a request was sent with when it got a 401
     * (`'unauthorized'`), or is about to be sent with when it expires soon
     * (`'expiry'`). `since` is the `epoch` when the request was sent: a refresh
     * of this token that failed after that is this request's answer too, so an
     * unavailable endpoint costs one call per burst, not one per request; a
     * request sent after the failure tries again.
     */
    async recover(sentToken: string, reason: RefreshReason = 'unauthorized', since = epoch): Promise<Recovery> {
      for (;;) {
        if (inFlight) {
          // The refresh of this very token: share its outcome.
          if (inFlight.from === sentToken) return inFlight.result
          // Another token is being refreshed: decide once it is done.
          await inFlight.result
          continue
        }
        const tokens = await store.read()
        if (inFlight) continue
        if (!tokens) return { kind: 'none' }
        // Sent with an older token than the current one: no refresh needed.
        if (tokens.accessToken !== sentToken) return { kind: 'retry', tokens }
        if (failed?.from === sentToken) {
          if (failed.epoch > since) return failed.result
          if (reason === 'expiry' && now() - failed.at < holdBack(tokens)) return failed.result
        }
        const result = lock(() => run(tokens, reason))
          .catch((error: unknown): Recovery => ({ kind: 'unavailable', reason: String(error) }))
          .then((outcome) => {
            epoch++
            failed = outcome.kind === 'unavailable' ? { from: tokens.accessToken, epoch, at: now(), result: outcome } : null
            inFlight = null
            return outcome
          })
        inFlight = { from: tokens.accessToken, result }
        return result
      }
    },
  }
}

export type Coordinator = ReturnType<typeof createCoordinator>
