import type { TokenProxyOptions } from './options.js'

/**
 * The one table of options: how each is written in the worker's URL (a list
 * repeats its key), whether it is required, its default, and for numbers the
 * unit and least value. Names, kinds and defaults everywhere else come from
 * here; the `satisfies` clause fails to compile if an option of
 * `TokenProxyOptions` is missing, extra, of another kind, required in one and
 * not the other, or has a default of the wrong type.
 */
export const OPTIONS = {
  apiPrefix: { kind: 'list', required: true },
  refreshUrl: { kind: 'string', required: true },
  trustedOrigins: { kind: 'list', default: [] },
  refreshProtocol: { kind: 'string', default: 'json' },
  clientId: { kind: 'string' },
  scope: { kind: 'string' },
  loginUrl: { kind: 'string' },
  logoutUrl: { kind: 'string' },
  refreshTimeout: { kind: 'number', default: 10_000, unit: 'milliseconds', min: 1 },
  maxReplayBytes: { kind: 'number', default: 1_048_576, unit: 'bytes', min: 0 },
  expiryLeeway: { kind: 'number', default: 30_000, unit: 'milliseconds', min: 0 },
  dpop: { kind: 'boolean', default: false },
  fields: { kind: 'map' },
  apiRouting: { kind: 'string', default: 'proxy' },
  sessionCaches: { kind: 'list', default: [] },
  resources: { kind: 'map', default: {} },
  resourceParameter: { kind: 'string', default: 'resource' },
} as const satisfies { [K in OptionName]-?: OptionSpec<K> }

export type OptionName = keyof TokenProxyOptions

/** How an option of type `T` is written in the worker's URL (a map as `name.key=value`). */
type KindOf<T> = [NonNullable<T>] extends [number]
  ? 'number'
  : [NonNullable<T>] extends [boolean]
    ? 'boolean'
    : [NonNullable<T>] extends [string]
      ? 'string'
      : [NonNullable<T>] extends [string | readonly string[]]
        ? 'list'
        : 'map'

type OptionSpec<K extends OptionName> = { kind: KindOf<TokenProxyOptions[K]> } & ([NonNullable<TokenProxyOptions[K]>] extends [number]
  ? { unit: string; min: number }
  : unknown) &
  ({} extends Pick<TokenProxyOptions, K> ? { default?: NonNullable<TokenProxyOptions[K]> } : { required: true })

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[]
