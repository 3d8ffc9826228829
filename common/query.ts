import { failed, TokenProxyOptionsError } from './errors.js'
import { normalizeOptions, OPTION_NAMES, OPTIONS, type NormalizedOptions, type TokenProxyOptions } from './options.js'

/**
 * Writes options as the query string of the standalone worker's URL:
 * `apiPrefix=/api/&refreshUrl=/api/auth/refresh`. Lists repeat the key; a
 * map writes each of its keys after a dot (`fields.accessToken=access`).
 */
export function optionsToQuery(options: TokenProxyOptions): string {
  const query = new URLSearchParams()
  for (const name of OPTION_NAMES) {
    const value = options[name]
    if (OPTIONS[name].kind === 'map') {
      for (const [key, item] of Object.entries(value ?? {})) query.append(`${name}.${key}`, String(item))
      continue
    }
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) query.append(name, String(item))
  }
  return query.toString()
}

/**
 * Reads options back from such a query string, each as the kind the table
 * gives it. Unknown names are kept, so that validation names them.
 */
export function optionsFromQuery(search: string): TokenProxyOptions {
  const query = new URLSearchParams(search)
  const options: Record<string, unknown> = {}
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name)
    const [first] = values
    // `fields.accessToken=access`: one key of a map option.
    const [head, ...key] = name.split('.')
    if (key.length > 0 && (OPTIONS as Record<string, { kind: string }>)[head!]?.kind === 'map') {
      options[head!] = { ...(options[head!] as object), [key.join('.')]: first }
      continue
    }
    const kind = (OPTIONS as Record<string, { kind: string }>)[name]?.kind
    options[name] = kind === 'list' ? values : kind === 'number' ? Number(first) : kind === 'boolean' && (first === 'true' || first === 'false') ? first === 'true' : first
  }
  return options as unknown as TokenProxyOptions
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
