import { spawn, type ChildProcess } from 'node:child_process'
import { DriverProcess, ELEMENT, WebDriverSession } from './webdriver.js'

/**
 * WebKit for the behaviour suite: WebKitGTK's MiniBrowser (Safari's engine)
 * driven by WebKitWebDriver, behind the part of Playwright's `Browser`,
 * `BrowserContext`, `Page` and `Locator` API that the specs use, so the
 * same spec files run here. Playwright's own WebKit build cannot be
 * downloaded everywhere, and Playwright does not drive stock WebKit.
 *
 * WebDriver classic has no events: no page, console or network events,
 * no init scripts, no request routing. Those calls throw, naming the
 * limit; a spec checks `can()` / `needs()` (limits.ts) before such a step.
 */

export interface WebKitPaths {
  driver: string
  browser: string
}

/** Why WebKit cannot do a step: thrown by the calls WebDriver classic has no command for. */
export class WebKitLimit extends Error {
  constructor(call: string, limit: string) {
    super(`WebKit (WebKitGTK through WebDriver classic) cannot ${call}: a spec checks can('${limit}') before this step (e2e/engines/limits.ts)`)
    this.name = 'WebKitLimit'
  }
}

// One X server per test worker process: MiniBrowser needs a display, even unseen.
let display: Promise<string> | undefined
let xvfb: ChildProcess | undefined

