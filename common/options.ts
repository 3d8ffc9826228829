import { failed, TokenProxyOptionsError } from './errors.js'
import { mustBe } from './words.js'
import { OPTIONS, OPTION_NAMES, type OptionName } from './option-table.js'
import { isSameOriginPath } from './paths.js'

export { isSameOriginPath }

/** How the worker talks to the refresh endpoint. */
export type RefreshProtocol = 'json' | 'oauth2' | 'cookie'

/**
 * The names a token endpoint's JSON gives the token fields, when they are not
 * the ones the worker reads by default (B18). Each is a JSON name, or a
 * dotted path into a nested answer (`'data.accessToken'`).
 */
export interface TokenFields {
  /** @default `accessToken`, `access_token` or `token` */
  accessToken?: string
  /** Read from answers, and the name the `'json'` refresh request sends it under. @default `refreshToken` (read: also `refresh_token`) */
  refreshToken?: string
  /** The access token's lifetime in seconds. @default `expiresIn` or `expires_in` */
  expiresIn?: string
}

/** The token fields, and the names each is read under when `fields` does not name it. */
export const DEFAULT_FIELDS = {
  accessToken: ['accessToken', 'access_token', 'token'],
  refreshToken: ['refreshToken', 'refresh_token'],
  expiresIn: ['expiresIn', 'expires_in'],
} as const satisfies Record<keyof TokenFields, readonly string[]>

export const FIELD_NAMES = Object.keys(DEFAULT_FIELDS) as (keyof TokenFields)[]

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
  /**
   * DPoP (RFC 9449): every request to the token endpoints carries a proof
   * signed with a key the worker made non-extractable, so the tokens the
   * server binds to it are useless to anyone who copies them without it.
   * Tokens the server answers with `token_type: 'DPoP'` go out as
   * `Authorization: DPoP …` with a fresh proof each time; Bearer tokens stay
   * Bearer. Server nonces are answered by one retry.
   * @default false
   */
  dpop?: boolean
  /**
   * The names your server's JSON uses for the token fields, both ways: in the
   * `'json'` refresh request's body and in the answers of `loginUrl` and
   * `refreshUrl`, such as `{ accessToken: 'access', refreshToken: 'refresh' }`
   * for Django REST framework SimpleJWT. A name may be a dotted path into a
   * nested answer (`'data.accessToken'`). Each key is optional; a field
   * named here is read under that name only. Not with `'oauth2'`, whose
   * names RFC 6749 fixes. In the worker's URL: `fields.accessToken=access`.
   * @default the names of `DEFAULT_FIELDS`
   */
  fields?: TokenFields
  /**
   * Who routes API requests in a worker of the app's own (`installTokenProxy`).
   * `'proxy'`: the proxy's fetch listener takes every API request, before the
   * app's listeners. `'workbox'`: the app's Workbox routes decide, with the
   * proxy's `plugin` in their strategies and its `routes` registered last for
   * every API request no route of the app's takes. The token endpoints stay
   * the proxy's either way (B13). Not for the standalone worker.
   * @default 'proxy'
   */
  apiRouting?: ApiRouting
  /**
   * Cache Storage caches that hold answers of one session (the API reads an
   * app caches for offline use): each is deleted at every session boundary
   * (logout, a rejected refresh, a new login, `setTokens`), before the new
   * session's first answer (B17). A cache not named here is never touched.
   * @default []
   */
  sessionCaches?: readonly string[]
  /**
   * Several APIs, each with an access token of its own (RFC 8707), with
   * `refreshProtocol: 'oauth2'`: a map from an API's URL prefix (a
   * same-origin path, or a URL on one of `trustedOrigins`; under `apiPrefix`)
   * to its resource indicator, such as
   * `{ 'https://billing.example.com/v1/': 'https://billing.example.com' }`.
   * The first request to such an API gets its token from a refresh token
   * grant naming the resource; the token goes to that API alone, and is
   * refreshed on its own. Requests that no entry matches get the login's
   * access token. In the worker's URL: `resources./api/files/=urn:files`.
   * @default {}
   */
  resources?: Readonly<Record<string, string>>
  /**
   * The form parameter the resource indicator is sent as: `resource` (RFC
   * 8707), or the name your authorization server reads (`audience`).
   * @default 'resource'
   */
  resourceParameter?: string
}

/** Who routes API requests: see `TokenProxyOptions.apiRouting`. */
export type ApiRouting = 'proxy' | 'workbox'

