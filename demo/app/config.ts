import { registerTokenProxy, type RegisterTokenProxyOptions } from '../../client/index.js'

/** The one place the demo configures the proxy: every page registers the same worker. */
export const proxyOptions: RegisterTokenProxyOptions = {
  workerUrl: '/sw.js',
  worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' },
  loginPath: '/login',
}

export const register = (extra: Partial<RegisterTokenProxyOptions> = {}) =>
  registerTokenProxy({ ...proxyOptions, ...extra })
