import { describe, expect, it } from 'vitest'
import { fromOwnWindow } from '../../sw/sources.js'

const ORIGIN = 'https://app.example'

describe('B14 the worker listens to windows of its own origin only', () => {
  it('accepts a window client of the origin', () => {
    expect(fromOwnWindow({ type: 'window', url: 'https://app.example/page?x' }, ORIGIN)).toBe(true)
  })

  it.each([
    ['a dedicated worker', { type: 'worker', url: 'https://app.example/w.js' }],
    ['a shared worker', { type: 'sharedworker', url: 'https://app.example/s.js' }],
    ['a window of another origin', { type: 'window', url: 'https://evil.example/' }],
    ['a look-alike origin', { type: 'window', url: 'https://app.example.evil.test/' }],
    ['another port', { type: 'window', url: 'https://app.example:8443/' }],
    ['no url', { type: 'window' }],
    ['a url that does not parse', { type: 'window', url: 'not a url' }],
    ['a MessagePort (no type)', {}],
    ['null', null],
    ['undefined', undefined],
  ])('ignores %s', (_, source) => {
    expect(fromOwnWindow(source, ORIGIN)).toBe(false)
  })
})
