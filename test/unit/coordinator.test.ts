import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { type CoordinatorDeps, createCoordinator, type Recovery } from '../../sw/coordinator.js'
import { failurePause } from '../../sw/expiry.js'
import { FakeStore } from './fake-store.js'
import type { Tokens } from '../../common/tokens.js'
import type { RefreshResult } from '../../sw/refresh.js'

interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Lets every pending microtask and zero-delay timer run. */
function settle(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

const T1: Tokens = { accessToken: 'a1', refreshToken: 'r1', expiresAt: 1000 }
const T2: Tokens = { accessToken: 'a2', refreshToken: 'r2', expiresAt: 2000 }
const PAGE: Tokens = { accessToken: 'page', refreshToken: 'page-r' }

function setup(
  initial: Tokens | null = T1,
  writeDelay = 0,
  onRefreshedGate: Promise<void> = Promise.resolve(),
  extra: Pick<CoordinatorDeps, 'refreshTokenRequired'> = {},
) {
  const events: string[] = []
  const store = new FakeStore(initial, { log: events, pause: (label) => (label.startsWith('set') && writeDelay ? settle(writeDelay) : Promise.resolve()) })
  const calls: Array<{ tokens: Tokens; result: Deferred<RefreshResult> }> = []
  const refresh = vi.fn((tokens: Tokens): Promise<RefreshResult> => {
    const result = deferred<RefreshResult>()
    calls.push({ tokens, result })
    events.push(`refresh ${tokens.accessToken}`)
    return result.promise
  })
  let lockCalls = 0
  let held = false
  const lock = async <T,>(task: () => Promise<T>): Promise<T> => {
    lockCalls++
    events.push('lock:acquire')
    held = true
    try {
      return await task()
    } finally {
      held = false
      events.push('lock:release')
    }
  }
  const onRefreshed = vi.fn(async () => {
    events.push('onRefreshed')
    await onRefreshedGate
    await settle()
  })
  // As the worker's endSession does: the tokens go, then the tabs hear LOGOUT.
  const endSession = vi.fn(async () => {
    await store.clear()
    events.push('endSession')
    await settle()
  })
  const coordinator = createCoordinator({ store, refresh, lock, onRefreshed, endSession, ...extra })
  /** The nth refresh call; fails the test if it was not made. */
  const call = (n: number) => {
    const c = calls[n]
    if (!c) throw new Error(`refresh call #${n} was not made (made ${calls.length})`)
    return c
  }
  const recover = (sent: string, label = sent): Promise<Recovery> =>
    coordinator.recover(sent).then((r) => {
      events.push(`recover:resolved ${label}`)
      return r
    })
  return {
    events,
    store,
    refresh,
    calls,
    call,
    lock,
    lockCalls: () => lockCalls,
    isHeld: () => held,
    onRefreshed,
    endSession,
    coordinator,
    recover,
  }
}

describe('B3 one refresh', () => {
  it('N concurrent recover() calls with the same token make exactly one refresh and all retry with the new tokens', async () => {
    const t = setup()
    const waiting = Array.from({ length: 5 }, (_, i) => t.recover('a1', `#${i}`))
    await settle()
    expect(t.refresh).toHaveBeenCalledTimes(1)
    expect(t.call(0).tokens).toStrictEqual(T1)
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    const results = await Promise.all(waiting)
    expect(results).toStrictEqual(Array.from({ length: 5 }, () => ({ kind: 'replay', tokens: T2 })))
    expect(t.refresh).toHaveBeenCalledTimes(1)
    expect(t.lockCalls()).toBe(1)
    expect(t.store.writes).toStrictEqual([T2])
    expect(t.store.memory).toStrictEqual(T2)
    expect(t.onRefreshed).toHaveBeenCalledTimes(1)
    expect(t.endSession).not.toHaveBeenCalled()
  })

  it('requests that get their 401 while the refresh runs join it', async () => {
    const t = setup()
    const first = t.recover('a1')
    await settle()
    expect(t.refresh).toHaveBeenCalledTimes(1)
    const late = [t.recover('a1'), t.recover('a1')]
    await settle()
    expect(t.refresh).toHaveBeenCalledTimes(1)
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    expect(await Promise.all([first, ...late])).toStrictEqual([
      { kind: 'replay', tokens: T2 },
      { kind: 'replay', tokens: T2 },
      { kind: 'replay', tokens: T2 },
    ])
    expect(t.refresh).toHaveBeenCalledTimes(1)
  })

  it('a 401 with the refreshed token after the refresh ended starts a new refresh', async () => {
    const t = setup()
    const first = t.recover('a1')
    await settle()
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    await first
    const second = t.recover('a2')
    await settle()
    expect(t.refresh).toHaveBeenCalledTimes(2)
    expect(t.call(1).tokens).toStrictEqual(T2)
    const T3: Tokens = { accessToken: 'a3', refreshToken: 'r3' }
    t.call(1).result.resolve({ kind: 'refreshed', tokens: T3 })
    expect(await second).toStrictEqual({ kind: 'replay', tokens: T3 })
    expect(t.lockCalls()).toBe(2)
  })

  it('runs the refresh while holding the lock, once per refresh', async () => {
    const t = setup()
    const waiting = [t.recover('a1'), t.recover('a1'), t.recover('a1')]
    await settle()
    expect(t.isHeld()).toBe(true)
    expect(t.lockCalls()).toBe(1)
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    await Promise.all(waiting)
    expect(t.isHeld()).toBe(false)
    expect(t.events.indexOf('lock:acquire')).toBeLessThan(t.events.indexOf('refresh a1'))
    expect(t.events.indexOf('write:done a2')).toBeLessThan(t.events.indexOf('lock:release'))
    expect(t.events.filter((e) => e === 'lock:acquire')).toHaveLength(1)
  })
})

describe('B4 stale 401', () => {
  it('a recover() with an older token than the stored one retries with the stored tokens, no refresh', async () => {
    const t = setup(T2)
    expect(await t.coordinator.recover('a1')).toStrictEqual({ kind: 'replay', tokens: T2 })
    expect(t.refresh).not.toHaveBeenCalled()
    expect(t.lockCalls()).toBe(0)
  })

  it('another worker version refreshed already (storage is newer than memory): retry with storage, no refresh', async () => {
    const t = setup(T1)
    t.store.storage = T2
    expect(await t.coordinator.recover('a1')).toStrictEqual({ kind: 'replay', tokens: T2 })
    expect(t.refresh).not.toHaveBeenCalled()
    expect(t.lockCalls()).toBe(1)
    expect(t.store.writes).toStrictEqual([])
  })
})

describe('current()', () => {
  it('returns the stored tokens when nothing is in flight', async () => {
    const t = setup()
    expect(await t.coordinator.current()).toStrictEqual(T1)
  })

  it('returns null when there are no tokens', async () => {
    const t = setup(null)
    expect(await t.coordinator.current()).toBeNull()
  })

  it('waits for an in-flight refresh and returns the new tokens', async () => {
    const t = setup()
    const recovering = t.recover('a1')
    await settle()
    let done = false
    const current = t.coordinator.current().then((tokens) => {
      done = true
      return tokens
    })
    await settle()
    expect(done).toBe(false)
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    expect(await current).toStrictEqual(T2)
    await recovering
  })

  it('returns null after a rejected refresh', async () => {
    const t = setup()
    const recovering = t.recover('a1')
    await settle()
    const current = t.coordinator.current()
    t.call(0).result.resolve({ kind: 'rejected' })
    expect(await current).toBeNull()
    expect(await recovering).toStrictEqual({ kind: 'rejected' })
  })
})

describe('B9 durable before release', () => {
  it('the new tokens are written (and tabs told) before any waiting request is released', async () => {
    const t = setup(T1, 15)
    const waiting = [t.recover('a1', 'x'), t.recover('a1', 'y'), t.recover('a1', 'z')]
    await settle()
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    await Promise.all(waiting)
    expect(t.events).toStrictEqual([
      'lock:acquire',
      'refresh a1',
      'write:start a2',
      'write:done a2',
      'onRefreshed',
      'lock:release',
      'recover:resolved x',
      'recover:resolved y',
      'recover:resolved z',
    ])
  })
})

describe('B7 refresh rejected', () => {
  it('clears the store, calls endSession once and gives every waiter rejected', async () => {
    const t = setup()
    const waiting = Array.from({ length: 4 }, () => t.recover('a1'))
    await settle()
    t.call(0).result.resolve({ kind: 'rejected' })
    expect(await Promise.all(waiting)).toStrictEqual(Array.from({ length: 4 }, () => ({ kind: 'rejected' })))
    expect(t.store.memory).toBeNull()
    expect(t.store.storage).toBeNull()
    expect(t.store.clears).toBe(1)
    expect(t.endSession).toHaveBeenCalledTimes(1)
    expect(t.onRefreshed).not.toHaveBeenCalled()
    expect(t.store.writes).toStrictEqual([])
    expect(t.events.indexOf('clear')).toBeLessThan(t.events.indexOf('endSession'))
    expect(t.events.indexOf('endSession')).toBeLessThan(t.events.findIndex((e) => e.startsWith('recover:resolved')))
  })

  it('after the session ended, a later 401 finds no tokens and does not refresh', async () => {
    const t = setup()
    const first = t.recover('a1')
    await settle()
    t.call(0).result.resolve({ kind: 'rejected' })
    await first
    expect(await t.coordinator.recover('a1')).toStrictEqual({ kind: 'signed-out' })
    expect(t.refresh).toHaveBeenCalledTimes(1)
    expect(t.endSession).toHaveBeenCalledTimes(1)
  })

  it('no refresh token: rejected without calling refresh', async () => {
    const t = setup({ accessToken: 'a1' })
    const results = await Promise.all([t.coordinator.recover('a1'), t.coordinator.recover('a1')])
    expect(results).toStrictEqual([{ kind: 'rejected' }, { kind: 'rejected' }])
    expect(t.refresh).not.toHaveBeenCalled()
    expect(t.store.memory).toBeNull()
    expect(t.endSession).toHaveBeenCalledTimes(1)
  })

  it('no tokens at all: none, without taking the lock', async () => {
    const t = setup(null)
    expect(await t.coordinator.recover('a1')).toStrictEqual({ kind: 'signed-out' })
    expect(t.refresh).not.toHaveBeenCalled()
    expect(t.lockCalls()).toBe(0)
    expect(t.endSession).not.toHaveBeenCalled()
  })
})

describe('B8 refresh unavailable', () => {
  it('keeps the tokens, does not log out, gives every waiter unavailable, and the next 401 tries again', async () => {
    const t = setup()
    const waiting = Array.from({ length: 3 }, () => t.recover('a1'))
    await settle()
    t.call(0).result.resolve({ kind: 'unavailable', reason: 'status 503' })
    expect(await Promise.all(waiting)).toStrictEqual(
      Array.from({ length: 3 }, () => ({ kind: 'unavailable', reason: 'status 503' })),
    )
    expect(t.store.memory).toStrictEqual(T1)
    expect(t.store.storage).toStrictEqual(T1)
    expect(t.store.writes).toStrictEqual([])
    expect(t.store.clears).toBe(0)
    expect(t.endSession).not.toHaveBeenCalled()
    expect(t.onRefreshed).not.toHaveBeenCalled()

    const again = t.recover('a1')
    await settle()
    expect(t.refresh).toHaveBeenCalledTimes(2)
    expect(t.lockCalls()).toBe(2)
    t.call(1).result.resolve({ kind: 'refreshed', tokens: T2 })
    expect(await again).toStrictEqual({ kind: 'replay', tokens: T2 })
  })

  it('a refresh that rejects is unavailable, and the next 401 tries again', async () => {
    const t = setup()
    const waiting = [t.recover('a1'), t.recover('a1')]
    await settle()
    t.call(0).result.reject(new Error('boom'))
    expect(await Promise.all(waiting)).toStrictEqual([
      { kind: 'unavailable', reason: 'Error: boom' },
      { kind: 'unavailable', reason: 'Error: boom' },
    ])
    expect(t.store.memory).toStrictEqual(T1)
    expect(t.endSession).not.toHaveBeenCalled()
    const again = t.recover('a1')
    await settle()
    expect(t.refresh).toHaveBeenCalledTimes(2)
    t.call(1).result.resolve({ kind: 'unavailable', reason: 'timeout' })
    expect(await again).toStrictEqual({ kind: 'unavailable', reason: 'timeout' })
  })

  it('a refresh that throws synchronously is unavailable and does not leave a refresh stuck in flight', async () => {
    const events: string[] = []
    const store = new FakeStore(T1, { log: events })
    let n = 0
    const coordinator = createCoordinator({
      store,
      refresh: (): Promise<RefreshResult> => {
        n++
        throw new TypeError('sync')
      },
      lock: (task) => task(),
      onRefreshed: () => {},
      endSession: () => {},
    })
    expect(await coordinator.recover('a1')).toStrictEqual({ kind: 'unavailable', reason: 'TypeError: sync' })
    expect(await coordinator.recover('a1')).toStrictEqual({ kind: 'unavailable', reason: 'TypeError: sync' })
    expect(n).toBe(2)
    expect(store.memory).toStrictEqual(T1)
  })

  it('a failing lock is unavailable', async () => {
    const events: string[] = []
    const store = new FakeStore(T1, { log: events })
    const coordinator = createCoordinator({
      store,
      refresh: () => Promise.resolve({ kind: 'refreshed', tokens: T2 }),
      lock: () => Promise.reject(new Error('locks unavailable')),
      onRefreshed: () => {},
      endSession: () => {},
    })
    expect(await coordinator.recover('a1')).toStrictEqual({ kind: 'unavailable', reason: 'Error: locks unavailable' })
    expect(store.memory).toStrictEqual(T1)
  })
})

describe('the page changes the tokens during a refresh', () => {
  it.each<[string, RefreshResult]>([
    ['ok', { kind: 'refreshed', tokens: T2 }],
    ['rejected', { kind: 'rejected' }],
    ['unavailable', { kind: 'unavailable', reason: 'status 500' }],
  ])('page tokens win over a refresh that ends %s; the refresh result is not written', async (_, result) => {
    const t = setup()
    const waiting = [t.recover('a1'), t.recover('a1'), t.recover('a1')]
    await settle()
    await t.store.write(PAGE)
    t.call(0).result.resolve(result)
    expect(await Promise.all(waiting)).toStrictEqual([
      { kind: 'replay', tokens: PAGE },
      { kind: 'replay', tokens: PAGE },
      { kind: 'replay', tokens: PAGE },
    ])
    expect(t.store.writes).toStrictEqual([PAGE])
    expect(t.store.memory).toStrictEqual(PAGE)
    expect(t.store.clears).toBe(0)
    expect(t.endSession).not.toHaveBeenCalled()
    expect(t.onRefreshed).not.toHaveBeenCalled()
  })

  it('B4: tokens the page sets while a finished refresh still tells the tabs win, for its waiters and for late 401s', async () => {
    // The refresh has passed its generation check and written T2; it now awaits
    // onRefreshed (the broadcast to every tab). The page's SET_TOKENS lands in
    // that window, then a request that was sent with a1 gets its 401.
    const gate = deferred<void>()
    const t = setup(T1, 0, gate.promise)
    const first = t.recover('a1', 'first')
    await settle()
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    for (let i = 0; i < 20 && t.events.at(-1) !== 'onRefreshed'; i++) await settle()
    expect(t.events.slice(-2)).toStrictEqual(['write:done a2', 'onRefreshed'])
    await t.store.write(PAGE)
    expect(await t.store.read()).toStrictEqual(PAGE)
    // Stored now: PAGE. a1 is older than that, so B4 says: replay with PAGE, no refresh.
    const late = t.recover('a1', 'late')
    gate.resolve()
    expect(await first).toStrictEqual({ kind: 'replay', tokens: PAGE })
    expect(await late).toStrictEqual({ kind: 'replay', tokens: PAGE })
    expect(t.refresh).toHaveBeenCalledTimes(1)
  })

  it('a logout during the refresh wins: waiters get none and nothing is written', async () => {
    const t = setup()
    const waiting = [t.recover('a1'), t.recover('a1')]
    await settle()
    await t.store.clear()
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    expect(await Promise.all(waiting)).toStrictEqual([{ kind: 'signed-out' }, { kind: 'signed-out' }])
    expect(t.store.writes).toStrictEqual([])
    expect(t.store.memory).toBeNull()
    expect(t.endSession).not.toHaveBeenCalled()
  })
})

/* ------------------------------------------------------------------------ */
/* Property: any interleaving of concurrent recover() calls                 */
/* ------------------------------------------------------------------------ */

type Outcome = 'ok' | 'rejected' | 'unavailable' | 'throws'

function tok(version: number): Tokens {
  return { accessToken: `a${version}`, refreshToken: `r${version}` }
}

function version(tokens: Tokens): number {
  return Number(tokens.accessToken.slice(1))
}

describe('property: concurrent recover() under any interleaving', () => {
  it('one refresh in flight at most, every call settles once, no retry with a token older than the one stored at call time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(
          fc.record({ stale: fc.boolean(), age: fc.integer({ min: 1, max: 3 }), current: fc.boolean() }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.array(fc.constantFrom<Outcome>('ok', 'rejected', 'unavailable', 'throws'), {
          minLength: 1,
          maxLength: 6,
        }),
        async (s, calls, outcomes) => {
          const store = new FakeStore(tok(10), { pause: (label) => s.schedule(Promise.resolve(), `store ${label}`) })
          const problems: string[] = []
          let active = 0
          let maxActive = 0
          let refreshCount = 0
          let rejectedCount = 0

          const coordinator = createCoordinator({
            store,
            async refresh(tokens) {
              active++
              maxActive = Math.max(maxActive, active)
              const outcome = outcomes[refreshCount % outcomes.length] ?? 'ok'
              refreshCount++
              if (store.memory?.accessToken !== tokens.accessToken) {
                problems.push(`refresh with ${tokens.accessToken} while the store held ${store.memory?.accessToken}`)
              }
              try {
                await s.schedule(Promise.resolve(), `refresh ${tokens.accessToken} → ${outcome}`)
              } finally {
                active--
              }
              switch (outcome) {
                case 'ok':
                  return { kind: 'refreshed', tokens: tok(version(tokens) + 1) }
                case 'rejected':
                  return { kind: 'rejected' }
                case 'unavailable':
                  return { kind: 'unavailable', reason: 'status 503' }
                case 'throws':
                  throw new Error('network')
              }
            },
            async lock(task) {
              await s.schedule(Promise.resolve(), 'lock')
              return task()
            },
            async onRefreshed() {
              await s.schedule(Promise.resolve(), 'onRefreshed')
            },
            async endSession() {
              rejectedCount++
              await store.clear()
              await s.schedule(Promise.resolve(), 'endSession')
            },
          })

          const settled = calls.map(() => 0)
          const launched = calls.map((call, i) =>
            s.schedule(Promise.resolve(), `launch #${i}`).then(async () => {
              const stored = store.memory
              const storedVersion = stored ? version(stored) : null
              const sent = stored
                ? call.stale
                  ? `a${version(stored) - call.age}`
                  : stored.accessToken
                : call.current
                  ? 'a10'
                  : 'a7'
              let result: Recovery
              try {
                result = await coordinator.recover(sent)
              } catch (error) {
                problems.push(`#${i} threw ${String(error)}`)
                return
              } finally {
                settled[i] = (settled[i] ?? 0) + 1
              }
              if (result.kind === 'replay') {
                if (storedVersion !== null && version(result.tokens) < storedVersion) {
                  problems.push(`#${i} retried with ${result.tokens.accessToken}, older than stored a${storedVersion}`)
                }
              }
            }),
          )

          await s.waitIdle()
          await Promise.all(launched)

          expect(problems).toStrictEqual([])
          expect(maxActive).toBeLessThanOrEqual(1)
          expect(settled).toStrictEqual(calls.map(() => 1))
          expect(s.count()).toBe(0)
          expect(rejectedCount).toBeLessThanOrEqual(1)
          // The store never goes back to an older version, except by being cleared.
          const versions = store.history.filter((v): v is string => v !== null).map((token) => Number(token.slice(1)))
          expect(versions).toStrictEqual([...versions].sort((a, b) => a - b))
          // At most one refresh per call that could trigger one.
          expect(refreshCount).toBeLessThanOrEqual(calls.length)
        },
      ),
      { numRuns: 200 },
    )
  }, 20_000)
})

