import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

/**
 * A W3C WebDriver (classic) client over `fetch`: the few commands the
 * WebKit driver layer needs (sessions, windows, navigation, scripts,
 * elements, cookies). WebDriver classic runs one command at a time per
 * session and has one current window: `inWindow` queues every command and
 * switches to the window it is for.
 */

/** The key WebDriver uses for an element reference in JSON (W3C WebDriver §12.1). */
export const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'

export class WebDriverError extends Error {
  constructor(readonly code: string, message: string) {
    super(`WebDriver ${code}: ${message}`)
    this.name = 'WebDriverError'
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const settle = (process: ChildProcess) => new Promise<void>((resolve) => (process.exitCode !== null ? resolve() : process.once('exit', () => resolve())))

/** A driver process (e.g. WebKitWebDriver) listening on a port of its own. */
export class DriverProcess {
  private constructor(private readonly process: ChildProcess, readonly url: string) {}

  static async start(binary: string, env: NodeJS.ProcessEnv): Promise<DriverProcess> {
    const port = await freePort()
    const child = spawn(binary, [`--port=${port}`, '--host=127.0.0.1'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (chunk) => (stderr += chunk))
    const url = `http://127.0.0.1:${port}`
    for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 50))) {
      if (child.exitCode !== null) throw new Error(`${binary} exited (${child.exitCode}): ${stderr.trim()}`)
      const ready = await fetch(`${url}/status`).then((r) => r.json() as Promise<{ value?: { ready?: boolean } }>, () => undefined)
      if (ready?.value?.ready) return new DriverProcess(child, url)
    }
    child.kill()
    throw new Error(`${binary} did not answer on ${url} within 10 s: ${stderr.trim()}`)
  }

  async stop(): Promise<void> {
    this.process.kill()
    await settle(this.process)
  }
}

export class WebDriverSession {
  private queue: Promise<unknown> = Promise.resolve()
  private current: string | undefined
  private closed = false

  private constructor(private readonly base: string, readonly firstWindow: string) {
    this.current = firstWindow
  }

  static async create(driver: string, capabilities: object): Promise<WebDriverSession> {
    const { sessionId } = (await send(driver, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } })) as { sessionId: string }
    const base = `${driver}/session/${sessionId}`
    const firstWindow = (await send(base, 'GET', '/window')) as string
    // Scripts get as long as a test: the layer times them itself.
    await send(base, 'POST', '/timeouts', { script: 120_000, pageLoad: 60_000, implicit: 0 })
    return new WebDriverSession(base, firstWindow)
  }

  /** Runs `commands` with `window` current, after every command queued before. */
  inWindow<T>(window: string, commands: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new Error('the browser is closed')
      if (this.current !== window) {
        await this.send('POST', '/window', { handle: window })
        this.current = window
      }
      return commands()
    })
    this.queue = run.catch(() => {})
    return run
  }

  /** Runs `commands` after every command queued before, whatever window is current. */
  queued<T>(commands: () => Promise<T>): Promise<T> {
    const run = this.queue.then(commands)
    this.queue = run.catch(() => {})
    return run
  }

  send(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    return send(this.base, method, path, body)
  }

  /** Opens a window; it becomes current only when a command is run in it. */
  newWindow(): Promise<string> {
    return this.queued(async () => ((await this.send('POST', '/window/new', { type: 'window' })) as { handle: string }).handle)
  }

  closeWindow(window: string): Promise<void> {
    return this.inWindow(window, async () => {
      await this.send('DELETE', '/window')
      this.current = undefined
    })
  }

  async delete(): Promise<void> {
    await this.queued(async () => {
      this.closed = true
      await this.send('DELETE', '').catch(() => {})
    })
  }
}

async function send(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const answer = (await response.json()) as { value: unknown }
  const value = answer.value as { error?: string; message?: string } | null
  if (!response.ok || (value && typeof value === 'object' && typeof value.error === 'string')) {
    throw new WebDriverError(value?.error ?? String(response.status), value?.message ?? JSON.stringify(answer))
  }
  return answer.value
}
