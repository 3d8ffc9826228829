import { failed, TokenProxyError } from '../common/errors.js'

const WHAT = 'register the token proxy'
const SERVE = 'serve the worker file there (the Vite plugin from `sw-token-proxy/vite`, or `npx sw-token-proxy init <public folder>`)'

/**
 * Why `navigator.serviceWorker.register(url)` failed, in words that say what
 * to fix. The browsers' own messages rarely do ("The operation is insecure",
 * "Script … load failed"), so the script is fetched once more and what
 * came back is named: not found, or not JavaScript (an SPA's fallback page).
 */
export async function registrationFailure(url: string, cause: unknown): Promise<TokenProxyError> {
  const path = new URL(url, location.href).pathname
  const browserSays = String((cause as Error)?.message ?? cause)
  let response: Response | undefined
  try {
    response = await fetch(url, { cache: 'no-store', credentials: 'same-origin' })
  } catch {}
  const type = response?.headers.get('Content-Type')?.split(';')[0]?.trim() ?? ''
  const reason = !response
    ? `${path} could not be fetched (${browserSays})`
    : !response.ok
      ? `${path} answered ${response.status}: ${SERVE}`
      : !/javascript|ecmascript/i.test(type)
        ? `${path} is served as '${type || 'no type'}'${type.includes('html') ? ', most likely the app\u2019s fallback page: the worker file is not there' : ''}; ${SERVE} as JavaScript`
        : browserSays
  return new TokenProxyError(failed(WHAT, reason), { cause })
}

/**
 * Fails at once when the registration can never control this page: its
 * scope does not cover the page, or another registration's narrower scope
 * does (the browser gives the page to the most specific one).
 */
export async function checkScope(container: ServiceWorkerContainer, registration: ServiceWorkerRegistration, scriptUrl: string): Promise<void> {
  const page = location.pathname
  if (!location.href.startsWith(registration.scope)) {
    throw new TokenProxyError(
      failed(WHAT, `the worker's scope ${new URL(registration.scope).pathname} does not cover this page (${page}); serve the worker from a folder above the page, such as /sw.js, or let the server allow a wider scope with a Service-Worker-Allowed header`),
    )
  }
  const serving = await container.getRegistration(location.href)
  const script = serving && (serving.active ?? serving.waiting ?? serving.installing)?.scriptURL
  // The same worker with the same options at a narrower scope serves the page as well as this one.
  if (serving && serving.scope !== registration.scope && script !== scriptUrl) {
    throw new TokenProxyError(
      failed(WHAT, `another service worker (${script ? new URL(script).pathname : 'with no script'}, scope ${new URL(serving.scope).pathname}) controls this page and takes its requests; unregister it or register the token proxy for that scope`),
    )
  }
}
