import type { Tokens } from '../../common/tokens.js'
import type { TokenStore } from '../../sw/store.js'

export interface FakeStoreOptions {
  /**
   * Awaited before each storage operation runs (`get`, `set <token>`,
   * `del`): a delay, or a point a fast-check scheduler picks.
   * @default no pause
   */
  pause?: (label: string) => Promise<unknown>
  /** Gets `write:start <token>`, `write:done <token>` and `clear` as they happen. */
  log?: string[]
}

/**
 * The one fake of `TokenStore` the unit tests share, behaving as
 * sw/store.ts does: `memory` changes at once, `storage` once the IndexedDB
 * operation has run; storage operations run one after the other in the
 * order they were issued, as IndexedDB runs transactions on one store. Set
 * `storage` directly to stand for another worker writing behind this one's
 * back.
 */
export class FakeStore implements TokenStore {
  generation = 0
  memory: Tokens | null
  storage: Tokens | null
  /** Every token set `write` was given, in order. */
  writes: Tokens[] = []
  clears = 0
  /** Every access token `memory` held, in order (null for a clear). */
  history: Array<string | null>
  private queue: Promise<void> = Promise.resolve()
  private readonly pause: (label: string) => Promise<unknown>
  private readonly log: string[] | undefined

  constructor(initial: Tokens | null, { pause = () => Promise.resolve(), log }: FakeStoreOptions = {}) {
    this.memory = initial
    this.storage = initial
    this.history = [initial?.accessToken ?? null]
    this.pause = pause
    this.log = log
  }

  private io<T>(label: string, op: () => T): Promise<T> {
    const done = this.queue.then(() => this.pause(label)).then(op)
    this.queue = done.then(
      () => undefined,
      () => undefined,
    )
    return done
  }

  private remember(tokens: Tokens | null): void {
    const token = tokens?.accessToken ?? null
    if (this.history.at(-1) !== token) this.history.push(token)
    this.memory = tokens
  }

  async read(): Promise<Tokens | null> {
    await Promise.resolve()
    return this.memory
  }

  async reload(): Promise<Tokens | null> {
    const before = this.generation
    const stored = await this.io('get', () => this.storage)
    if (this.generation === before) this.remember(stored)
    return this.memory
  }

  async write(tokens: Tokens): Promise<void> {
    this.generation++
    this.writes.push(tokens)
    this.log?.push(`write:start ${tokens.accessToken}`)
    this.remember(tokens)
    await this.io(`set ${tokens.accessToken}`, () => {
      this.storage = tokens
    })
    this.log?.push(`write:done ${tokens.accessToken}`)
  }

  async clear(): Promise<void> {
    this.generation++
    this.clears++
    this.log?.push('clear')
    this.remember(null)
    await this.io('del', () => {
      this.storage = null
    })
  }
}
