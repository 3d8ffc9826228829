import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { checkStandalone, normalizeOptions, type TokenProxyOptions } from '../common/options.js'

/** The first line of every worker file written with options, so that tools can recognise one. */
export const WORKER_FILE_BANNER = '/* sw-token-proxy: options written by sw-token-proxy, not read from the URL */'

/**
 * The standalone worker with its options written into the file, ahead of
 * its code: what `sw-token-proxy init` and the Vite plugin serve. Options in
 * the file are the ones no page script can change (the worker's URL can be
 * of anyone's making), so they may name trusted origins; a worker file that
 * carries options refuses a URL with a query. Throws a
 * `TokenProxyOptionsError` for invalid options, as the worker would.
 */
export function workerFile(options: TokenProxyOptions, standalone: string): string {
  // Paths are checked against a stand-in origin: the real one is known only in the browser.
  checkStandalone(normalizeOptions(options, 'https://origin.invalid'))
  return `${WORKER_FILE_BANNER}\nself.swTokenProxyOptions = ${JSON.stringify(options)};\n${standalone}`
}

/**
 * The worker code as this package ships it, for `workerFile`: for `options`,
 * the build written for them (`sw-token-proxy/sw.written.js`, or without
 * `dpop` `sw-token-proxy/sw.written.bearer.js`, which has none of DPoP's
 * code; neither reads options from its URL); without, the standalone
 * `sw-token-proxy/sw.js`. With `'development'`,
 * `sw-token-proxy/sw.development.js`, which logs each decision to the
 * worker's console (never a token).
 */
export function readStandalone(build: 'production' | 'development' = 'production', options?: TokenProxyOptions): Promise<string> {
  const file =
    build === 'development' ? 'sw.development.js' : options === undefined ? 'sw.js' : options.dpop === true ? 'sw.written.js' : 'sw.written.bearer.js'
  return readFile(createRequire(import.meta.url).resolve(`sw-token-proxy/${file}`), 'utf8')
}
