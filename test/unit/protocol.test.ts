import { eventsOf } from '../../playwright/index.js'
import { describe, expect, it } from 'vitest'
import { isPageMessage, isWorkerMessage } from '../../common/protocol.js'
import { checkTokens } from '../../common/tokens.js'

describe('B14 isPageMessage', () => {
  it.each([
    [{ tokenProxy: 1, type: 'SET_TOKENS', tokens: { accessToken: 'a' } }],
    [{ tokenProxy: 1, type: 'LOGOUT' }],
    [{ tokenProxy: 1, type: 'CLAIM' }],
    [{ tokenProxy: 1, type: 'HELLO' }],
    // Another version passes the guard so that the worker can answer the mismatch.
    [{ tokenProxy: 2, type: 'LOGOUT' }],
  ])('accepts %j', (message) => {
    expect(isPageMessage(message)).toBe(true)
  })

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'SET_TOKENS'],
    ['a JSON string', JSON.stringify({ tokenProxy: 1, type: 'LOGOUT' })],
    ['a number', 1],
    ['an array', [1, 'LOGOUT']],
    ['no version', { type: 'LOGOUT' }],
    ['a fractional version', { tokenProxy: 1.5, type: 'LOGOUT' }],
    ['version 0', { tokenProxy: 0, type: 'LOGOUT' }],
    ['a string version', { tokenProxy: '1', type: 'LOGOUT' }],
    ['version true', { tokenProxy: true, type: 'LOGOUT' }],
    ['an unknown type', { tokenProxy: 1, type: 'GET_TOKENS' }],
    ['a lower-case type', { tokenProxy: 1, type: 'logout' }],
    ['no type', { tokenProxy: 1 }],
    ['a worker-only type', { tokenProxy: 1, type: 'RESULT', ok: true }],
    ['REFRESHED (worker-only)', { tokenProxy: 1, type: 'REFRESHED' }],
    ['another library message', { type: 'SKIP_WAITING' }],
  ])('rejects %s', (_, message) => {
    expect(isPageMessage(message)).toBe(false)
  })
})

describe('B14 isWorkerMessage', () => {
  it.each([
    [{ tokenProxy: 1, type: 'RESULT', ok: true }],
    [{ tokenProxy: 1, type: 'RESULT', ok: false, error: 'x' }],
    // A LOGOUT from a worker of another version must still reach the page.
    [{ tokenProxy: 2, type: 'LOGOUT', reason: 'logout' }],
    [{ tokenProxy: 1, type: 'LOGOUT', reason: 'refresh-rejected' }],
    [{ tokenProxy: 1, type: 'REFRESHED' }],
  ])('accepts %j', (message) => {
    expect(isWorkerMessage(message)).toBe(true)
  })

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'REFRESHED'],
    ['a negative version', { tokenProxy: -1, type: 'REFRESHED' }],
    ['a string version', { tokenProxy: '1', type: 'REFRESHED' }],
    ['no version', { type: 'REFRESHED' }],
    ['an unknown type', { tokenProxy: 1, type: 'TOKENS' }],
    ['a page-only type', { tokenProxy: 1, type: 'SET_TOKENS', tokens: { accessToken: 'a' } }],
    ['CLAIM (page-only)', { tokenProxy: 1, type: 'CLAIM' }],
    ['EXPIRE (a test-only message no worker has any more)', { tokenProxy: 1, type: 'EXPIRE' }],
  ])('rejects %s', (_, message) => {
    expect(isWorkerMessage(message)).toBe(false)
  })
})

describe('B14 checkTokens', () => {
  it.each([
    [{ accessToken: 'a' }],
    [{ accessToken: 'a', refreshToken: 'r' }],
    [{ accessToken: 'a', refreshToken: 'r', expiresAt: 1_750_000_000_000 }],
    [{ accessToken: 'a', refreshToken: undefined, expiresAt: undefined }],
    [{ accessToken: 'a', expiresAt: 0 }],
  ])('accepts %j', (tokens) => {
    expect(checkTokens(tokens)).toBeUndefined()
  })

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'token'],
    ['a number', 5],
  ])('rejects %s as not an object', (_, tokens) => {
    expect(checkTokens(tokens)).toBe('tokens must be an object')
  })

  it.each([
    ['no accessToken', {}],
    ['an empty accessToken', { accessToken: '' }],
    ['a numeric accessToken', { accessToken: 1 }],
    ['a null accessToken', { accessToken: null }],
    ['access_token instead', { access_token: 'a' }],
  ])('rejects %s', (_, tokens) => {
    expect(checkTokens(tokens)).toBe('`accessToken` must be a non-empty string')
  })

  it.each([
    ['an empty refreshToken', { accessToken: 'a', refreshToken: '' }],
    ['a numeric refreshToken', { accessToken: 'a', refreshToken: 1 }],
    ['a null refreshToken', { accessToken: 'a', refreshToken: null }],
  ])('rejects %s', (_, tokens) => {
    expect(checkTokens(tokens)).toBe('`refreshToken` must be a non-empty string when given')
  })

  it.each([
    ['a string expiresAt', { accessToken: 'a', expiresAt: '1750000000000' }],
    ['a NaN expiresAt', { accessToken: 'a', expiresAt: Number.NaN }],
    ['an infinite expiresAt', { accessToken: 'a', expiresAt: Number.POSITIVE_INFINITY }],
    ['a null expiresAt', { accessToken: 'a', expiresAt: null }],
    ['a Date expiresAt', { accessToken: 'a', expiresAt: new Date(0) }],
  ])('rejects %s', (_, tokens) => {
    expect(checkTokens(tokens)).toBe('`expiresAt` must be epoch milliseconds when given')
  })
})

describe("the Playwright helper reads the page's messages with the protocol module", () => {
  const session = { active: true, expiresAt: 5 }
  it('events as proxy.on hears them: any protocol version; refresh and session from the controller only, LOGOUT from any worker; nothing else', () => {
    expect(
      eventsOf([
        { data: { tokenProxy: 1, type: 'REFRESHED', reason: 'expiry' }, fromController: true },
        { data: { tokenProxy: 2, type: 'REFRESHED', reason: 'unauthorized', resource: 'urn:files' }, fromController: true },
        { data: { tokenProxy: 1, type: 'REFRESHED', reason: 'expiry' }, fromController: false },
        { data: { tokenProxy: 1, type: 'SESSION', session }, fromController: true },
        { data: { tokenProxy: 1, type: 'SESSION', session }, fromController: false },
        { data: { tokenProxy: 3, type: 'LOGOUT', reason: 'logout' }, fromController: false },
        { data: { type: 'LOGOUT', reason: 'logout' }, fromController: true },
        { data: { tokenProxy: 0, type: 'LOGOUT', reason: 'logout' }, fromController: true },
        { data: { tokenProxy: 1, type: 'SKIP_WAITING' }, fromController: true },
        { data: 'hello', fromController: true },
      ]),
    ).toStrictEqual([
      { type: 'refresh', reason: 'expiry' },
      { type: 'refresh', reason: 'unauthorized', resource: 'urn:files' },
      { type: 'session', session },
      { type: 'logout', reason: 'logout' },
    ])
  })
})
