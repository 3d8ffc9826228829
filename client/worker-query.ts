import { normalizeUrlOptions, type TokenProxyOptions } from '../common/options.js'
import { optionsToQuery } from '../common/query.js'

/**
 * The standalone worker's URL query for `worker` options, once they pass the
 * worker's own checks (B14): loaded only by pages that give `worker`, so an
 * app whose worker file carries its options never loads it.
 */
export function workerQuery(worker: TokenProxyOptions): string {
  normalizeUrlOptions(worker, location.origin)
  return optionsToQuery(worker)
}
