import type { Coordinator } from './coordinator.js'
import { expiresSoon } from './tokens.js'

const BODYLESS = new Set(['GET', 'HEAD'])

/** Header set on responses the worker makes itself, so pages can tell them from the server's. */
export const PROXY_HEADER = 'X-Token-Proxy'

/**
 * What a request gets when its token expired and the refresh endpoint could
 * not be reached: a 503 the page can tell apart from an auth failure. The
 * session is kept; the next request tries the refresh again.
 */
export function refreshUnavailable(reason: string): Response {
  return new Response(JSON.stringify({ error: 'token_refresh_unavailable', reason }), {
    status: 503,
    headers: { 'Content-Type': 'application/json', [PROXY_HEADER]: 'refresh-unavailable' },
  })
}

/** One request as the token logic sees it: a way to send it, and whether it may be sent twice. */
export interface Outgoing {
  /** Sends the request once, with `token` in `Authorization`, or as written without one. */
  send(token?: string): Promise<Response>
  /** False for a body that was not kept (too large): sent once, its 401 goes to the page. */
  replayable: boolean
}

/**
 * The token logic of one request: send it with the current token (refreshed
 * first when it is about to expire); on a 401, recover (wait for the shared
 * refresh, or take a newer token) and replay it once. Whatever the replay
 * gets goes to the page (B6).
 */
export async function sendWithTokens(
  coordinator: Coordinator,
  expiryLeeway: number,
  request: Outgoing,
  now: () => number = Date.now,
): Promise<Response> {
  // A refresh that fails after this point is this request's answer too (it waited for it, or was in flight).
  const since = coordinator.epoch
  let tokens = await coordinator.current()
  // Logged out: the request goes as the page wrote it, and so does its answer.
  if (!tokens) return request.send()
  if (expiresSoon(tokens, now(), expiryLeeway)) {
    // Refresh first instead of spending a round trip on a 401. If that fails,
    // the request still goes with the token it has: it may not be expired yet.
    const ahead = await coordinator.recover(tokens.accessToken, 'expiry')
    if (ahead.kind === 'retry') tokens = ahead.tokens
  }
  const first = await request.send(tokens.accessToken)
  if (first.status !== 401 || !request.replayable) return first

  const next = await coordinator.recover(tokens.accessToken, 'unauthorized', since)
  if (next.kind === 'retry') return request.send(next.tokens.accessToken)
  if (next.kind === 'unavailable') return refreshUnavailable(next.reason)
  return first
}

/**
 * Handles one matched request: keeps its body (up to `maxReplayBytes`) so it
 * can be sent twice, byte for byte, then runs the token logic.
 */
export function createRequestHandler(coordinator: Coordinator, expiryLeeway: number) {
  return async ({ request }: { request: Request }): Promise<Response> => {
    // `fetch` consumes a body: keep the bytes so the request can be sent twice.
    const body = BODYLESS.has(request.method) ? undefined : await request.arrayBuffer()
    const send = (token?: string): Promise<Response> => {
      const headers = new Headers(request.headers)
      if (token) headers.set('Authorization', `Bearer ${token}`)
      // Everything else (method, credentials, redirect, cache, signal…) is copied from the original.
      return fetch(new Request(request, { headers, body }))
    }
    return sendWithTokens(coordinator, expiryLeeway, { send, replayable: true })
  }
}
