/** How long an abort that arrived before its request is remembered. */
const EARLY_ABORT_MS = 60_000

/**
 * Aborts by request id (B15). Chromium does not forward a page's abort to the
 * worker's `event.request.signal`, so `proxy.http` posts ABORT with the id it
 * put on the request; the request's own signal is honoured too, for browsers
 * that do forward it. An ABORT may arrive before its request does.
 */
export function createAborts() {
  const live = new Map<string, AbortController>()
  const early = new Map<string, number>()

  return {
    /** A signal that fires when the page aborts this request; call `done` when it has settled. */
    track(id: string | null, own: AbortSignal): { signal: AbortSignal; done: () => void } {
      // Most requests carry no id (raw fetch, no signal): nothing to set up on the hot path.
      if (!id) return { signal: own, done: () => {} }
      const controller = new AbortController()
      if (early.delete(id)) controller.abort()
      else live.set(id, controller)
      return { signal: AbortSignal.any([own, controller.signal]), done: () => void live.delete(id) }
    },

    abort(id: string): void {
      const controller = live.get(id)
      if (controller) return controller.abort()
      const now = Date.now()
      for (const [old, at] of early) if (now - at > EARLY_ABORT_MS) early.delete(old)
      early.set(id, now)
    },
  }
}

export type Aborts = ReturnType<typeof createAborts>
