import type { ServerResponse } from 'node:http'

/** Switches that make the server misbehave on purpose, for tests and the demo. */
export interface Faults {
  /** Milliseconds the refresh endpoint waits before answering. */
  refreshDelayMs: number
  /** Every protected API request gets a 401, valid token or not. */
  rejectAllTokens: boolean
  /** The API is unreachable: every request under /api/ but the token endpoints has its connection dropped, unanswered (offline, for clients). */
  apiDown: boolean
  /**
   * How the refresh endpoint fails, if it does: `network` drops the
   * connection, `500`/`503` answer that status, `400` answers
   * `invalid_request` (not `invalid_grant`), `html`, `empty`, `truncated`
   * and `no-token` answer 200 with a body that is not a token, `bad-token`
   * answers 200 with an access token no header can carry, `hang` never
   * answers, `redirect` answers 307 to `refreshRedirectTo` (token endpoints
   * do not redirect: a client that follows re-posts the refresh token there).
   * None of these may end a session (B8).
   */
  refreshFailure: RefreshFailure | null
  /** Decides per refresh call (numbered from 1) whether it fails, and how; for seeded random failures. */
  refreshFailureFor: ((call: number) => RefreshFailure | null) | null
  /** Where the `redirect` failure sends the refresh request. @default '/moved' on this server */
  refreshRedirectTo: string
}

export const REFRESH_FAILURES = ['network', '500', '503', '400', 'html', 'empty', 'truncated', 'no-token', 'bad-token', 'hang', 'redirect'] as const
export type RefreshFailure = (typeof REFRESH_FAILURES)[number]

export const noFaults = (): Faults => ({
  refreshDelayMs: 0,
  rejectAllTokens: false,
  apiDown: false,
  refreshFailure: null,
  refreshFailureFor: null,
  refreshRedirectTo: '/moved',
})

/** Answers the refresh endpoint the way `failure` says; returns the status recorded. */
export async function answerFailure(res: ServerResponse, failure: RefreshFailure, faults: Faults): Promise<number> {
  const answer = (status: number, type: string, body: string) => {
    res.writeHead(status, { 'Content-Type': type })
    res.end(body)
    return status
  }
  switch (failure) {
    case 'network':
      res.socket?.destroy()
      return 0
    case '500':
    case '503':
      return answer(Number(failure), 'application/json', '{"error":"server_error"}')
    case '400':
      // A 400 that is not invalid_grant says nothing about the session.
      return answer(400, 'application/json', '{"error":"invalid_request"}')
    case 'html':
      return answer(200, 'text/html', '<!doctype html><title>Maintenance</title>')
    case 'empty':
      return answer(200, 'application/json', '')
    case 'truncated':
      return answer(200, 'application/json', '{"accessToken":"eyJhbGciOi')
    case 'no-token':
      return answer(200, 'application/json', '{"ok":true}')
    case 'bad-token':
      return answer(200, 'application/json', JSON.stringify({ accessToken: 'a\r\nX-Injected: 1', refreshToken: 'r', expiresIn: 60 }))
    case 'redirect':
      res.writeHead(307, { Location: faults.refreshRedirectTo })
      res.end()
      return 307
    case 'hang':
      await new Promise<void>((done) => res.on('close', done))
      return 0
  }
}
