import { TokenProxyOptionsError } from './errors.js'

/** How the worker talks to the refresh endpoint. */
export type RefreshProtocol = 'json' | 'oauth2' | 'cookie'

/** Options of the worker half, given to `installTokenProxy` or, for the standalone `sw.js`, in its URL. */
export interface TokenProxyOptions {
  /**
   * Path prefix, or list of them, whose requests get the access token, on
   * the worker's origin and on `trustedOrigins`. Matched on a path-segment
   * boundary: `/api/` matches `/api` and `/api/users`, never `/apix`.
   */
  apiPrefix: string | readonly string[]
  /**
   * The refresh endpoint: a same-origin path, or a URL on one of
   * `trustedOrigins`. It never gets a token injected and never triggers a
   * refresh itself.
   */
  refreshUrl: string
  /**
   * Other origins (scheme, host, port, such as `'https://api.example.com'`)
   * whose `apiPrefix` paths also get the token. Compared exactly after URL
   * parsing, never as a prefix or a pattern.
   * @default []
   */
  trustedOrigins?: readonly string[]
  /**
   * The refresh protocol.
   * `'json'`: POST `{"refreshToken": …}`, answered by JSON with
   * `accessToken`, `access_token` or `token`, optionally a new
   * `refreshToken`/`refresh_token` and `expiresIn`/`expires_in` (seconds).
   * `'oauth2'`: the refresh token grant of RFC 6749 §6, a form POST of
   * `grant_type=refresh_token`, `refresh_token`, `client_id` and `scope` if
   * given; only an `invalid_grant` error ends the session (§5.2).
   * `'cookie'`: POST with credentials and no body: the refresh credential is
   * an HttpOnly cookie no script can read; the worker keeps only the access
   * token and its expiry.
   * @default 'json'
   */
  refreshProtocol?: RefreshProtocol
  /** The OAuth 2.0 client's `client_id`; required with `refreshProtocol: 'oauth2'`, and only used with it. */
  clientId?: string
  /** The `scope` the oauth2 refresh asks for; left out, the server keeps the granted one. */
  scope?: string
  /**
   * The login endpoint (same-origin path or URL on `trustedOrigins`). The
   * worker takes the tokens out of its successful JSON response, stores them,
   * and hands the page the body without them.
   */
  loginUrl?: string
  /**
   * The logout endpoint. A response from it clears the tokens and logs every
   * tab out; `proxy.logout()` calls it (POST, with the token) before that.
   */
  logoutUrl?: string
  /**
   * How long the refresh endpoint may take, in milliseconds, before the
   * refresh counts as unavailable (the session is kept).
   * @default 10000
   */
  refreshTimeout?: number
  /**
   * The largest request body, in bytes, kept so the request can be replayed
   * after a refresh. A larger body is sent once, and its 401 goes to the page.
   * @default 1048576 (1 MiB)
   */
  maxReplayBytes?: number
  /**
   * How long before the access token expires, in milliseconds, a request
   * refreshes it first (B10), so steady state has no 401 round trips. For
   * tokens that live less than twice this, half their lifetime is used. The
   * expiry comes from `expiresIn`, `setTokens({ expiresAt })` or the JWT `exp`.
   * @default 30000
   */
  expiryLeeway?: number
}

/** Options after validation: what the rest of the worker trusts. */
export interface NormalizedOptions {
  /** Prefixes without their trailing slash: `/api/` becomes `/api`, `/` becomes ``. */
  apiPrefixes: readonly string[]
  /** Origins other than the worker's own whose API paths get the token, as `URL.origin` writes them. */
  trustedOrigins: readonly string[]
  /** Absolute URLs of the endpoints. */
  refreshUrl: string
  loginUrl: string | undefined
  logoutUrl: string | undefined
  refreshProtocol: RefreshProtocol
  clientId: string | undefined
  scope: string | undefined
  refreshTimeout: number
  maxReplayBytes: number
  expiryLeeway: number
}

export const OPTION_NAMES = [
  'apiPrefix',
  'refreshUrl',
  'trustedOrigins',
  'refreshProtocol',
  'clientId',
  'scope',
  'loginUrl',
  'logoutUrl',
  'refreshTimeout',
  'maxReplayBytes',
  'expiryLeeway',
] as const
const LISTS: readonly string[] = ['apiPrefix', 'trustedOrigins']
const NUMBERS: readonly string[] = ['refreshTimeout', 'maxReplayBytes', 'expiryLeeway']
const PROTOCOLS: readonly string[] = ['json', 'oauth2', 'cookie']

function fail(option: string, expected: string, got: unknown): never {
  throw new TokenProxyOptionsError(
    `Failed to configure the token proxy: \`${option}\` must be ${expected}, got ${describe(got)}.`,
  )
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : Array.isArray(value) ? 'an array' : String(value)
}

/** True for `/x…` paths that stay on the origin they are resolved against. */
export function isSameOriginPath(value: unknown): value is string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) && !/[\s\\]/.test(value)
}

function prefix(value: unknown): string {
  if (!isSameOriginPath(value) || /[?#]/.test(value)) {
    fail('apiPrefix', "a path such as '/api/' (no query, no hash)", value)
  }
  // Compared with `URL.pathname`, so normalized the same way (percent-encoding, dot segments).
  return new URL(value, 'http://x').pathname.replace(/\/+$/, '')
}

/** An origin exactly as `URL.origin` writes it: `https://api.example.com`, no path, no slash. */
function trustedOrigin(value: unknown): string {
  let parsed: URL | undefined
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined
  } catch {}
  // A host name, not a pattern: the URL parser lets `*` through.
  const host = /^(\[[0-9a-f:.]+\]|[a-z0-9-]+(\.[a-z0-9-]+)*)$/i
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== value || !host.test(parsed.hostname)) {
    fail('trustedOrigins', "a list of origins such as 'https://api.example.com' (scheme, host and port; no path)", value)
  }
  return parsed.origin
}

