import { REQUEST_ID_HEADER } from '../common/headers.js'
import type { NormalizedOptions } from '../common/options.js'
import type { Aborts } from './abort.js'
import type { Tokens } from '../common/tokens.js'
import type { Coordinator, Recovery } from './coordinator.js'
import type { Dpop } from './dpop.js'
import { refreshDue } from './expiry.js'
import type { Matcher } from './match.js'
import { UNMINTED, type Coordinators } from './resources.js'
import { refreshUnavailable, resourceRefused } from './responses.js'

const BODYLESS = new Set(['GET', 'HEAD'])

/**
 * A copy of `request` with the access token of `tokens` in `Authorization`
 * (as `Bearer`, or `DPoP` with its `proof`), or as written without one, and
 * `body`. Method, credentials, mode, redirect, cache, integrity, keepalive
 * and signal come with the original; referrer and its policy are reset by
 * the Request constructor whenever it is given options, so they are carried
 * explicitly.
 */
export function withToken(
  request: Request,
  tokens: Tokens | undefined,
  body: BodyInit | undefined,
  signal: AbortSignal = request.signal,
  proof?: string,
): Request {
  const headers = new Headers(request.headers)
  headers.delete(REQUEST_ID_HEADER)
  if (tokens) headers.set('Authorization', `${proof ? 'DPoP' : 'Bearer'} ${tokens.accessToken}`)
  if (proof) headers.set('DPoP', proof)
  return new Request(request, { headers, body, signal, referrer: request.referrer, referrerPolicy: request.referrerPolicy })
}

/** One request as the token logic sees it: a way to send it, and whether it may be sent twice. */
export interface Outgoing {
  /** Sends the request once with the access token of `tokens`, or as written without one. */
  attempt(tokens?: Tokens): Promise<Response>
  /** False for a body that was not kept (too large): sent once, its 401 goes to the page. */
  replayable: boolean
  /** Fires when the page gave up on the request: it is then never sent (again). */
  signal?: AbortSignal
  /**
   * Whether a response is the API's own, not that of a redirect target
   * outside the allowlist: only the API's 401 is the proxy's business.
   * @default every response is
   */
  isApiAnswer?(response: Response): boolean
  /** Told when the request is sent again after its 401, and whether with a newer token (the development log). */
  onReplay?(newer: boolean): void
}

/** Waits for `promise`, unless `signal` fires first: then rejects with its AbortError. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason)
    signal.addEventListener('abort', abort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}

type Failed = Extract<Recovery, { kind: 'unavailable' | 'refused' }>

/** What a request gets when its token could not be had: the 503 of B8, or the 403 of a resource the server mints no token for. */
export const failedRecovery = ({ kind, reason }: Failed) => (kind === 'refused' ? resourceRefused(reason) : refreshUnavailable(reason))

/**
 * Thrown for a request to an API of `resources` whose token could not be
 * minted: it is never sent without one. `answer` is what the page gets.
 */
export class NoToken extends Error {
  constructor(readonly recovery: Failed) {
    super(recovery.reason)
  }

  get answer(): Response {
    return failedRecovery(this.recovery)
  }
}

/**
 * The tokens a request is sent with now: after any refresh in flight, and
 * refreshed first when they expire within the leeway (B10), instead of
 * spending a round trip on a 401. If that refresh fails the token it has
 * goes: it may not be expired yet; a resource's first token that could not
 * be minted throws `NoToken`. `null` when signed out.
 */
export async function tokensToSend(coordinator: Coordinator, expiryLeeway: number, signal?: AbortSignal, now: () => number = Date.now): Promise<Tokens | null> {
  // A few turns at most: each is a session that ended or began while its token was refreshed or minted.
  for (let turn = 0; turn < 3; turn++) {
    const tokens = await unlessAborted(coordinator.current(), signal)
    // A resource's stand-in is always due: it is minted before anything is sent.
    if (!tokens || !refreshDue(tokens, now(), expiryLeeway)) return tokens
    const ahead = await unlessAborted(coordinator.recover(tokens.accessToken, 'expiry'), signal)
    if (ahead.kind === 'replay' && ahead.tokens.accessToken !== UNMINTED) return ahead.tokens
    if (ahead.kind === 'unavailable' || ahead.kind === 'refused') {
      if (tokens.accessToken === UNMINTED) throw new NoToken(ahead)
      return tokens
    }
    // The session ended (the deleted token must not go out: a logged-out request goes without one),
    // or a new one began whose token for this API is not minted yet: look again.
  }
  throw new NoToken({ kind: 'unavailable', reason: 'the session changed while its token was being minted' })
}

/** `tokensToSend`, with the answer for a token that could not be had in place of `NoToken`. */
export async function mintedFor(coordinator: Coordinator, expiryLeeway: number, signal?: AbortSignal, now: () => number = Date.now): Promise<Tokens | null | Response> {
  try {
    return await tokensToSend(coordinator, expiryLeeway, signal, now)
  } catch (error) {
    if (error instanceof NoToken) return error.answer
    throw error
  }
}

/**
 * The tokens a 401's replay goes with: the recovered ones, or, when a new
 * session began meanwhile with no token for this API yet, the one minted for
 * it first (or the answer for one that could not be).
 */
export async function replayTokens(coordinator: Coordinator, recovered: Tokens, expiryLeeway: number, signal?: AbortSignal, now?: () => number): Promise<Tokens | null | Response> {
  return recovered.accessToken === UNMINTED ? mintedFor(coordinator, expiryLeeway, signal, now) : recovered
}

