import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { normalizeOptions, type TokenProxyOptions } from '../common/options.js'

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
  normalizeOptions(options, 'https://origin.invalid')
  return `${WORKER_FILE_BANNER}\nself.swTokenProxyOptions = ${JSON.stringify(options)};\n${standalone}`
}

/** The standalone worker as this package ships it (`sw-token-proxy/sw.js`). */
export function readStandalone(): Promise<string> {
  return readFile(createRequire(import.meta.url).resolve('sw-token-proxy/sw.js'), 'utf8')
}