function xDisplay(): Promise<string> {
  display ??= new Promise<string>((resolve, reject) => {
    if (process.env.WEBKIT_DISPLAY) return resolve(process.env.WEBKIT_DISPLAY)
    xvfb = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'ignore'] })
    xvfb.stdout!.once('data', (chunk) => resolve(`:${String(chunk).trim()}`))
    xvfb.once('error', reject)
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before it gave a display`)))
    process.once('exit', () => xvfb?.kill())
  })
  return display
}

// ---- values across the wire: what Playwright's evaluate keeps and JSON does not ----

/** Encodes a value for JSON, keeping undefined, NaN, ±Infinity, -0, Date, RegExp and Error. Runs in the page too. */
function encode(value: unknown): unknown {
  const seen = new Set<object>()
  const walk = (v: unknown): unknown => {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return { $u: 1 }
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $n: String(v) }
    if (typeof v === 'bigint') return { $b: String(v) }
    if (v === null || typeof v !== 'object') return v
    if (v instanceof Date) return { $d: v.getTime() }
    if (v instanceof RegExp) return { $r: [v.source, v.flags] }
    if (v instanceof Error) return { $e: [v.name, v.message, v.stack] }
    if (seen.has(v)) return { $u: 1 }
    seen.add(v)
    try {
      if (Array.isArray(v)) return v.map(walk)
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(v)) out[key] = walk((v as Record<string, unknown>)[key])
      return { $o: out }
    } finally {
      seen.delete(v)
    }
  }
  return walk(value)
}

/** The inverse of `encode`. Runs in the page too. */
function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode)
  if (value === null || typeof value !== 'object') return value
  const v = value as Record<string, unknown>
  if ('$u' in v) return undefined
  if ('$n' in v) return Number(v.$n)
  if ('$b' in v) return BigInt(v.$b as string)
  if ('$d' in v) return new Date(v.$d as number)
  if ('$r' in v) return new RegExp(...(v.$r as [string, string]))
  if ('$e' in v) {
    const [name, message, stack] = v.$e as string[]
    return Object.assign(new Error(message), { name, stack })
  }
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(v.$o as Record<string, unknown>)) out[key] = decode(item)
  return out
}

// ---- locators ----

type Text = string | { source: string; flags: string }

interface LocatorSpec {
  css?: string
  role?: string
  name?: Text
  hasText?: Text
  has?: LocatorSpec
  nth?: number
  parent?: LocatorSpec
}

const text = (value: string | RegExp | undefined): Text | undefined =>
  value instanceof RegExp ? { source: value.source, flags: value.flags } : value

/** The elements a locator spec stands for, in document order. Runs in the page. */
function resolveAll(spec: LocatorSpec, root: ParentNode): Element[] {
  const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim()
  const matches = (s: string | null | undefined, pattern: Text) =>
    typeof pattern === 'string' ? norm(s).toLowerCase().includes(norm(pattern).toLowerCase()) : new RegExp(pattern.source, pattern.flags).test(norm(s))
  const roles: Record<string, string> = {
    button: 'button, input[type=button], input[type=submit], input[type=reset], [role=button]',
    link: 'a[href], [role=link]',
    textbox: 'input:not([type]), input[type=text], input[type=email], input[type=password], textarea, [role=textbox]',
  }
  const scopes: ParentNode[] = spec.parent ? resolveAll(spec.parent, root) : [root]
  let found: Element[] = []
  for (const scope of scopes) {
    for (const element of scope.querySelectorAll(spec.role ? (roles[spec.role] ?? `[role=${spec.role}]`) : spec.css!)) {
      if (!found.includes(element)) found.push(element)
    }
  }
  if (spec.name !== undefined) {
    const name = spec.name
    found = found.filter((e) => matches(e.getAttribute('aria-label') ?? (e instanceof HTMLInputElement ? e.value : e.textContent), name))
  }
  if (spec.hasText !== undefined) found = found.filter((e) => matches(e.textContent, spec.hasText!))
  if (spec.has) found = found.filter((e) => resolveAll(spec.has!, e).length > 0)
  if (spec.nth !== undefined) found = found.slice(spec.nth, spec.nth + 1)
  return found
}

export interface Probe {
  count: number
  elements: { text: string; visible: boolean; attributes: Record<string, string> }[]
}

export class WebKitLocator {
  constructor(readonly page: WebKitPage, readonly spec: LocatorSpec) {}

  locator(selector: string, options: { hasText?: string | RegExp; has?: WebKitLocator } = {}): WebKitLocator {
    return new WebKitLocator(this.page, { css: selector, hasText: text(options.hasText), has: options.has?.spec, parent: this.spec })
  }

  first(): WebKitLocator {
    return this.nth(0)
  }

  nth(index: number): WebKitLocator {
    return new WebKitLocator(this.page, { ...this.spec, nth: index })
  }

  /** What the matchers compare: the elements' text, visibility and attributes, now. */
  probe(): Promise<Probe> {
    return this.page.execute<Probe>(
      `${resolveAll.toString()}
       const elements = resolveAll(arguments[0], document).map((e) => {
         const box = e.getBoundingClientRect()
         const style = getComputedStyle(e)
         const attributes = {}
         for (const a of e.attributes) attributes[a.name] = a.value
         return { text: e.textContent ?? '', visible: box.width > 0 && box.height > 0 && style.visibility !== 'hidden', attributes }
       })
       return { count: elements.length, elements }`,
      [this.spec],
    )
  }

  /** Playwright's `locator.waitFor()`: until one element stands for it and is visible. */
  async waitFor({ timeout = 30_000 } = {}): Promise<void> {
    const deadline = Date.now() + timeout
    for (;;) {
      const { count, elements } = await this.probe()
      if (count === 1 && elements[0]!.visible) return
      if (count > 1) throw new Error(`strict mode violation: the locator stands for ${count} elements (${JSON.stringify(this.spec)})`)
      if (Date.now() > deadline) throw new Error(`no visible element for the locator within ${timeout} ms (${JSON.stringify(this.spec)})`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  async click({ timeout = 30_000 } = {}): Promise<void> {
    await this.withElement(timeout, (id) => this.page.send('POST', `/element/${id}/click`, {}))
  }

  async fill(value: string, { timeout = 30_000 } = {}): Promise<void> {
    await this.withElement(timeout, async (id) => {
      await this.page.send('POST', `/element/${id}/clear`, {})
      await this.page.send('POST', `/element/${id}/value`, { text: value })
    })
  }

  /** Waits until the locator stands for exactly one element, then acts on it (Playwright's strictness). */
  private async withElement(timeout: number, act: (id: string) => Promise<unknown>): Promise<void> {
    const deadline = Date.now() + timeout
    for (;;) {
      const found = await this.page.execute<Record<string, string>[]>(`${resolveAll.toString()}\nreturn resolveAll(arguments[0], document)`, [this.spec])
      if (found.length > 1) throw new Error(`strict mode violation: the locator stands for ${found.length} elements (${JSON.stringify(this.spec)})`)
      if (found.length === 1) {
        await this.page.inWindow(() => act(found[0]![ELEMENT]!))
        return
      }
      if (Date.now() > deadline) throw new Error(`no element for the locator within ${timeout} ms (${JSON.stringify(this.spec)})`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

// ---- pages, contexts, the browser ----

let slots = 0

export class WebKitPage {
  private lastUrl = 'about:blank'
  private closed = false

  constructor(private readonly owner: WebKitContext, private readonly session: WebDriverSession, readonly window: string) {}

  context(): WebKitContext {
    return this.owner
  }

  /** The URL as of the last command this page ran (Playwright's is as of the last event). */
  url(): string {
    return this.lastUrl
  }

  isClosed(): boolean {
    return this.closed
  }

  /** Runs `commands` in this page's window, then notes where the page is. */
  inWindow<T>(commands: () => Promise<T>): Promise<T> {
    return this.session.inWindow(this.window, async () => {
      const result = await commands()
      this.lastUrl = (await this.session.send('GET', '/url')) as string
      return result
    })
  }

  send(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    return this.session.send(method, path, body)
  }

  /** A synchronous script of the layer's own (WebDriver's JSON in and out). */
  execute<T>(script: string, args: unknown[] = []): Promise<T> {
    return this.inWindow(async () => (await this.session.send('POST', '/execute/sync', { script, args })) as T)
  }

  /** Playwright's `goto`: resolves once the page fired `load` (WebDriver's own wait was seen to return sooner). */
  async goto(url: string): Promise<null> {
    await this.inWindow(() => this.session.send('POST', '/url', { url }))
    await this.loaded()
    return null
  }

  async reload(): Promise<null> {
    await this.inWindow(() => this.session.send('POST', '/refresh', {}))
    await this.loaded()
    return null
  }

  private async loaded(): Promise<void> {
    while ((await this.execute<string>('return document.readyState')) !== 'complete') await new Promise((resolve) => setTimeout(resolve, 20))
  }

  /**
   * Playwright's `page.evaluate`: `fn` runs in the page with `arg`, and its
   * (awaited) value comes back. The run is started and then polled in steps
   * of at most 100 ms, so a long evaluate in one window never holds up the
   * commands of another (WebDriver classic runs one command at a time).
   */
  async evaluate<R, A>(fn: ((arg: A) => R | Promise<R>) | string, arg?: A): Promise<R> {
    const slot = `s${++slots}`
    const source = typeof fn === 'string' ? `() => (${fn})` : fn.toString()
    const start = `
      const [arg, slot] = arguments
      // tsx (the benchmarks) wraps named functions in an \`__name\` helper the page lacks.
      const __name = (f) => f
      const encode = ${encode.toString()}
      const decode = ${decode.toString()}
      const runs = (window.__webkitLayer ??= {})
      const run = (runs[slot] = { done: false })
      Promise.resolve()
        .then(() => (${source})(decode(arg)))
        .then(
          (value) => Object.assign(run, { done: true, value: encode(value) }),
          (error) => Object.assign(run, { done: true, error: { name: error?.name, message: String(error?.message ?? error), stack: error?.stack } }),
        )
        .finally(() => run.wake?.())`
    const poll = `
      const [slot, wait] = arguments
      const reply = arguments[arguments.length - 1]
      const runs = window.__webkitLayer
      const run = runs?.[slot]
      if (!run) return reply({ lost: true })
      let answered = false
      const finish = () => {
        if (answered || !run.done) return
        answered = true
        delete runs[slot]
        reply({ done: true, value: run.value, error: run.error })
      }
      run.wake = finish
      finish()
      setTimeout(() => {
        if (answered) return
        answered = true
        run.wake = undefined
        reply({ done: false })
      }, wait)`
    await this.inWindow(() => this.session.send('POST', '/execute/sync', { script: start, args: [encode(arg), slot] }))
    for (;;) {
      if (this.closed) throw new Error('page.evaluate: the page was closed')
      const state = (await this.inWindow(() => this.session.send('POST', '/execute/async', { script: poll, args: [slot, 100] }))) as {
        lost?: boolean
        done?: boolean
        value?: unknown
        error?: { name?: string; message: string; stack?: string }
      }
      if (state.lost) throw new Error('page.evaluate: Execution context was destroyed, most likely because of a navigation')
      if (!state.done) continue
      if (state.error) throw Object.assign(new Error(state.error.message), { name: state.error.name ?? 'Error', stack: state.error.stack })
      return decode(state.value) as R
    }
  }

  async waitForURL(expected: string | RegExp, { timeout = 30_000 } = {}): Promise<void> {
    const deadline = Date.now() + timeout
    for (;;) {
      const [href, ready] = await this.execute<[string, string]>('return [location.href, document.readyState]')
      if ((typeof expected === 'string' ? href === expected : expected.test(href)) && ready === 'complete') return
      if (Date.now() > deadline) throw new Error(`page.waitForURL: ${String(expected)} not reached within ${timeout} ms (at ${href})`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  waitForTimeout(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms))
  }

  locator(selector: string, options: { hasText?: string | RegExp; has?: WebKitLocator } = {}): WebKitLocator {
    return new WebKitLocator(this, { css: selector, hasText: text(options.hasText), has: options.has?.spec })
  }

  click(selector: string, options?: { timeout?: number }): Promise<void> {
    return this.locator(selector).click(options)
  }

  /** Playwright's `page.waitForFunction`: until `fn` returns a truthy value (polled, no timeout of its own). */
  async waitForFunction<A>(fn: (arg: A) => unknown, arg?: A): Promise<void> {
    while (!(await this.evaluate(fn, arg))) await new Promise((resolve) => setTimeout(resolve, 50))
  }

  getByRole(role: string, { name }: { name?: string | RegExp } = {}): WebKitLocator {
    return new WebKitLocator(this, { role, name: text(name) })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.owner.forget(this)
    await this.session.closeWindow(this.window)
  }

  on(event: string): never {
    throw new WebKitLimit(`report the page's '${event}' events`, 'pageEvents')
  }

  once(event: string): never {
    return this.on(event)
  }

  waitForEvent(event: string): never {
    return this.on(event)
  }

  addInitScript(): never {
    throw new WebKitLimit('run a script before the page’s own (addInitScript)', 'initScript')
  }

  route(): never {
    throw new WebKitLimit('route requests', 'route')
  }
}

