import type { IncomingMessage, ServerResponse } from 'node:http'

/** One request and its answer, as every route of the demo server sees them. */
export interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  /**
   * The path as the server routes it: as Express does by default
   * (case-insensitive, trailing slash optional), repeated slashes merged as
   * nginx does, so `/API//auth/login/` is the login endpoint.
   */
  path: string
  body: Buffer
  /** Writes a JSON answer; returns its status, for the record. */
  json(status: number, value: unknown, headers?: Record<string, string>): number
  /** The body as a JSON object; `{}` when it is not one. */
  input(): Record<string, unknown>
  /** The thumbprint of the DPoP key whose proof the request carried, once checked: for the record. */
  proven?: string
}

/** A route: answers the exchange and returns the status, or returns `undefined` when the request is not its own. */
export type Route = (exchange: Exchange) => Promise<number | undefined> | number | undefined

export function exchange(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Exchange {
  return {
    req,
    res,
    url,
    path: url.pathname.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1').toLowerCase(),
    body,
    json(status, value, headers = {}) {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers })
      res.end(JSON.stringify(value))
      return status
    },
    input() {
      try {
        const value: unknown = JSON.parse(body.toString() || '{}')
        return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
      } catch {
        return {}
      }
    },
  }
}

/** Allows any origin: the demo's API doubles as "another origin" in tests. */
export const CORS = { 'Access-Control-Allow-Origin': '*' }

export const wait = (ms: number) => new Promise((done) => setTimeout(done, ms))