describe('a 401 for tokens the page set while another refresh ran', () => {
  it('waits for that refresh, then refreshes its own tokens once instead of sharing the other outcome', async () => {
    const t = setup()
    const old = t.recover('a1', 'old')
    await settle()
    await t.store.write(PAGE)
    // A request sent with the page's tokens gets its own 401 while a1's refresh still runs.
    const fresh = t.recover('page', 'fresh')
    await settle()
    expect(t.refresh).toHaveBeenCalledTimes(1)
    t.call(0).result.resolve({ kind: 'refreshed', tokens: T2 })
    expect(await old).toStrictEqual({ kind: 'replay', tokens: PAGE })
    for (let i = 0; i < 20 && t.calls.length < 2; i++) await settle()
    expect(t.call(1).tokens).toStrictEqual(PAGE)
    t.call(1).result.resolve({ kind: 'refreshed', tokens: T2 })
    expect(await fresh).toStrictEqual({ kind: 'replay', tokens: T2 })
    expect(t.refresh).toHaveBeenCalledTimes(2)
  })
})

describe('refreshTokenRequired: false (cookie protocol)', () => {
  /** What the cookie protocol stores: no refresh token, the refresh credential is an HttpOnly cookie. */
  const C1: Tokens = { accessToken: 'a1', expiresAt: 1000 }
  const C2: Tokens = { accessToken: 'a2', expiresAt: 2000 }

  it('stored tokens without a refresh token: refreshes once and every waiter retries with the new tokens', async () => {
    const t = setup(C1, 0, Promise.resolve(), { refreshTokenRequired: false })
    const waiting = [t.recover('a1', 'x'), t.recover('a1', 'y')]
    await settle()
    expect(t.refresh).toHaveBeenCalledTimes(1)
    expect(t.call(0).tokens).toStrictEqual(C1)
    t.call(0).result.resolve({ kind: 'refreshed', tokens: C2 })
    expect(await Promise.all(waiting)).toStrictEqual([
      { kind: 'replay', tokens: C2 },
      { kind: 'replay', tokens: C2 },
    ])
    expect(t.refresh).toHaveBeenCalledTimes(1)
    expect(t.lockCalls()).toBe(1)
    expect(t.store.writes).toStrictEqual([C2])
    expect(t.store.memory).toStrictEqual(C2)
    expect(t.store.clears).toBe(0)
    expect(t.onRefreshed).toHaveBeenCalledTimes(1)
    expect(t.endSession).not.toHaveBeenCalled()
    expect(t.events).toStrictEqual([
      'lock:acquire',
      'refresh a1',
      'write:start a2',
      'write:done a2',
      'onRefreshed',
      'lock:release',
      'recover:resolved x',
      'recover:resolved y',
    ])
  })

  it('a rejected refresh still ends the session', async () => {
    const t = setup(C1, 0, Promise.resolve(), { refreshTokenRequired: false })
    const waiting = t.recover('a1')
    await settle()
    t.call(0).result.resolve({ kind: 'rejected' })
    expect(await waiting).toStrictEqual({ kind: 'rejected' })
    expect(t.store.memory).toBeNull()
    expect(t.store.clears).toBe(1)
    expect(t.endSession).toHaveBeenCalledTimes(1)
  })

  it('refreshTokenRequired: true given explicitly ends the session without calling refresh, like the default', async () => {
    const t = setup(C1, 0, Promise.resolve(), { refreshTokenRequired: true })
    expect(await t.coordinator.recover('a1')).toStrictEqual({ kind: 'rejected' })
    expect(t.refresh).not.toHaveBeenCalled()
    expect(t.store.memory).toBeNull()
    expect(t.endSession).toHaveBeenCalledTimes(1)
  })
})

