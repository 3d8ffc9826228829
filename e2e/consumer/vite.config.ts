import { tokenProxy } from 'sw-token-proxy/vite'

// No import of 'vite' itself: this project is built and served by the Vite of the repo's tests.
export default {
  plugins: [tokenProxy({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', loginUrl: '/api/auth/login' })],
}
