import { chromium, firefox, type Browser } from '@playwright/test'
import { ENGINES, WEBKIT } from '../e2e/engines/index.js'
import { WebKitBrowser } from '../e2e/engines/webkit.js'
import { CONTENDERS, run, setUp, type Contender, type Setup } from './overhead.js'
import { summarize, type Summary } from './stats.js'

/**
 * Benchmark 1 in each engine found (Chromium, Firefox, WebKit), the same
 * way in all three. Firefox and WebKit give `performance.now()` in whole
 * milliseconds, so single latencies are not compared: a round's sequential
 * figure is its total divided by its requests (the mean), its concurrent
 * figure the time until all settled.
 */
export interface EngineOverhead {
  engine: string
  version: string
  contenders: { contender: Contender; sequentialMean: Summary; concurrentTotal: Summary }[]
}

export interface EngineRun {
  requests: number
  rounds: number
  engines: EngineOverhead[]
  /** Engines not found on this machine, with why. */
  missing: string[]
}

async function launch(name: string): Promise<{ browser: Browser; version: string }> {
  const engine = ENGINES.find((e) => e.name === name)!
  if (name === 'webkit') return { browser: (await WebKitBrowser.launch(WEBKIT)) as unknown as Browser, version: 'WebKitGTK 2.50 (Debian)' }
  const browser = await (name === 'firefox' ? firefox : chromium).launch(engine.launchOptions)
  return { browser, version: `${name === 'firefox' ? 'Firefox' : 'Chromium'} ${browser.version()}` }
}

export async function measureEngines({ requests = 500, rounds = 3 } = {}): Promise<EngineRun> {
  const engines: EngineOverhead[] = []
  const missing: string[] = []
  for (const engine of ENGINES) {
    if ('missing' in engine.found) {
      missing.push(`${engine.name}: ${engine.found.missing}`)
      continue
    }
    console.log(`  ${engine.name}…`)
    const { browser, version } = await launch(engine.name)
    try {
      const setups = new Map<Contender, Setup>()
      for (const contender of CONTENDERS) setups.set(contender, await setUp(browser, contender))
      const sequential = new Map<Contender, number[]>(CONTENDERS.map((c) => [c, []]))
      const concurrent = new Map<Contender, number[]>(CONTENDERS.map((c) => [c, []]))
      for (const contender of CONTENDERS) await run(setups.get(contender)!, 100, false, -1)
      for (let round = 0; round < rounds; round++) {
        for (const contender of CONTENDERS) {
          const setup = setups.get(contender)!
          sequential.get(contender)!.push((await run(setup, requests, false, round)).total / requests)
          concurrent.get(contender)!.push((await run(setup, requests, true, round)).total)
        }
      }
      for (const setup of setups.values()) {
        await setup.page.context().close()
        await setup.server.close()
      }
      engines.push({
        engine: engine.name,
        version,
        contenders: CONTENDERS.map((contender) => ({
          contender,
          sequentialMean: summarize(sequential.get(contender)!),
          concurrentTotal: summarize(concurrent.get(contender)!),
        })),
      })
    } finally {
      await browser.close()
    }
  }
  return { requests, rounds, engines, missing }
}
