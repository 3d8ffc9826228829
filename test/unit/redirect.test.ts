import { describe, expect, it } from 'vitest'
import { loginRedirect, safeNext } from '../../client/redirect.js'

function here(pathname: string, search = '', hash = '') {
  return { pathname, search, hash }
}

describe('loginRedirect', () => {
  it('puts the current path, query and hash into ?next=, URL-encoded', () => {
    expect(loginRedirect('/login', here('/a', '?b=1', '#h'))).toBe('/login?next=%2Fa%3Fb%3D1%23h')
  })

  it('encodes the root path', () => {
    expect(loginRedirect('/login', here('/'))).toBe('/login?next=%2F')
  })

  it('encodes an already percent-encoded path so that it reads back unchanged', () => {
    expect(loginRedirect('/login', here('/a%20b', '?q=x+y&r=%26'))).toBe('/login?next=%2Fa%2520b%3Fq%3Dx%2By%26r%3D%2526')
  })

  it('keeps the login path’s own query and hash', () => {
    expect(loginRedirect('/login?lang=en', here('/a'))).toBe('/login?lang=en&next=%2Fa')
    expect(loginRedirect('/login#form', here('/a'))).toBe('/login?next=%2Fa#form')
  })

  it('replaces a next= already in the login path', () => {
    expect(loginRedirect('/login?next=%2Fold', here('/new'))).toBe('/login?next=%2Fnew')
  })

  it('returns loginPath unchanged when the page is already on it', () => {
    expect(loginRedirect('/login', here('/login'))).toBe('/login')
    expect(loginRedirect('/login', here('/login', '?next=%2Fa', '#x'))).toBe('/login')
    expect(loginRedirect('/login?lang=en', here('/login', '?lang=en&next=%2Fa'))).toBe('/login?lang=en')
  })

  it('round-trips through URLSearchParams and safeNext', () => {
    const target = loginRedirect('/login', here('/orders/7', '?tab=items&sort=-date', '#row-3'))
    const next = new URL(target, 'https://app.example').searchParams.get('next')
    expect(next).toBe('/orders/7?tab=items&sort=-date#row-3')
    expect(safeNext(next)).toBe('/orders/7?tab=items&sort=-date#row-3')
  })
})

describe('safeNext', () => {
  it.each(['/a?b#c', '/', '/orders/7?tab=items#row', '/a%2F%2Fb'])('accepts %j', (next) => {
    expect(safeNext(next)).toBe(next)
  })

  it.each([
    ['//evil.example'],
    ['//evil.example/path'],
    ['https://x'],
    ['http://evil.example/'],
    ['javascript:alert(1)'],
    ['JavaScript:alert(1)'],
    ['data:text/html,<script>alert(1)</script>'],
    ['/\\evil'],
    ['\\\\evil'],
    ['\\/evil'],
    ['/\t/evil'],
    ['/ /evil'],
    [' /a'],
    ['relative/path'],
    [''],
    [null],
  ])('rejects %j with the default fallback', (next) => {
    expect(safeNext(next)).toBe('/')
  })

  it('returns the given fallback', () => {
    expect(safeNext('//evil.example', '/home')).toBe('/home')
    expect(safeNext(null, '/dashboard')).toBe('/dashboard')
  })
})