export class WebKitContext {
  private readonly open: WebKitPage[] = []
  private firstUsed = false

  constructor(private readonly owner: WebKitBrowser, private readonly driver: DriverProcess, readonly session: WebDriverSession) {}

  browser(): WebKitBrowser {
    return this.owner
  }

  pages(): WebKitPage[] {
    return [...this.open]
  }

  async newPage(): Promise<WebKitPage> {
    const window = this.firstUsed ? await this.session.newWindow() : this.session.firstWindow
    this.firstUsed = true
    const page = new WebKitPage(this, this.session, window)
    this.open.push(page)
    return page
  }

  forget(page: WebKitPage): void {
    this.open.splice(this.open.indexOf(page), 1)
  }

  /** The cookies of the first page's site (WebDriver reads the current document's cookies only). */
  async cookies(): Promise<{ name: string; value: string; domain: string; path: string; httpOnly: boolean; secure: boolean; sameSite: string }[]> {
    const page = this.open[0]
    if (!page) return []
    const cookies = (await page.inWindow(() => page.send('GET', '/cookie'))) as Record<string, unknown>[]
    return cookies.map((c) => ({
      name: String(c.name),
      value: String(c.value),
      domain: String(c.domain ?? ''),
      path: String(c.path ?? '/'),
      httpOnly: Boolean(c.httpOnly),
      secure: Boolean(c.secure),
      sameSite: String(c.sameSite ?? 'Lax'),
    }))
  }

