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
 * The standalone worker as this package ships it: `sw-token-proxy/sw.js`, or
 * with `'development'` `sw-token-proxy/sw.development.js`, which logs each
 * decision to the worker's console (never a token).
 */
export function readStandalone(build: 'production' | 'development' = 'production'): Promise<string> {
  const file = build === 'production' ? 'sw-token-proxy/sw.js' : 'sw-token-proxy/sw.development.js'
  return readFile(createRequire(import.meta.url).resolve(file), 'utf8')
}