export { OPTIONS, OPTION_NAMES, type OptionName } from './option-table.js'

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
  dpop: boolean
  apiRouting: ApiRouting
  sessionCaches: readonly string[]
  /** The `resources` option, longest prefix first. */
  resources: readonly Resource[]
  resourceParameter: string
  /** Where each token field is read, as paths (a name, or the segments of a dotted path), in order; the refresh token is sent under the first of its own. */
  fields: FieldPaths
}

/** One API with an access token of its own (`TokenProxyOptions.resources`). */
export interface Resource {
  /** The origin and path (no trailing slash) its requests are under. */
  origin: string
  path: string
  /** Its resource indicator, as the token endpoint is sent it. */
  indicator: string
}

/** A JSON name, or the segments of a dotted path into nested objects. */
export type FieldPath = readonly string[]

export type FieldPaths = Record<keyof TokenFields, readonly FieldPath[]>

const PROTOCOLS: readonly string[] = ['json', 'oauth2', 'cookie'] satisfies RefreshProtocol[]
const ROUTINGS: readonly string[] = ['proxy', 'workbox'] satisfies ApiRouting[]

function checkOneOf(option: string, allowed: readonly string[], value: unknown): void {
  if (typeof value !== 'string' || !allowed.includes(value)) throw invalid(option, allowed.map((a) => `'${a}'`).join(' or '), value)
}

function checkCacheNames(value: unknown): void {
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name === '')) {
    throw invalid('sessionCaches', "a list of Cache Storage names such as ['api-reads']", value)
  }
}

/** `value` as an absolute URL, or `undefined` when it is not one. */
function parseUrl(value: unknown): URL | undefined {
  try {
    return typeof value === 'string' ? new URL(value) : undefined
  } catch {
    return undefined
  }
}

function invalid(option: string, expected: string, got: unknown): TokenProxyOptionsError {
  return new TokenProxyOptionsError(failed('configure the token proxy', mustBe(option, expected, got)))
}

function checkPrefix(value: unknown): void {
  if (!isSameOriginPath(value) || /[?#]/.test(value)) {
    throw invalid('apiPrefix', "a path such as '/api/' (no query, no hash)", value)
  }
}

/** A prefix as `URL.pathname` writes it (percent-encoding, dot segments), without its trailing slash: `/api/` becomes `/api`, `/` becomes ``. */
const prefixPath = (prefix: string) => new URL(prefix, 'http://x').pathname.replace(/\/+$/, '')

/** An origin exactly as `URL.origin` writes it: `https://api.example.com`, no path, no slash. */
function checkTrustedOrigin(value: unknown): void {
  const parsed = parseUrl(value)
  // A host name, not a pattern: the URL parser lets `*` through.
  const host = /^(\[[0-9a-f:.]+\]|[a-z0-9-]+(\.[a-z0-9-]+)*)$/i
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== value || !host.test(parsed.hostname)) {
    throw invalid('trustedOrigins', "a list of origins such as 'https://api.example.com' (scheme, host and port; no path)", value)
  }
}

/** A same-origin path, or an absolute URL on the worker's or a trusted origin. */
function checkEndpoint(option: string, value: unknown, origin: string, trusted: readonly string[]): void {
  if (isSameOriginPath(value)) return
  const parsed = parseUrl(value)
  if (!parsed || (parsed.origin !== origin && !trusted.includes(parsed.origin))) {
    throw invalid(option, "a same-origin path such as '/api/auth/refresh', or a URL on one of `trustedOrigins`", value)
  }
}