  /**
   * Sets cookies for `url`'s site. WebDriver sets a cookie for the current
   * document's site only: the first page goes to that site first (its
   * `/favicon.ico`, a request no spec counts) when it is elsewhere.
   */
  async addCookies(cookies: { name: string; value: string; url: string }[]): Promise<void> {
    const page = this.open[0] ?? (await this.newPage())
    for (const { name, value, url } of cookies) {
      const origin = new URL(url).origin
      if (!page.url().startsWith(`${origin}/`)) await page.goto(`${origin}/favicon.ico`)
      await page.inWindow(() => page.send('POST', '/cookie', { cookie: { name, value, path: '/' } }))
    }
  }

  addInitScript(): never {
    throw new WebKitLimit('run a script before the page’s own (addInitScript)', 'initScript')
  }

  newCDPSession(): never {
    throw new WebKitLimit('open a DevTools Protocol session (CDP is Chromium’s)', 'cdp')
  }

  serviceWorkers(): never {
    throw new WebKitLimit('list service workers', 'workerNetwork')
  }

  on(event: string): never {
    throw new WebKitLimit(`report the context's '${event}' events`, 'pageEvents')
  }

  route(): never {
    throw new WebKitLimit('route requests', 'route')
  }

  async close(): Promise<void> {
    this.owner.forget(this)
    await this.session.delete()
    await this.driver.stop()
  }
}

