import { isTokenProxyError, registerTokenProxy, type Session, type TokenProxy, type Tokens } from 'sw-token-proxy'
import { registerTokenProxy as withAxios, type AxiosTokenProxy } from 'sw-token-proxy/axios'

/** Never run, only typechecked: the packed declarations are real types, not `any`. */
export async function pageTypes(proxy: TokenProxy, axiosProxy: AxiosTokenProxy): Promise<void> {
  // @ts-expect-error `workerUrl` is required
  await registerTokenProxy({})
  // @ts-expect-error `apiPrefix` is a path or a list of paths
  await registerTokenProxy({ workerUrl: '/sw.js', worker: { apiPrefix: 1, refreshUrl: '/api/auth/refresh' } })
  const tokens: Tokens = { accessToken: 'a', refreshToken: 'r', expiresAt: 0 }
  await proxy.setTokens(tokens)
  const stop: () => void = proxy.on('refresh', ({ reason }) => {
    const known: 'expiry' | 'unauthorized' = reason
    void known
  })
  stop()
  const session: Session = await proxy.session()
  const until: number | null = session.expiresAt
  proxy.on('session', ({ active }) => void (active satisfies boolean))
  // @ts-expect-error a session holds no token
  void session.accessToken
  void until
  // @ts-expect-error the main entry has no axios: `http` comes from 'sw-token-proxy/axios'
  void proxy.http
  // @ts-expect-error nor does it take axios defaults
  await registerTokenProxy({ workerUrl: '/sw.js', http: {} })
  void (await withAxios({ workerUrl: '/sw.js', http: { timeout: 1_000 } })).http
  const { data } = await axiosProxy.http.get<{ user: string }>('/api/me')
  const user: string = data.user
  const guarded: boolean = isTokenProxyError(user)
  void guarded
}