/** Whether `path` is `prefix` or under it, on a path-segment boundary (`prefix` without its trailing slash). */
export const isUnder = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`)

/** `resources`: each prefix an API URL the token may go to, each indicator an absolute URI without a fragment (RFC 8707 §2). */
function checkResources(value: unknown, oauth2: boolean, origin: string, trusted: readonly string[], apiPrefixes: readonly string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('resources', "an object such as { '/api/files/': 'urn:files' }", value)
  }
  const entries = Object.entries(value)
  if (entries.length > 0 && !oauth2) throw invalid('resources', "left out unless `refreshProtocol` is 'oauth2'", value)
  for (const [prefix, indicator] of entries) {
    const url = isSameOriginPath(prefix) ? new URL(prefix, origin) : parseUrl(prefix)
    if (!url || url.search || url.hash || /[?#]/.test(prefix) || !(url.origin === origin || trusted.includes(url.origin)) || !apiPrefixes.some((api) => isUnder(prefixPath(url.pathname), api))) {
      throw invalid(`resources['${prefix}']`, "keyed by an API's URL prefix under `apiPrefix` (on this origin or one of `trustedOrigins`)", prefix)
    }
    if (typeof indicator !== 'string' || !parseUrl(indicator) || indicator.includes('#')) {
      throw invalid(`resources['${prefix}']`, "a resource indicator: an absolute URI without a fragment, such as 'urn:files'", indicator)
    }
  }
}

/** `resources` as the worker matches them, longest prefix first. */
function resourceList(value: Record<string, string>, origin: string): Resource[] {
  return Object.entries(value)
    .map(([prefix, indicator]) => {
      const url = new URL(prefix, origin)
      return { origin: url.origin, path: prefixPath(url.pathname), indicator }
    })
    .sort((a, b) => b.path.length - a.path.length)
}

/** A JSON name or a dotted path: segments of no dot and no space, none empty. */
const FIELD_PATH = /^[^.\s]+(\.[^.\s]+)*$/

function checkFields(fields: unknown, protocol: RefreshProtocol): void {
  if (fields === undefined) return
  if (protocol === 'oauth2') throw invalid('fields', "left out with `refreshProtocol: 'oauth2'`, whose field names RFC 6749 fixes", fields)
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw invalid('fields', "an object such as { accessToken: 'access', refreshToken: 'refresh' }", fields)
  }
  for (const [name, value] of Object.entries(fields)) {
    if (!FIELD_NAMES.includes(name as keyof TokenFields)) {
      throw new TokenProxyOptionsError(failed('configure the token proxy', `unknown field \`fields.${name}\`; the fields are ${FIELD_NAMES.join(', ')}`))
    }
    if (typeof value !== 'string' || !FIELD_PATH.test(value)) throw invalid(`fields.${name}`, "a JSON name, or a dotted path such as 'data.accessToken'", value)
  }
}

/** `fields` as paths: the one named for each field, or the defaults. */
function fieldPaths(fields: TokenFields | undefined): FieldPaths {
  const paths: Record<keyof TokenFields, FieldPath[]> = {
    accessToken: DEFAULT_FIELDS.accessToken.map((name) => [name]),
    refreshToken: DEFAULT_FIELDS.refreshToken.map((name) => [name]),
    expiresIn: DEFAULT_FIELDS.expiresIn.map((name) => [name]),
  }
  for (const [name, value] of Object.entries(fields ?? {})) paths[name as keyof TokenFields] = [value!.split('.')]
  return paths
}

/** Where the token fields are read without `fields`. */
export const DEFAULT_FIELD_PATHS: FieldPaths = fieldPaths(undefined)

/** The option as given, or its default when left out. */
function given<K extends OptionName>(options: TokenProxyOptions, name: K): TokenProxyOptions[K] {
  const value = options[name]
  return value === undefined ? ((OPTIONS[name] as { default?: TokenProxyOptions[K] }).default as TokenProxyOptions[K]) : value
}

const NUMBERS = ['refreshTimeout', 'maxReplayBytes', 'expiryLeeway'] as const

/**
 * Validates options once, at the edge. Throws a `TokenProxyOptionsError`
 * naming the option, the value and what is allowed; `origin` is the
 * worker's (in Node, a stand-in: then every absolute URL must be on one of
 * `trustedOrigins`).
 */
