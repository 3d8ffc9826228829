import { OPTION_NAMES, OPTIONS } from './option-table.js'
import type { TokenProxyOptions } from './options.js'

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
