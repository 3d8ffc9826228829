import type { TokenStore } from './coordinator.js'
import { broadcast } from './messages.js'
import type { NormalizedOptions } from './options.js'
import { withToken } from './proxy.js'

/** Clears the tokens in storage and memory, then tells every tab. */
async function end(store: TokenStore): Promise<void> {
  await store.clear()
  await broadcast({ type: 'LOGOUT', reason: 'logout' })
}

/**
 * `proxy.logout()`: tells the server first when there is a `logoutUrl`
 * (POST, with the token; a failure there does not keep anyone logged in),
 * then ends the session everywhere.
 */
export async function logout(options: NormalizedOptions, store: TokenStore): Promise<void> {
  const tokens = await store.read()
  if (options.logoutUrl && tokens) {
    await fetch(options.logoutUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.accessToken}` },
      credentials: 'include',
      signal: AbortSignal.timeout(options.refreshTimeout),
    }).catch(() => undefined)
  }
  await end(store)
}

/** A request the page sends to `logoutUrl` itself: sent with the token; whatever the answer, the session ends. */
export async function passLogout(request: Request, store: TokenStore): Promise<Response> {
  const tokens = await store.read()
  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.blob()
  try {
    return await fetch(withToken(request, tokens?.accessToken, body))
  } finally {
    await end(store)
  }
}