export function checkOptions(options: TokenProxyOptions, origin: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalid('options', 'an object', options)
  for (const key of Object.keys(options)) {
    if (!(key in OPTIONS)) {
      throw new TokenProxyOptionsError(failed('configure the token proxy', `unknown option \`${key}\`; the options are ${OPTION_NAMES.join(', ')}`))
    }
  }
  for (const name of NUMBERS) {
    const { unit, min } = OPTIONS[name]
    const value = given(options, name)
    if (!Number.isInteger(value) || value! < min) throw invalid(name, `a whole number of ${unit}, ${min} or more`, value)
  }
  const apiPrefix = given(options, 'apiPrefix')
  const list: readonly unknown[] = Array.isArray(apiPrefix) ? apiPrefix : [apiPrefix]
  if (list.length === 0) throw invalid('apiPrefix', 'a path or a non-empty list of paths', apiPrefix)
  const trustedOrigins = given(options, 'trustedOrigins')
  if (!Array.isArray(trustedOrigins)) throw invalid('trustedOrigins', 'a list of origins', trustedOrigins)
  trustedOrigins.forEach(checkTrustedOrigin)
  const refreshProtocol = given(options, 'refreshProtocol')!
  if (!PROTOCOLS.includes(refreshProtocol)) {
    throw invalid('refreshProtocol', PROTOCOLS.map((p) => `'${p}'`).join(' or '), refreshProtocol)
  }
  // Only the oauth2 protocol takes these two; elsewhere they would be ignored.
  const oauth2 = refreshProtocol === 'oauth2'
  const oauth2Only = "left out unless `refreshProtocol` is 'oauth2'"
  const { clientId, scope } = options
  if (oauth2 ? typeof clientId !== 'string' || clientId === '' : clientId !== undefined) {
    throw invalid('clientId', oauth2 ? 'a non-empty string' : oauth2Only, clientId)
  }
  // RFC 6749 §3.3: scope tokens of printable ASCII but `"` and `\`, one space apart.
  if (scope !== undefined && !(oauth2 && typeof scope === 'string' && /^[!#-[\]-~]+( [!#-[\]-~]+)*$/.test(scope))) {
    throw invalid('scope', oauth2 ? "scope tokens such as 'openid api'" : oauth2Only, scope)
  }
  const dpop = given(options, 'dpop')
  if (typeof dpop !== 'boolean') throw invalid('dpop', 'true or false', dpop)
  const resourceParameter = given(options, 'resourceParameter')
  // A form name of its own: not one the grant itself sends.
  if (typeof resourceParameter !== 'string' || !/^[\w.-]+$/.test(resourceParameter) || ['grant_type', 'refresh_token', 'client_id', 'scope'].includes(resourceParameter)) {
    throw invalid('resourceParameter', "a form parameter name such as 'audience'", resourceParameter)
  }
  if (options.resourceParameter !== undefined && !oauth2) throw invalid('resourceParameter', oauth2Only, options.resourceParameter)
  list.forEach(checkPrefix)
  const trusted = trustedOrigins as string[]
  checkEndpoint('refreshUrl', options.refreshUrl, origin, trusted)
  for (const name of ['loginUrl', 'logoutUrl'] as const) if (options[name] !== undefined) checkEndpoint(name, options[name], origin, trusted)
  checkFields(options.fields, refreshProtocol)
  checkOneOf('apiRouting', ROUTINGS, given(options, 'apiRouting'))
  checkCacheNames(given(options, 'sessionCaches'))
  checkResources(given(options, 'resources'), oauth2, origin, trusted, (list as string[]).map(prefixPath))
}

/**
 * Options `checkOptions` passed, in the form the worker uses, for the
 * worker at `origin`. It checks nothing: the worker files `init` and the
 * Vite plugin write carry options Node checked when it wrote them, so they
 * carry none of the checks.
 */
export function resolveOptions(options: TokenProxyOptions, origin: string): NormalizedOptions {
  const at = (url: string | undefined) => (url === undefined ? undefined : new URL(url, origin).href)
  return {
    apiPrefixes: [given(options, 'apiPrefix')!].flat().map(prefixPath),
    trustedOrigins: given(options, 'trustedOrigins')!.filter((o) => o !== origin),
    refreshUrl: at(options.refreshUrl)!,
    loginUrl: at(options.loginUrl),
    logoutUrl: at(options.logoutUrl),
    refreshProtocol: given(options, 'refreshProtocol')!,
    clientId: options.clientId,
    scope: options.scope,
    refreshTimeout: given(options, 'refreshTimeout')!,
    maxReplayBytes: given(options, 'maxReplayBytes')!,
    expiryLeeway: given(options, 'expiryLeeway')!,
    dpop: given(options, 'dpop')!,
    fields: fieldPaths(options.fields),
    apiRouting: given(options, 'apiRouting')!,
    sessionCaches: [...new Set(given(options, 'sessionCaches'))],
    resources: resourceList(given(options, 'resources')!, origin),
    resourceParameter: given(options, 'resourceParameter')!,
  }
}

/** `checkOptions`, then `resolveOptions`: the normalized options, or a `TokenProxyOptionsError`. */
export function normalizeOptions(options: TokenProxyOptions, origin: string): NormalizedOptions {
  checkOptions(options, origin)
  return resolveOptions(options, origin)
}

/**
 * Options for the standalone worker (its URL, or the file the Vite plugin and
 * the CLI write): it has no routes of an app's own to leave API requests to.
 */
export function checkStandalone(options: NormalizedOptions): NormalizedOptions {
  if (options.apiRouting === 'workbox') {
    throw new TokenProxyOptionsError(
      failed('configure the token proxy', "`apiRouting: 'workbox'` is for a worker of your own that calls installTokenProxy; the standalone worker routes API requests itself"),
    )
  }
  return options
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
  // Without trusted origins, every endpoint is same-origin (`normalizeOptions` allows no other).
  if (normalized.trustedOrigins.length > 0) {
    throw new TokenProxyOptionsError(
      failed(
        'configure the token proxy',
        "`trustedOrigins` cannot be given in the worker's URL, where any script of the origin could set it; " +
          'write the options into the worker file instead (`npx sw-token-proxy init`, or the Vite plugin)',
      ),
    )
  }
  return normalized
}
