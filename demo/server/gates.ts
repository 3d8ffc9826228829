/**
 * Lets a test hold the server's answers to a path until it says so, and wait
 * for requests to arrive: steps ordered by events, not by sleeps.
 */
export function createGates() {
  const held = new Map<string, Promise<void>>()
  const arrivals: string[] = []
  const waiters = new Set<() => void>()

  return {
    /** Paths of requests as they arrive, before they are answered. */
    arrivals,

    arrived(path: string): void {
      arrivals.push(path)
      for (const waiter of waiters) waiter()
    },

    /** Resolves once `count` requests to `path` have arrived in all (those already in count). */
    arrival(path: string, count = 1): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (arrivals.filter((p) => p === path).length < count) return
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
        check()
      })
    },

    /** Holds every answer to `path` (the routes that honour it) until the returned function is called. */
    hold(path: string): () => void {
      let release!: () => void
      held.set(path, new Promise<void>((resolve) => (release = resolve)))
      return () => {
        held.delete(path)
        release()
      }
    },

    /** Waits while `path` is held. */
    pass(path: string): Promise<void> {
      return held.get(path) ?? Promise.resolve()
    },
  }
}

export type Gates = ReturnType<typeof createGates>
