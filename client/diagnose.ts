const SERVE = 'serve the worker file there (the Vite plugin from `sw-token-proxy/vite`, or `npx sw-token-proxy init <public folder>`)'

/**
 * Why `navigator.serviceWorker.register(url)` failed, in words that say what
 * to fix. The browsers' own messages rarely do ("The operation is insecure",
 * "Script … load failed"), so the script is fetched once more and what
 * came back is named: not found, or not JavaScript (an SPA's fallback page).
 * Returns the reason, the part after "Failed to register the token proxy: ".
 */
export async function registrationFailure(url: string, cause: unknown): Promise<string> {
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
  return reason
}
