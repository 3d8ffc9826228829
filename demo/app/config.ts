import { registerTokenProxy, type AxiosRegisterTokenProxyOptions as RegisterTokenProxyOptions } from '../../client/axios.js'

/** The one place the demo configures the proxy: every page registers the same worker. */
export const proxyOptions: RegisterTokenProxyOptions = {
  workerUrl: '/sw.js',
  worker: {
    apiPrefix: '/api/',
    refreshUrl: '/api/auth/refresh',
    // The worker keeps the tokens of the login answer: the page never sees them.
    loginUrl: '/api/auth/login',
    logoutUrl: '/api/auth/logout',
  },
  loginPath: '/login',
}

export const register = (extra: Partial<RegisterTokenProxyOptions> = {}) =>
  registerTokenProxy({ ...proxyOptions, ...extra })

/**
 * The demo's own pages ask the server first whether it wants DPoP proofs
 * (`DPOP=1 npm start`), and register the worker with `dpop: true` if so.
 */
export async function registerForServer(extra: Partial<RegisterTokenProxyOptions> = {}) {
  const { dpop } = (await (await fetch('/__demo/stats')).json()) as { dpop?: boolean }
  return register({ ...extra, worker: { ...proxyOptions.worker!, ...(dpop ? { dpop: true } : {}) } })
}
