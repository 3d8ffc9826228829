/**
 * Every message between page and worker. Each carries `tokenProxy`, the
 * protocol version, so that messages of other libraries sharing the worker
 * are told apart from ours. No message carries a token from worker to page.
 */
export const PROTOCOL_VERSION = 1

export interface Tokens {
  accessToken: string
  /** Absent when the server does not rotate or the refresh credential is elsewhere. */
  refreshToken?: string
  /** Epoch milliseconds after which the access token is no longer accepted. */
  expiresAt?: number
}

/** Page → worker. Each is answered with a `RESULT` on `event.ports[0]`. */
export type PageMessage =
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'SET_TOKENS'; tokens: Tokens }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'LOGOUT' }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'CLAIM' }

export type LogoutReason = 'refresh-rejected' | 'logout'

/** Worker → page. */
export type WorkerMessage =
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'RESULT'; ok: true }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'RESULT'; ok: false; error: string }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'LOGOUT'; reason: LogoutReason }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'REFRESHED' }

/** A message as written, before the protocol version is stamped on it. */
export type Unversioned<T> = T extends unknown ? Omit<T, 'tokenProxy'> : never

export type PageMessageType = PageMessage['type']
export type WorkerMessageType = WorkerMessage['type']

const PAGE_TYPES: readonly string[] = ['SET_TOKENS', 'LOGOUT', 'CLAIM'] satisfies PageMessageType[]
const WORKER_TYPES: readonly string[] = ['RESULT', 'LOGOUT', 'REFRESHED'] satisfies WorkerMessageType[]

function ours(data: unknown, types: readonly string[]): data is { type: string } {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { tokenProxy?: unknown }).tokenProxy === PROTOCOL_VERSION &&
    types.includes((data as { type?: unknown }).type as string)
  )
}

export function isPageMessage(data: unknown): data is PageMessage {
  return ours(data, PAGE_TYPES)
}

export function isWorkerMessage(data: unknown): data is WorkerMessage {
  return ours(data, WORKER_TYPES)
}

/** Checks what a page hands to `setTokens`; returns an error text, or `undefined` when valid. */
export function checkTokens(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'tokens must be an object'
  const { accessToken, refreshToken, expiresAt } = value as Record<string, unknown>
  if (typeof accessToken !== 'string' || accessToken === '') {
    return '`accessToken` must be a non-empty string'
  }
  if (refreshToken !== undefined && (typeof refreshToken !== 'string' || refreshToken === '')) {
    return '`refreshToken` must be a non-empty string when given'
  }
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) {
    return '`expiresAt` must be epoch milliseconds when given'
  }
  return undefined
}
