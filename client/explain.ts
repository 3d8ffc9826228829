import { mustBe } from '../common/words.js'

/**
 * The words for the failures a page rarely meets (bad options, a scope that
 * cannot work, a browser without service workers), loaded only when one
 * happens: the page module's startup carries the tests, this chunk what
 * to say about a test that failed. Each returns the reason, the part after
 * "Failed to register the token proxy: ".
 */

/** What each page option must be. Every option of `PAGE_CHECKS` in index.ts that can fail has its words here. */
const EXPECTED: Record<string, string> = {
  workerUrl: "a script URL such as '/sw.js' (without a query when `worker` is given)",
  loginPath: "a same-origin path such as '/login'",
  onLogout: 'a function',
  timeout: 'a whole number of milliseconds, 1 or more',
}

/** The option `name` (`value` given, `known` the page's options) is refused, or unknown. */
export function badOption(name: string, value: unknown, known: readonly string[]): string {
  if (known.includes(name)) return mustBe(name, EXPECTED[name] ?? 'valid', value)
  const hint = name === 'http' ? "; `proxy.http` and its `http` defaults come from 'sw-token-proxy/axios'" : `; the options are ${known.join(', ')}`
  return `unknown option \`${name}\`${hint}`
}

export const outsidePage = (): string => 'call it in a browser page, not during server-side rendering or in a worker'

export const noServiceWorkers = (): string =>
  'this page has no service workers: it needs https (or http on localhost), and a browser window that allows them (Firefox before 138 has none in private windows)'

/** The worker at `scriptUrl` did not answer its first message. */
export const silent = (scriptUrl: string): string => `the worker at ${new URL(scriptUrl).pathname} does not answer: does it call installTokenProxy?`

/**
 * Why the registration at `scope` can never control this page: its scope
 * does not cover the page, or another registration's narrower one (at
 * `serving`, running `script`) does, and the browser gives the page to it.
 */
export function outOfScope(scope: string, serving: string | undefined, script: string | undefined): string {
  if (!location.href.startsWith(scope)) {
    return `the worker's scope ${new URL(scope).pathname} does not cover this page (${location.pathname}); serve the worker from a folder above the page, such as /sw.js, or let the server allow a wider scope with a Service-Worker-Allowed header`
  }
  return `another service worker (${script ? new URL(script).pathname : 'with no script'}, scope ${new URL(serving!).pathname}) controls this page and takes its requests; unregister it or register the token proxy for that scope`
}
