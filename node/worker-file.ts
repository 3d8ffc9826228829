import { normalizeOptions, type TokenProxyOptions } from '../common/options.js'

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
  return `/* sw-token-proxy: options written by sw-token-proxy, not read from the URL */\nself.swTokenProxyOptions = ${JSON.stringify(options)};\n${standalone}`
}
