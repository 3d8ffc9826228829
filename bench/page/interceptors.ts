/**
 * The alternatives a user would pick instead of the worker, as page code:
 * an axios instance whose interceptors keep the token in localStorage (shared
 * by the tabs of the origin, as most apps do) and refresh it on a 401.
 * Bundled by bench/expiry.ts and loaded into a page with no service worker.
 */
import axios, { type AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios'
import createAuthRefreshInterceptor from 'axios-auth-refresh'

export type InterceptorKind = 'classic interceptor' | 'axios-auth-refresh' | 'axios-auth-refresh, deduplicateRefresh off'

interface TokenAnswer {
  accessToken: string
  refreshToken: string
}

const bench = {
  /** Tabs of this page that saw the refresh rejected, and so logged the user out. */
  logouts: 0,
  http: undefined as AxiosInstance | undefined,

  setTokens({ accessToken, refreshToken }: TokenAnswer) {
    localStorage.setItem('accessToken', accessToken)
    localStorage.setItem('refreshToken', refreshToken)
  },

  use(kind: InterceptorKind) {
    const http = axios.create()
    http.interceptors.request.use((config) => {
      const token = localStorage.getItem('accessToken')
      if (token) config.headers.Authorization = `Bearer ${token}`
      return config
    })
    if (kind === 'classic interceptor') classic(http)
    else {
      // Its README's set-up. With the default `deduplicateRefresh: true`, 401s that
      // come back while the refresh runs are handed to the caller, not retried.
      const logic = (failed: AxiosError) => refresh().then((token) => void (failed.response!.config.headers.Authorization = `Bearer ${token}`))
      createAuthRefreshInterceptor(http, logic, kind === 'axios-auth-refresh' ? {} : { deduplicateRefresh: false })
    }
    bench.http = http
  },
}

/** Presents the stored refresh token; a rejected refresh logs out, as these apps do. */
async function refresh(): Promise<string> {
  try {
    const { data } = await axios.post<TokenAnswer>('/api/auth/refresh', { refreshToken: localStorage.getItem('refreshToken') })
    bench.setTokens(data)
    return data.accessToken
  } catch (error) {
    // 400 `invalid_grant`, 401 or 403: the server ended the session.
    if ([400, 401, 403].includes((error as AxiosError).response?.status ?? 0)) {
      bench.logouts++
      localStorage.clear()
    }
    throw error
  }
}

/**
 * The interceptor as it is commonly published: an `isRefreshing` flag, a
 * queue of the requests that got a 401 while it is set, and a `_retry` mark.
 */
function classic(http: AxiosInstance) {
  let isRefreshing = false
  let queue: { resolve: (token: string) => void; reject: (error: unknown) => void }[] = []
  const settle = (error: unknown, token?: string) => {
    for (const waiter of queue) (error ? waiter.reject(error) : waiter.resolve(token!))
    queue = []
  }
  http.interceptors.response.use(undefined, async (error: AxiosError) => {
    const original = error.config as InternalAxiosRequestConfig & { _retry?: boolean }
    if (error.response?.status !== 401 || original._retry) throw error
    if (isRefreshing) {
      const token = await new Promise<string>((resolve, reject) => queue.push({ resolve, reject }))
      original.headers.Authorization = `Bearer ${token}`
      return http(original)
    }
    original._retry = true
    isRefreshing = true
    try {
      const token = await refresh()
      settle(null, token)
      original.headers.Authorization = `Bearer ${token}`
      return http(original)
    } catch (refreshError) {
      settle(refreshError)
      throw refreshError
    } finally {
      isRefreshing = false
    }
  })
}

declare global {
  interface Window {
    bench: typeof bench
  }
}
window.bench = bench
