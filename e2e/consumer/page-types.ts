import { isTokenProxyError, registerTokenProxy, type Session, type TokenProxy, type Tokens } from 'sw-token-proxy'

/** Never run, only typechecked: the packed declarations are real types, not `any`. */
export async function pageTypes(proxy: TokenProxy): Promise<void> {
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
  const { data } = await proxy.http.get<{ user: string }>('/api/me')
  const user: string = data.user
  const guarded: boolean = isTokenProxyError(user)
  void guarded
}
