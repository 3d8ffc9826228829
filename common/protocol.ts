/**
 * Every message between page and worker. Each carries `tokenProxy`, the
 * protocol version, so that messages of other libraries sharing the worker
 * are told apart from ours. No message carries a token from worker to page.
 */
import type { Tokens } from './tokens.js'

export const PROTOCOL_VERSION = 1

/**
 * What a page may know of the session (B17): whether there is one, and
 * until when its access token is known to be valid. Never a token.
 */
export interface Session {
  /** Tokens are stored: API requests go out with one. */
  active: boolean
  /** Epoch milliseconds when the access token expires, when known; `null` otherwise. */
  expiresAt: number | null
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
  /** What is the session now? Answered with `session`. */
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'SESSION' }
  /** The JWK thumbprint of the DPoP key the next login signs with (RFC 9449 §10). Answered with `thumbprint`. */
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'DPOP_THUMBPRINT' }
  /** `proxy.http` gave up on the request it sent with this id (B15). */
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'ABORT'; id: string }

export type LogoutReason = 'refresh-rejected' | 'logout'

/** What made the worker refresh: the token was about to expire, or a request got a 401. */
export type RefreshReason = 'expiry' | 'unauthorized'

/** What a successful `RESULT` carries besides `ok`, by the type of the page message it answers. */
export interface Answers {
  HELLO: {}
  SET_TOKENS: {}
  LOGOUT: {}
  CLAIM: {}
  SESSION: { session: Session }
  /** Public, and all a page learns of the key. */
  DPOP_THUMBPRINT: { thumbprint: string }
  ABORT: {}
}

/** Any successful `RESULT`'s fields, as a page reads them before it knows they are there. */
export type Answer = Partial<Answers[PageMessageType]> & { session?: Session; thumbprint?: string }

/** Worker → page. */
export type WorkerMessage =
  | ({ tokenProxy: typeof PROTOCOL_VERSION; type: 'RESULT'; ok: true } & Answer)
  /** `name`: the class of the worker's error (`TokenProxyOptionsError` for options or tokens it refused), so that the page throws the same. */
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'RESULT'; ok: false; error: string; name?: string; version: number }
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'LOGOUT'; reason: LogoutReason }
  /** `resource`: the indicator of the API of `resources` whose token was refreshed; absent for the login's token. */
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'REFRESHED'; reason: RefreshReason; resource?: string }
  /** The session changed: signed in, refreshed, expired, ended; in any tab. */
  | { tokenProxy: typeof PROTOCOL_VERSION; type: 'SESSION'; session: Session }

/** A message as written, before the protocol version is stamped on it. */
export type Unversioned<T> = T extends unknown ? Omit<T, 'tokenProxy'> : never

export type PageMessageType = PageMessage['type']

// Every page message has an answer type, and nothing else does.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const answersCoverMessages: Exact<keyof Answers, PageMessageType> = true
void answersCoverMessages
export type WorkerMessageType = WorkerMessage['type']

const PAGE_TYPES: readonly string[] = ['HELLO', 'SET_TOKENS', 'LOGOUT', 'CLAIM', 'SESSION', 'DPOP_THUMBPRINT', 'ABORT'] satisfies PageMessageType[]
const WORKER_TYPES: readonly string[] = ['RESULT', 'LOGOUT', 'REFRESHED', 'SESSION'] satisfies WorkerMessageType[]

/** The session as a page may see it: nothing of the tokens but whether they exist and their expiry. */
export const sessionOf = (tokens: Tokens | null): Session => ({ active: tokens !== null, expiresAt: tokens?.expiresAt ?? null })

/**
 * A message of this protocol: a known type and a protocol version. Any
 * version passes here, so that the worker can answer a mismatch and a LOGOUT
 * from an older worker still reaches the page; each side checks the version
 * where it matters.
 */
function isProtocolMessage(data: unknown, types: readonly string[]): data is { type: string } {
  if (typeof data !== 'object' || data === null) return false
  const { tokenProxy, type } = data as { tokenProxy?: unknown; type?: unknown }
  return Number.isInteger(tokenProxy) && (tokenProxy as number) > 0 && types.includes(type as string)
}

export const isPageMessage = (data: unknown): data is PageMessage => isProtocolMessage(data, PAGE_TYPES)

export const isWorkerMessage = (data: unknown): data is WorkerMessage => isProtocolMessage(data, WORKER_TYPES)