describe('B10 ahead of expiry, when a refresh is not possible', () => {
  it('without a refresh token the token is kept in use: no refresh, no logout', async () => {
    const t = setup({ accessToken: 'a1' })
    expect(await t.coordinator.recover('a1', 'expiry')).toStrictEqual({ kind: 'unavailable', reason: 'no refresh token' })
    expect(t.refresh).not.toHaveBeenCalled()
    expect(t.store.clears).toBe(0)
    expect(t.endSession).not.toHaveBeenCalled()
    // Its 401 is what ends the session.
    expect(await t.coordinator.recover('a1')).toStrictEqual({ kind: 'rejected' })
    expect(t.endSession).toHaveBeenCalledTimes(1)
  })

  it('a failed refresh ahead of expiry holds back the next one for 5 s, then it is tried again', async () => {
    let clock = 1_000
    const store = new FakeStore(T1)
    const refresh = vi.fn(async (): Promise<RefreshResult> => ({ kind: 'unavailable', reason: 'status 503' }))
    const coordinator = createCoordinator({
      store,
      refresh,
      lock: (task) => task(),
      onRefreshed: () => {},
      endSession: () => {},
      now: () => clock,
    })
    const failed = { kind: 'unavailable', reason: 'status 503' }
    expect(await coordinator.recover('a1', 'expiry')).toStrictEqual(failed)
    clock += 4_999
    expect(await coordinator.recover('a1', 'expiry')).toStrictEqual(failed)
    expect(refresh).toHaveBeenCalledTimes(1)
    // A 401 sent after the failure does not wait: it tries again at once.
    expect(await coordinator.recover('a1', 'unauthorized', coordinator.refreshesDone)).toStrictEqual(failed)
    expect(refresh).toHaveBeenCalledTimes(2)
    clock += 5_000
    expect(await coordinator.recover('a1', 'expiry')).toStrictEqual(failed)
    expect(refresh).toHaveBeenCalledTimes(3)
  })
})

