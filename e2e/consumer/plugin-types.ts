import { tokenProxy } from 'sw-token-proxy/vite'

/** Never run, only typechecked: the plugin's declarations. */
export function pluginTypes(): void {
  const plugin = tokenProxy({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' }, { fileName: 'sw.js' })
  const name: string = plugin.name
  // @ts-expect-error the worker options are required
  tokenProxy()
  void name
}
