import { spawn } from 'node:child_process'
import { request, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { DemoServer } from '../demo/server/app.js'

/**
 * Django REST framework SimpleJWT, a real server of the user's kind, started
 * for a spec (e2e/servers/simplejwt.py). Debian's packages install Django for
 * Debian's own interpreter, which need not be the `python3` first on PATH:
 * `SIMPLEJWT_PYTHON`, else /usr/bin/python3.
 */
export const SIMPLEJWT_PYTHON = process.env.SIMPLEJWT_PYTHON ?? '/usr/bin/python3'

/** The worker options for SimpleJWT as its documentation sets it up, its names mapped with `fields`. */
export const SIMPLEJWT_OPTIONS = {
  loginUrl: '/api/token/',
  refreshUrl: '/api/token/refresh/',
  fields: { accessToken: 'access', refreshToken: 'refresh' },
}

export interface SimpleJwt {
  port: number
  /** Access tokens issued so far are refused from now on, as if expired (`__control/expire`). */
  expireAccessTokens(): Promise<void>
  /** Every refresh token issued so far is blacklisted (`__control/revoke`). */
  revokeRefreshTokens(): Promise<void>
  close(): Promise<void>
}

export async function startSimpleJwt({ accessSeconds = 60 } = {}): Promise<SimpleJwt> {
  const child = spawn(SIMPLEJWT_PYTHON, [join(import.meta.dirname, 'servers/simplejwt.py')], {
    env: { ...process.env, ACCESS_SECONDS: String(accessSeconds) },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let errors = ''
  child.stderr.on('data', (chunk: Buffer) => (errors += String(chunk)))
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const listening = /listening on (\d+)/.exec(String(chunk))
      if (listening) resolve(Number(listening[1]))
    })
    child.once('error', reject)
    child.once('exit', (code) =>
      reject(
        new Error(
          `the SimpleJWT server exited (${code}) before it listened: ${errors.trim().split('\n').at(-1) ?? ''}\n` +
            `It needs Debian's python3-djangorestframework-simplejwt for ${SIMPLEJWT_PYTHON} (bash .ci/run installs it).`,
        ),
      ),
    )
  })
  const control = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}/__control/${path}`, { method: 'POST' })
    if (!response.ok) throw new Error(`SimpleJWT control ${path}: ${response.status}`)
  }
  return {
    port,
    expireAccessTokens: () => control('expire'),
    revokeRefreshTokens: () => control('revoke'),
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        // It ends when its standard input closes.
        child.stdin.end()
      }),
  }
}

/**
 * Serves the API and token endpoints of `django` under /api on `server`'s
 * origin, so that the page, the worker and the API share one origin as an
 * app behind a reverse proxy does. Requests are recorded by the demo server.
 */
export function forwardApi(server: DemoServer, django: SimpleJwt): void {
  server.mount('/api', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url
    const upstream = request({ host: '127.0.0.1', port: django.port, method: req.method, path, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    req.pipe(upstream)
  })
}