describe('the hold-back after a failed refresh ahead of expiry', () => {
  it('is a quarter of the token life when that is under 5 s', async () => {
    let clock = 10_000
    const store = new FakeStore({ accessToken: 'a1', refreshToken: 'r1', obtainedAt: 10_000, expiresAt: 12_000 })
    const refresh = vi.fn(async (): Promise<RefreshResult> => ({ kind: 'unavailable', reason: 'status 503' }))
    const coordinator = createCoordinator({ store, refresh, lock: (task) => task(), onRefreshed: () => {}, endSession: () => {}, now: () => clock })
    await coordinator.recover('a1', 'expiry')
    clock += 499
    await coordinator.recover('a1', 'expiry')
    expect(refresh).toHaveBeenCalledTimes(1)
    clock += 1
    await coordinator.recover('a1', 'expiry')
    expect(refresh).toHaveBeenCalledTimes(2)
  })
})

describe('B8 + B18 the pause after refreshes in a row were unavailable', () => {
  function failingEndpoint(tokens: Tokens = T1) {
    let clock = 0
    const store = new FakeStore(tokens)
    const refresh = vi.fn(async (): Promise<RefreshResult> => ({ kind: 'unavailable', reason: 'status 400' }))
    const coordinator = createCoordinator({ store, refresh, lock: (task) => task(), onRefreshed: () => {}, endSession: () => {}, now: () => clock })
    /** A 401 for a request sent now, `ms` after the last step. */
    const unauthorized = async (ms = 0) => {
      clock += ms
      return coordinator.recover(tokens.accessToken, 'unauthorized', coordinator.refreshesDone)
    }
    return { store, refresh, coordinator, unauthorized }
  }

  it('grows 0, 1 s, 2 s, 4 s… up to 30 s: requests meanwhile get the failure at once', async () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(failurePause)).toStrictEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
    const { refresh, unauthorized } = failingEndpoint()
    const failed = { kind: 'unavailable', reason: 'status 400' }
    expect(await unauthorized()).toStrictEqual(failed)
    // After the first failure the next request tries again, as ever.
    expect(await unauthorized(1)).toStrictEqual(failed)
    expect(refresh).toHaveBeenCalledTimes(2)
    // Two in a row: 1 s of answers at once.
    for (let i = 0; i < 10; i++) expect(await unauthorized(99)).toStrictEqual(failed)
    expect(refresh).toHaveBeenCalledTimes(2)
    expect(await unauthorized(10)).toStrictEqual(failed)
    expect(refresh).toHaveBeenCalledTimes(3)
    // Three in a row: 2 s.
    expect(await unauthorized(1_999)).toStrictEqual(failed)
    expect(refresh).toHaveBeenCalledTimes(3)
    expect(await unauthorized(1)).toStrictEqual(failed)
    expect(refresh).toHaveBeenCalledTimes(4)
  })

  it('a success starts again: the next failure is tried again at once', async () => {
    const { refresh, unauthorized, coordinator } = failingEndpoint()
    await unauthorized()
    await unauthorized()
    refresh.mockImplementationOnce(async () => ({ kind: 'refreshed', tokens: T2 }))
    expect(await unauthorized(1_000)).toMatchObject({ kind: 'replay' })
    // The new token's refresh fails once, and the next request tries again at once.
    await coordinator.recover('a2', 'unauthorized', coordinator.refreshesDone)
    await coordinator.recover('a2', 'unauthorized', coordinator.refreshesDone)
    expect(refresh).toHaveBeenCalledTimes(5)
  })

  it('new tokens (a login, setTokens) start again', async () => {
    const { refresh, unauthorized, store, coordinator } = failingEndpoint()
    await unauthorized()
    await unauthorized()
    await store.write(T2)
    await coordinator.recover('a2', 'unauthorized', coordinator.refreshesDone)
    expect(refresh).toHaveBeenCalledTimes(3)
  })
})
