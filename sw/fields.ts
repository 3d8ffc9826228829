import { DEFAULT_FIELD_PATHS, type FieldPath, type FieldPaths } from '../common/options.js'

/**
 * Token fields where a server's JSON puts them (B18): read, written and
 * taken out along paths, a name or the segments of a dotted one.
 */

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The value at `path` in `body`, or `undefined`. */
export function readPath(body: unknown, path: FieldPath): unknown {
  let value = body
  for (const key of path) {
    if (!isObject(value) || !Object.hasOwn(value, key)) return undefined
    value = value[key]
  }
  return value
}

/** The first value of `paths` that `body` holds, an empty string counting as none. */
export const readField = (body: unknown, paths: readonly FieldPath[]): unknown =>
  paths.map((path) => readPath(body, path)).find((value) => value !== undefined && value !== '')

/** `{ [a]: { [b]: value } }` for the path `a.b`: a request body with one field. */
export function bodyWith(path: FieldPath, value: unknown): Json {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Json
}

/** Every path of every token field, and every default name too: what the page never gets. */
export const secretPaths = (fields: FieldPaths): FieldPath[] => [...Object.values(fields).flat(), ...Object.values(DEFAULT_FIELD_PATHS).flat()]

/**
 * `body` without what `paths` point at; an object left empty by that goes
 * too. Returns a copy; `body` is left as it was.
 */
export function withoutPaths(body: Json, paths: readonly FieldPath[]): Json {
  const copy = structuredClone(body)
  for (const path of paths) {
    const parents: Json[] = []
    let value: unknown = copy
    for (const key of path.slice(0, -1)) {
      if (!isObject(value) || !isObject(value[key])) break
      parents.push(value)
      value = value[key]
    }
    if (parents.length !== path.length - 1 || !isObject(value)) continue
    delete value[path.at(-1)!]
    // Emptied objects go, innermost first.
    for (let depth = parents.length - 1; depth >= 0; depth--) {
      const key = path[depth]!
      const child = parents[depth]![key]
      if (isObject(child) && Object.keys(child).length === 0) delete parents[depth]![key]
      else break
    }
  }
  return copy
}

/**
 * Names that are plainly tokens in any server's answer (Django REST
 * framework SimpleJWT's `access` and `refresh`, a `jwt`), whatever `fields`
 * says. Not `id_token`: OpenID Connect means it for the page.
 */
const TOKEN_NAMES = new Set(['access', 'refresh', 'jwt', 'access_token', 'accessToken', 'refresh_token', 'refreshToken', 'token', 'auth_token', 'authToken'])

/** The dotted paths of string values under token-like names anywhere in `body`. */
export function tokenLikePaths(body: unknown, prefix = ''): string[] {
  if (!isObject(body)) return []
  return Object.entries(body).flatMap(([key, value]) =>
    typeof value === 'string' && value !== '' && TOKEN_NAMES.has(key) ? [`${prefix}${key}`] : tokenLikePaths(value, `${prefix}${key}.`),
  )
}
