import { installTokenProxy, isTokenProxyError, type TokenProxyOptions } from 'sw-token-proxy/sw'

/** Never run, only typechecked: the packed declarations are real types, not `any`. */
export function workerTypes(): void {
  const options: TokenProxyOptions = { apiPrefix: ['/api/', '/graphql'], refreshUrl: '/api/auth/refresh', refreshProtocol: 'cookie' }
  // @ts-expect-error not a refresh protocol
  const wrong: TokenProxyOptions = { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', refreshProtocol: 'basic' }
  // @ts-expect-error the options are required
  installTokenProxy()
  const guarded: boolean = isTokenProxyError(wrong)
  void [options, guarded]
}
