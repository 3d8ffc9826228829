import { describe, expect, it } from 'vitest'
import { isTokenProxyError, registerTokenProxy } from '../../client/index.js'

// Vitest runs this file in Node: no window, no navigator, as during server-side rendering.
describe('registerTokenProxy outside a page', () => {
  it('rejects with a TokenProxyError that says where to call it, not a ReferenceError', async () => {
    const error = await registerTokenProxy({ workerUrl: '/sw.js' }).catch((e: unknown) => e)
    expect(isTokenProxyError(error)).toBe(true)
    expect((error as Error).message).toBe(
      'Failed to register the token proxy: call it in a browser page, not during server-side rendering or in a worker.',
    )
  })
})
