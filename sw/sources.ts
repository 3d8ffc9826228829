/** Whether a message comes from a window of the worker's own origin: the only senders it listens to. */
export function fromOwnWindow(source: { type?: unknown; url?: unknown } | null | undefined, origin: string): boolean {
  if (source?.type !== 'window' || typeof source.url !== 'string') return false
  try {
    return new URL(source.url).origin === origin
  } catch {
    return false
  }
}