export class WebKitBrowser {
  /** Read by Playwright's `context` fixture. */
  readonly _connection = {}
  private readonly open: WebKitContext[] = []

  private constructor(private readonly paths: WebKitPaths, private readonly env: NodeJS.ProcessEnv) {}

  static async launch(paths: WebKitPaths): Promise<WebKitBrowser> {
    return new WebKitBrowser(paths, { ...process.env, DISPLAY: await xDisplay() })
  }

  browserType(): { name: () => string } {
    return { name: () => 'webkit' }
  }

  contexts(): WebKitContext[] {
    return [...this.open]
  }

  /**
   * A context is a browser of its own: a WebKitWebDriver (it drives one
   * session at a time) and its MiniBrowser, nothing shared with another.
   */
  async newContext(): Promise<WebKitContext> {
    const driver = await DriverProcess.start(this.paths.driver, this.env)
    try {
      const session = await WebDriverSession.create(driver.url, {
        browserName: 'MiniBrowser',
        // Popups a page opens without a click are allowed, as in Playwright's browsers.
        'webkitgtk:browserOptions': { binary: this.paths.browser, args: ['--automation', '--javascript-can-open-windows-automatically=true'] },
      })
      const context = new WebKitContext(this, driver, session)
      this.open.push(context)
      return context
    } catch (error) {
      await driver.stop()
      throw error
    }
  }

  async newPage(): Promise<WebKitPage> {
    return (await this.newContext()).newPage()
  }

  forget(context: WebKitContext): void {
    this.open.splice(this.open.indexOf(context), 1)
  }

  async close(): Promise<void> {
    await Promise.all(this.contexts().map((context) => context.close()))
  }
}
