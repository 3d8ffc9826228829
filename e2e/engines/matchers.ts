import { expect as base, type ExpectMatcherState } from '@playwright/test'
import { WebKitLocator, WebKitPage, type Probe } from './webkit.js'

/**
 * Playwright's web-first matchers for the WebKit layer's pages and
 * locators: each retries until it holds or its timeout (5 s, as
 * Playwright's) runs out. Anything else goes to Playwright's own matcher.
 */

type Result = { pass: boolean; message: () => string }
type Options = { timeout?: number }
type Expected = string | RegExp

const show = (value: unknown) => (value instanceof RegExp ? String(value) : JSON.stringify(value))
const norm = (s: string) => s.replace(/\s+/g, ' ').trim()
const same = (actual: string | undefined, expected: Expected) =>
  actual !== undefined && (typeof expected === 'string' ? actual === expected : expected.test(actual))

/** Retries `check` until its answer is `wanted` (false under `.not`) or the time is up. */
async function retry(state: ExpectMatcherState, timeout: number | undefined, check: () => Promise<{ ok: boolean; actual: unknown }>, what: string): Promise<Result> {
  const wanted = !state.isNot
  const deadline = Date.now() + (timeout ?? 5_000)
  for (;;) {
    const { ok, actual } = await check()
    if (ok === wanted || Date.now() > deadline) {
      return { pass: ok, message: () => `expected ${state.isNot ? 'not ' : ''}${what}; received ${show(actual)}` }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function delegate(state: ExpectMatcherState, name: string, received: unknown, args: unknown[]): Promise<Result> {
  const target = (state.isNot ? base(received).not : base(received)) as unknown as Record<string, (...a: unknown[]) => Promise<void>>
  try {
    await target[name]!(...args)
    return { pass: !state.isNot, message: () => '' }
  } catch (error) {
    return { pass: state.isNot, message: () => (error as Error).message }
  }
}

/** The one element a single-element matcher reads, or undefined while there is not exactly one. */
const only = (probe: Probe) => (probe.count === 1 ? probe.elements[0] : undefined)

export const expect = base.extend({
  async toHaveAttribute(this: ExpectMatcherState, received: unknown, name: string, expected: Expected, options?: Options) {
    if (!(received instanceof WebKitLocator)) return delegate(this, 'toHaveAttribute', received, [name, expected, options])
    return retry(this, options?.timeout, async () => {
      const value = only(await received.probe())?.attributes[name]
      return { ok: same(value, expected), actual: value }
    }, `attribute ${name} to be ${show(expected)}`)
  },

  async toHaveText(this: ExpectMatcherState, received: unknown, expected: Expected, options?: Options) {
    if (!(received instanceof WebKitLocator)) return delegate(this, 'toHaveText', received, [expected, options])
    return retry(this, options?.timeout, async () => {
      const element = only(await received.probe())
      const actual = element && norm(element.text)
      return { ok: same(actual, typeof expected === 'string' ? norm(expected) : expected), actual }
    }, `text ${show(expected)}`)
  },

  async toContainText(this: ExpectMatcherState, received: unknown, expected: string, options?: Options) {
    if (!(received instanceof WebKitLocator)) return delegate(this, 'toContainText', received, [expected, options])
    return retry(this, options?.timeout, async () => {
      const element = only(await received.probe())
      const actual = element && norm(element.text)
      return { ok: actual !== undefined && actual.includes(norm(expected)), actual }
    }, `text containing ${show(expected)}`)
  },

  async toHaveCount(this: ExpectMatcherState, received: unknown, expected: number, options?: Options) {
    if (!(received instanceof WebKitLocator)) return delegate(this, 'toHaveCount', received, [expected, options])
    return retry(this, options?.timeout, async () => {
      const { count } = await received.probe()
      return { ok: count === expected, actual: count }
    }, `${expected} elements`)
  },

  async toBeVisible(this: ExpectMatcherState, received: unknown, options?: Options) {
    if (!(received instanceof WebKitLocator)) return delegate(this, 'toBeVisible', received, [options])
    return retry(this, options?.timeout, async () => {
      const element = only(await received.probe())
      return { ok: element?.visible === true, actual: element ? (element.visible ? 'visible' : 'hidden') : 'no single element' }
    }, 'a visible element')
  },

  async toHaveURL(this: ExpectMatcherState, received: unknown, expected: Expected, options?: Options) {
    if (!(received instanceof WebKitPage)) return delegate(this, 'toHaveURL', received, [expected, options])
    return retry(this, options?.timeout, async () => {
      const href = await received.execute<string>('return location.href')
      return { ok: same(href, expected), actual: href }
    }, `URL ${show(expected)}`)
  },
})
