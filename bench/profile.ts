import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser } from '@playwright/test'
import { build } from 'vite'
import { workerSession } from './cdp.js'
import { run, setUp } from './overhead.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileResult {
  contender: 'bare worker' | 'sw-token-proxy' | 'sw-token-proxy + DPoP'
  requests: number
  /** Worker main-thread time not idle, per request (ms). */
  busyPerRequest: number
  /** Where that time went: the worker's own script, the browser's built-ins it calls, garbage collection, the rest. */
  split: { script: number; builtins: number; gc: number; other: number }
  /** The worker script's functions with the most self time, per request (ms). */
  top: { name: string; perRequest: number }[]
  /** The built-ins with the most self time, per request (ms). */
  topBuiltins: { name: string; perRequest: number }[]
}

/** The standalone worker unminified, so the profile names our functions. */
async function readableWorker(): Promise<{ file: string; dispose: () => Promise<void> }> {
  const outDir = await mkdtemp(join(tmpdir(), 'sw-token-proxy-profile-'))
  await build({
    configFile: resolve(import.meta.dirname, '../vite.config.ts'),
    mode: 'sw',
    logLevel: 'silent',
    build: { outDir, minify: false, emptyOutDir: true },
  })
  return { file: join(outDir, 'sw.js'), dispose: () => rm(outDir, { recursive: true, force: true }) }
}

function analyze(profile: Profile, scriptPath: string, requests: number): Omit<ProfileResult, 'contender' | 'requests'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<ProfileNode, number>()
  // timeDeltas[i + 1] is the time from sample i to the next: sample i's share.
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!
    self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1_000)
  })
  const split = { script: 0, builtins: 0, gc: 0, other: 0 }
  const functions = new Map<string, number>()
  const builtins = new Map<string, number>()
  for (const [node, ms] of self) {
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') continue
    if (functionName === '(garbage collector)') split.gc += ms
    else if (url.includes(scriptPath)) {
      split.script += ms
      const name = `${functionName || '(anonymous)'} (line ${lineNumber + 1})`
      functions.set(name, (functions.get(name) ?? 0) + ms)
    } else if (url === '' && !functionName.startsWith('(')) {
      split.builtins += ms
      builtins.set(functionName, (builtins.get(functionName) ?? 0) + ms)
    }
    else split.other += ms
  }
  const perRequest = (ms: number) => ms / requests
  const top = (times: Map<string, number>, n: number) =>
    [...times]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, perRequest: perRequest(ms) }))
  return {
    busyPerRequest: perRequest(split.script + split.builtins + split.gc + split.other),
    split: { script: perRequest(split.script), builtins: perRequest(split.builtins), gc: perRequest(split.gc), other: perRequest(split.other) },
    top: top(functions, 8),
    topBuiltins: top(builtins, 4),
  }
}

/**
 * Where the worker's time goes in benchmark 1's sequential run: a CPU profile
 * of the worker (CDP `Profiler`, 100 µs sampling) over `requests` sequential
 * GETs, for the bare pass-through worker and for the proxy built unminified,
 * with Bearer tokens and with DPoP.
 */
export async function profileWorkers(browser: Browser, { requests = 1_000 } = {}): Promise<ProfileResult[]> {
  const worker = await readableWorker()
  const results: ProfileResult[] = []
  try {
    for (const contender of ['bare worker', 'sw-token-proxy', 'sw-token-proxy + DPoP'] as const) {
      const setup = await setUp(browser, contender, { '/sw.js': worker.file })
      try {
        await run(setup, 100, false, -1) // warm-up: JIT, connections, the first IndexedDB read
        const session = await workerSession(browser, setup.server.url)
        await session.call('Profiler.enable')
        await session.call('Profiler.setSamplingInterval', { interval: 100 })
        await session.call('Profiler.start')
        await run(setup, requests, false, 0)
        const { profile } = await session.call<{ profile: Profile }>('Profiler.stop')
        await session.detach()
        results.push({ contender, requests, ...analyze(profile, contender === 'bare worker' ? '/bare-sw.js' : '/sw.js', requests) })
      } finally {
        await setup.page.context().close()
        await setup.server.close()
      }
    }
  } finally {
    await worker.dispose()
  }
  return results
}
