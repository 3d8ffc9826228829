import type { RefreshReason } from '../common/protocol.js'
import type { Tokens } from '../common/tokens.js'
import { expiredBy, failurePause, holdBack } from './expiry.js'
import type { RefreshResult } from './refresh.js'
import type { TokenStore } from './store.js'

/** What a request that needs a refresh does next. */
export type Recovery =
  /** Send (again) with these tokens: refreshed, or newer than the ones it had. */
  | { kind: 'replay'; tokens: Tokens }
  /** The server ended the session (tokens cleared, LOGOUT sent): hand the 401 to the page. */
  | { kind: 'rejected' }
  /** There are no tokens: the page is signed out. */
  | { kind: 'signed-out' }
  /** The refresh endpoint could not answer; tokens are kept. */
  | { kind: 'unavailable'; reason: string }
  /** The authorization server will not mint a token for this resource (`invalid_target`); the session is kept. */
  | { kind: 'refused'; reason: string }

export interface CoordinatorDeps {
  store: TokenStore
  /** One call to the refresh endpoint; `previous` is what the answer continues (see `readTokenAnswer`). */
  refresh(tokens: Tokens, previous: Tokens): Promise<RefreshResult>
  /** Runs `task` while holding the origin-wide refresh lock. */
  lock<T>(task: () => Promise<T>): Promise<T>
  /** Tells every tab; awaited before waiting requests are released. */
  onRefreshed(reason: RefreshReason): Promise<void> | void
  /** Ends the session: clears the tokens and tells every tab. */
  endSession(): Promise<void> | void
  /** Whether a refresh needs a stored refresh token (not with the cookie protocol). @default true */
  refreshTokenRequired?: boolean
  /** The clock. @default Date.now */
  now?: () => number
  /** How long requests share a failure before the next refresh, after `failures` in a row. @default failurePause */
  pause?: (failures: number) => number
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
  endSession,
  refreshTokenRequired = true,
  now = Date.now,
  pause = failurePause,
}: CoordinatorDeps) {
  /** The one refresh in flight, and the access token it replaces. */
  let inFlight: { from: string; result: Promise<Recovery> } | null = null

  async function reject(): Promise<Recovery> {
    await endSession()
    return { kind: 'rejected' }
  }

  async function run(from: Tokens, reason: RefreshReason): Promise<Recovery> {
    // Another worker version may have refreshed already: storage is the truth.
    const stored = await store.reload()
    if (!stored) return { kind: 'signed-out' }
    if (stored.accessToken !== from.accessToken) return { kind: 'replay', tokens: stored }
    if (refreshTokenRequired && !stored.refreshToken) {
      // Nothing to refresh with. Ahead of expiry the token still works: keep
      // using it; only its 401 ends the session.
      return reason === 'expiry' ? { kind: 'unavailable', reason: 'no refresh token' } : reject()
    }
    const generation = store.generation
    const previous = reason === 'unauthorized' ? expiredBy(stored, now()) : stored
    const result = await refresh(stored, previous).catch(
      (error: unknown): RefreshResult => ({ kind: 'unavailable', reason: String(error) }),
    )
    // The page set or cleared tokens meanwhile: those win.
    if (store.generation !== generation) return latest()
    if (result.kind === 'rejected') return reject()
    if (result.kind === 'unavailable' || result.kind === 'refused') return result
    const written = store.write(result.tokens)
    const afterOwnWrite = store.generation
    await written
    await onRefreshed(reason)
    // The page may have set tokens while ours were written: the newest win.
    return store.generation === afterOwnWrite ? { kind: 'replay', tokens: result.tokens } : latest()
  }

  async function latest(): Promise<Recovery> {
    const current = await store.read()
    return current ? { kind: 'replay', tokens: current } : { kind: 'signed-out' }
  }

  /** Counts finished refreshes, so a request can tell whether one ended after it was sent. */
  let refreshesDone = 0
  /**
   * The last refresh, if it was unavailable: shared by the requests that were
   * in flight when it failed; after `failures` in a row of the same token,
   * by every request for a pause (`pause`); and for a while (`holdBack`) by
   * refreshes ahead of expiry, which would otherwise each wait out an
   * endpoint that is down.
   */
  let failed: { from: string; after: number; at: number; failures: number; result: Recovery } | null = null
  /**
   * What a failure is remembered by: the token and the refresh token it was
   * refreshed with. A resource's first token is the same stand-in in every
   * session (see resources.ts), so the refresh token is what tells a new
   * session, which inherits nothing of the last one's failures.
   */
  const failureKey = (tokens: Tokens) => `${tokens.accessToken}\n${tokens.refreshToken ?? ''}`

  return {
    /** Pass it to `recover` as `since`, taken just before the request is sent. */
    get refreshesDone() {
      return refreshesDone
    },

    /** The tokens to send a new request with, after any refresh in flight. */
    async current(): Promise<Tokens | null> {
      while (inFlight) await inFlight.result
      return store.read()
    },

    /**
     * Called with the access token a request was sent with when it got a 401
     * (`'unauthorized'`), or is about to be sent with when it expires soon
     * (`'expiry'`). `since` is `refreshesDone` when the request was sent: a
     * refresh of this token that failed after that is this request's answer
     * too, so an unavailable endpoint costs one call per burst, not one per
     * request; a request sent after the failure tries again.
     */
    async recover(sentToken: string, reason: RefreshReason = 'unauthorized', since = refreshesDone): Promise<Recovery> {
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
        if (!tokens) return { kind: 'signed-out' }
        // Sent with an older token than the current one: no refresh needed.
        if (tokens.accessToken !== sentToken) return { kind: 'replay', tokens }
        if (failed?.from === failureKey(tokens)) {
          if (failed.after > since) return failed.result
          const wait = Math.max(pause(failed.failures), reason === 'expiry' ? holdBack(tokens) : 0)
          if (now() - failed.at < wait) return failed.result
        }
        const result = lock(() => run(tokens, reason))
          .catch((error: unknown): Recovery => ({ kind: 'unavailable', reason: String(error) }))
          .then((outcome) => {
            refreshesDone++
            // Failures count in a row, for one token: a success, or new tokens (a login, setTokens), start again.
            const key = failureKey(tokens)
            const failures = failed?.from === key ? failed.failures + 1 : 1
            failed = outcome.kind === 'unavailable' || outcome.kind === 'refused' ? { from: key, after: refreshesDone, at: now(), failures, result: outcome } : null
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
