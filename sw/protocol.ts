/**
 * Every message between page and worker. Each carries `tokenProxy`, the
 * protocol version, so that messages of other libraries sharing the worker
 * are told apart from ours. No message carries a token from worker to page.
 */
import { accessTokenProblem, refreshTokenProblem } from './tokens.js'

export const PROTOCOL_VERSION = 1

export interface Tokens {
  accessToken: string
  /** Absent when the server does not rotate or the refresh credential is elsewhere. */
  refreshToken?: string
  /** Epoch milliseconds after which the access token is no longer accepted. */
  expiresAt?: number
  /** Epoch milliseconds when the worker received the tokens; set by the worker, never by a page. */
  obtainedAt?: number
}

/**
 * Page → worker. Each is answered with a `RESULT` on `event.ports[0]`; a
 * message of another protocol version gets a `RESULT` that says so.
 */
export type PageMessage =
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'HELLO' }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'SET_TOKENS'; tokens: Tokens }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'LOGOUT' }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'CLAIM' }
  /** `proxy.http` gave up on the request it sent with this id (B15). */
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'ABORT'; id: string }
  /** Take the stored access token as expired now, so the next request refreshes first (for tests). */
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'EXPIRE' }

export type LogoutReason = 'refresh-rejected' | 'logout'

/** What made the worker refresh: the token was about to expire, or a request got a 401. */
export type RefreshReason = 'expiry' | 'unauthorized'

/** Worker → page. */
export type WorkerMessage =
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'RESULT'; ok: true }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'RESULT'; ok: false; error: string; version: number }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'LOGOUT'; reason: LogoutReason }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'REFRESHED'; reason: RefreshReason }

/** A message as written, before the protocol version is stamped on it. */
export type Unversioned<T> = T extends unknown ? Omit<T, 'tokenProxy'> : never

export type PageMessageType = PageMessage['type']
export type WorkerMessageType = WorkerMessage['type']

const PAGE_TYPES: readonly string[] = ['HELLO', 'SET_TOKENS', 'LOGOUT', 'CLAIM', 'ABORT', 'EXPIRE'] satisfies PageMessageType[]
const WORKER_TYPES: readonly string[] = ['RESULT', 'LOGOUT', 'REFRESHED'] satisfies WorkerMessageType[]

/**
 * Ours: a known type and a protocol version. Any version passes here, so that
 * the worker can answer a mismatch and a LOGOUT from an older worker still
 * reaches the page; each side checks the version where it matters.
 */
function ours(data: unknown, types: readonly string[]): data is { type: string } {
  if (typeof data !== 'object' || data === null) return false
  const { tokenProxy, type } = data as { tokenProxy?: unknown; type?: unknown }
  return Number.isInteger(tokenProxy) && (tokenProxy as number) > 0 && types.includes(type as string)
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
  const badAccess = accessTokenProblem(accessToken)
  if (badAccess) return `\`accessToken\` must be ${badAccess}`
  const badRefresh = refreshToken === undefined ? undefined : refreshTokenProblem(refreshToken)
  if (badRefresh) return `\`refreshToken\` must be ${badRefresh} when given`
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) {
    return '`expiresAt` must be epoch milliseconds when given'
  }
  return undefined
}

/** Whether a message comes from a window of the worker's own origin: the only senders it listens to. */
export function fromOwnWindow(source: { type?: unknown; url?: unknown } | null | undefined, origin: string): boolean {
  if (source?.type !== 'window' || typeof source.url !== 'string') return false
  try {
    return new URL(source.url).origin === origin
  } catch {
    return false
  }
}