/** A same-origin path, or an absolute URL on the worker's or a trusted origin; returned absolute. */
function endpoint(option: string, value: unknown, origin: string, trusted: readonly string[]): string {
  if (isSameOriginPath(value)) return new URL(value, origin).href
  let parsed: URL | undefined
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined
  } catch {}
  if (!parsed || (parsed.origin !== origin && !trusted.includes(parsed.origin))) {
    fail(option, "a same-origin path such as '/api/auth/refresh', or a URL on one of `trustedOrigins`", value)
  }
  return parsed.href
}

/**
 * Validates options once, at the edge, and returns the normalized form.
 * Throws a `TokenProxyOptionsError` naming the option, the value and what is
 * allowed.
 */
export function normalizeOptions(options: TokenProxyOptions, origin: string): NormalizedOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options)
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new TokenProxyOptionsError(
        `Failed to configure the token proxy: unknown option \`${key}\`; the options are ${OPTION_NAMES.join(', ')}.`,
      )
    }
  }
  const {
    apiPrefix,
    refreshUrl,
    trustedOrigins = [],
    refreshProtocol = 'json',
    clientId,
    scope,
    loginUrl,
    logoutUrl,
    refreshTimeout = 10_000,
    maxReplayBytes = 1_048_576,
    expiryLeeway = 30_000,
  } = options
  const list: readonly unknown[] = Array.isArray(apiPrefix) ? apiPrefix : [apiPrefix]
  if (list.length === 0) fail('apiPrefix', 'a path or a non-empty list of paths', apiPrefix)
  if (!Array.isArray(trustedOrigins)) fail('trustedOrigins', 'a list of origins', trustedOrigins)
  const trusted = trustedOrigins.map(trustedOrigin).filter((o) => o !== origin)
  if (!PROTOCOLS.includes(refreshProtocol)) {
    fail('refreshProtocol', PROTOCOLS.map((p) => `'${p}'`).join(' or '), refreshProtocol)
  }
  // Only the oauth2 protocol takes these two; elsewhere they would be ignored.
  const oauth2 = refreshProtocol === 'oauth2'
  const only = "left out unless `refreshProtocol` is 'oauth2'"
  if (oauth2 ? typeof clientId !== 'string' || clientId === '' : clientId !== undefined) {
    fail('clientId', oauth2 ? 'a non-empty string' : only, clientId)
  }
  // RFC 6749 §3.3: scope tokens of printable ASCII but `"` and `\`, one space apart.
  if (scope !== undefined && !(oauth2 && typeof scope === 'string' && /^[!#-[\]-~]+( [!#-[\]-~]+)*$/.test(scope))) {
    fail('scope', oauth2 ? "scope tokens such as 'openid api'" : only, scope)
  }
  if (!Number.isInteger(refreshTimeout) || refreshTimeout <= 0) {
    fail('refreshTimeout', 'a whole number of milliseconds above 0', refreshTimeout)
  }
  if (!Number.isInteger(maxReplayBytes) || maxReplayBytes < 0) {
    fail('maxReplayBytes', 'a whole number of bytes, 0 or more', maxReplayBytes)
  }
  if (!Number.isInteger(expiryLeeway) || expiryLeeway < 0) {
    fail('expiryLeeway', 'a whole number of milliseconds, 0 or more', expiryLeeway)
  }
  return {
    apiPrefixes: list.map(prefix),
    trustedOrigins: trusted,
    refreshUrl: endpoint('refreshUrl', refreshUrl, origin, trusted),
    loginUrl: loginUrl === undefined ? undefined : endpoint('loginUrl', loginUrl, origin, trusted),
    logoutUrl: logoutUrl === undefined ? undefined : endpoint('logoutUrl', logoutUrl, origin, trusted),
    refreshProtocol,
    clientId,
    scope,
    refreshTimeout,
    maxReplayBytes,
    expiryLeeway,
  }
}

/**
 * Validates options read from the standalone worker's URL. Any script of the
 * origin can register the worker with a URL of its own making, for a scope
 * of its choosing, and that registration outlives the script: so the URL
 * may name no other origin to send a token or a refresh token to. Options
 * that do go in the worker file itself (`sw-token-proxy init`, the Vite
 * plugin), which no page script can change.
 */
export function normalizeUrlOptions(options: TokenProxyOptions, origin: string): NormalizedOptions {
  const normalized = normalizeOptions(options, origin)
  // Without trusted origins, every endpoint is same-origin (`endpoint` allows no other).
  if (normalized.trustedOrigins.length > 0) {
    throw new TokenProxyOptionsError(
      "Failed to configure the token proxy: `trustedOrigins` cannot be given in the worker's URL, where any script of the origin could set it; " +
        'write the options into the worker file instead (`npx sw-token-proxy init`, or the Vite plugin).',
    )
  }
  return normalized
}

/**
 * Writes options as the query string of the standalone worker's URL:
 * `apiPrefix=/api/&refreshUrl=/api/auth/refresh`. Lists repeat the key.
 */
export function optionsToQuery(options: TokenProxyOptions): string {
  const query = new URLSearchParams()
  for (const key of OPTION_NAMES) {
    const value = options[key]
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      query.append(key, String(item))
    }
  }
  return query.toString()
}

/** Reads options back from the standalone worker's query string. */
export function optionsFromQuery(search: string): TokenProxyOptions {
  const query = new URLSearchParams(search)
  const options: Record<string, unknown> = {}
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key)
    options[key] = LISTS.includes(key) ? values : NUMBERS.includes(key) ? Number(values[0]) : values[0]
  }
  return options as unknown as TokenProxyOptions
}
