/**
 * Session-bound caches (B17): the Cache Storage caches an app names in
 * `sessionCaches` hold answers of one session. Each session boundary (a
 * logout, a rejected refresh, a new login, `setTokens`) deletes them before
 * the new session's first answer, and counts up `epoch`, so that an answer
 * of the session before, still on its way, is not written into them after.
 */
export function createSessionCaches(names: readonly string[]) {
  let epoch = 0
  return {
    /** Grows at every session boundary. */
    get epoch() {
      return epoch
    },
    async boundary(): Promise<void> {
      epoch++
      await Promise.all(names.map((name) => caches.delete(name)))
    },
  }
}

export type SessionCaches = ReturnType<typeof createSessionCaches>