/**
 * The token logic of one request: send it with the current token (refreshed
 * first when it is about to expire); on a 401, recover (wait for the shared
 * refresh, or take a newer token) and replay it once. Whatever the replay
 * gets goes to the page (B6).
 */
export async function proxyRequest(
  coordinator: Coordinator,
  expiryLeeway: number,
  request: Outgoing,
  now: () => number = Date.now,
): Promise<Response> {
  // A refresh that fails after this point is this request's answer too (it waited for it, or was in flight).
  const { signal } = request
  const since = coordinator.refreshesDone
  const tokens = await mintedFor(coordinator, expiryLeeway, signal, now)
  if (tokens instanceof Response) return tokens
  // Logged out: the request goes as the page wrote it, and so does its answer.
  if (!tokens) return request.attempt()
  signal?.throwIfAborted()
  const first = await request.attempt(tokens)
  if (first.status !== 401 || request.isApiAnswer?.(first) === false) return first

  // The shared refresh goes on for the others if this request is aborted meanwhile.
  const next = await unlessAborted(coordinator.recover(tokens.accessToken, 'unauthorized', since), signal)
  signal?.throwIfAborted()
  // A body that was not kept can't be sent again: the page gets the 401, after the
  // refresh, so that its own retry goes through.
  if (!request.replayable) return first
  if (next.kind === 'replay') {
    const replayWith = await replayTokens(coordinator, next.tokens, expiryLeeway, signal, now)
    if (replayWith instanceof Response) return replayWith
    if (!replayWith) return first
    request.onReplay?.(replayWith.accessToken !== tokens.accessToken)
    return request.attempt(replayWith)
  }
  if (next.kind === 'unavailable' || next.kind === 'refused') return failedRecovery(next)
  return first
}

/** An `EventSource` asks with `Accept: text/event-stream` (HTML Standard, §9.2): its answer stays open. */
const isEventStream = (request: Request) => request.headers.get('Accept') === 'text/event-stream'

/**
 * The answer to an event stream, with a body of the worker's own whose
 * cancel aborts the upstream request. Chromium closes the upstream
 * connection by itself when the page's `EventSource` closes; Firefox 153
 * cancels only the body the worker handed over and keeps the worker's
 * fetch open (measured: the server never saw the close), so the worker does
 * it. Only event streams pay for the extra stream: other answers are
 * handed over as they came.
 */
function closingUpstream(response: Response, upstream: AbortController): Response {
  if (!response.body) return response
  const reader = response.body.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel(reason) {
      upstream.abort(reason)
      return reader.cancel(reason)
    },
  })
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
}

/**
 * Whether a response is the API's own, not that of a redirect target outside
 * the allowlist or another API of `resources`: only then is its 401 about the
 * token the request was sent with.
 */
export const apiAnswers = (matcher: Matcher, sentTo: URL) => {
  const resource = matcher.resourceOf(sentTo)
  return (response: Response) => {
    if (!response.redirected) return true
    const url = new URL(response.url)
    return matcher.isApi(url) && matcher.resourceOf(url) === resource
  }
}

/**
 * How one request is sent, once per call, with the access token of the
 * tokens given (or as written, without): a new `Request` each time, with
 * `body`. A DPoP-bound token gets a proof of its own each time (a proof is
 * never sent twice), and the API's request for its nonce (RFC 9449 §9) is
 * answered once more when the body can be sent again; that is not a refresh.
 */
export function sender(
  request: Request,
  body: Blob | undefined,
  signal: AbortSignal,
  { dpop, isApiAnswer, replayable }: { dpop: Dpop | undefined; isApiAnswer: (response: Response) => boolean; replayable: boolean },
): (tokens?: Tokens) => Promise<Response> {
  return async (tokens) => {
    if (tokens?.tokenType !== 'DPoP' || !dpop) return fetch(withToken(request, tokens, body, signal))
    return dpop.send(
      request.url,
      () => dpop.proof(request.method, request.url, { accessToken: tokens.accessToken }),
      (proof) => fetch(withToken(request, tokens, body, signal, proof)),
      { resource: true, own: isApiAnswer, again: replayable },
    )
  }
}

/**
 * Handles one matched request: keeps its body, up to `maxReplayBytes`, so it
 * can be sent twice byte for byte, then runs the token logic. The body is
 * taken as a Blob: for the bodies pages usually send, the browser hands over
 * the data it already holds instead of copying it into the worker.
 */
export function createRequestHandler(
  coordinators: Coordinators,
  { expiryLeeway, maxReplayBytes }: NormalizedOptions,
  aborts: Aborts,
  matcher: Matcher,
  dpop?: Dpop,
  onReplay?: (newer: boolean) => void,
) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    const isApiAnswer = apiAnswers(matcher, url)
    const tracked = aborts.track(request.headers.get(REQUEST_ID_HEADER), request.signal)
    const { done } = tracked
    const stream = isEventStream(request) ? new AbortController() : undefined
    const signal = stream ? AbortSignal.any([tracked.signal, stream.signal]) : tracked.signal
    try {
      const body = BODYLESS.has(request.method) ? undefined : await request.blob()
      const replayable = !body || body.size <= maxReplayBytes
      const attempt = sender(request, body, signal, { dpop, isApiAnswer, replayable })
      const response = await proxyRequest(coordinators.for(url), expiryLeeway, { attempt, replayable, signal, isApiAnswer, onReplay })
      return stream ? closingUpstream(response, stream) : response
    } finally {
      done()
    }
  }
}
