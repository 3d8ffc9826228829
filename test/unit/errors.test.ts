import { describe, expect, it } from 'vitest'
import { isTokenProxyError, TokenProxyError, TokenProxyOptionsError } from '../../common/errors.js'

describe('errors', () => {
  it('pin their names and keep the cause', () => {
    const cause = new TypeError('boom')
    const error = new TokenProxyError('Failed to x: y.', { cause })
    expect([error.name, new TokenProxyOptionsError('z').name]).toStrictEqual(['TokenProxyError', 'TokenProxyOptionsError'])
    expect(error.cause).toBe(cause)
    expect(new TokenProxyOptionsError('z')).toBeInstanceOf(TokenProxyError)
  })

  it('isTokenProxyError goes by name, so errors from another realm pass', () => {
    expect(isTokenProxyError(new TokenProxyOptionsError('z'))).toBe(true)
    // What a structured clone or an iframe's error looks like from here: not our class.
    expect(isTokenProxyError({ name: 'TokenProxyError', message: 'from elsewhere' })).toBe(true)
    expect(isTokenProxyError(new Error('x'))).toBe(false)
    expect(isTokenProxyError({ name: 'TypeError' })).toBe(false)
    expect(isTokenProxyError(null)).toBe(false)
    expect(isTokenProxyError('TokenProxyError')).toBe(false)
  })
})
