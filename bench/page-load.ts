import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from '@playwright/test'
import { proxyOptions } from '../demo/app/config.js'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { workerFile } from '../node/worker-file.js'
import { STATIC_ROUTES } from '../sw/static-routes.js'
import { summarize, type Summary } from './stats.js'

/** Scripts on the page, as a larger app's page has (classic scripts: `no-cors` requests). */
export const PAGE_SCRIPTS = 40

export interface PageLoadResult {
  contender:
    | 'no worker'
    | 'sw-token-proxy, worker running'
    | 'sw-token-proxy, worker stopped'
    | 'sw-token-proxy without static routes, worker running'
    | 'sw-token-proxy without static routes, worker stopped'
    | 'routes only, worker running'
    | 'routes only, worker stopped'
  /** Navigation start to the load event, per load (ms). */
  load: Summary
  /**
   * This load over the load with no worker in the same round (the pairs share
   * the machine's state at that moment, which moves more than the worker's
   * cost), summarized over rounds; for 'no worker' itself, 1.
   */
  ratio: Summary & { low: number; high: number }
}

/** The median's 95 % interval by order statistics (ranks n/2 ± 0.98√n), without assuming a distribution. */
export function medianInterval(values: readonly number[]): { low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  const spread = 0.98 * Math.sqrt(n)
  return { low: sorted[Math.max(0, Math.floor(n / 2 - spread))]!, high: sorted[Math.min(n - 1, Math.ceil(n / 2 + spread))]! }
}

/** A page with `PAGE_SCRIPTS` classic scripts, each a file of its own, served by the demo server. */
async function site(): Promise<{ files: Record<string, string>; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-token-proxy-page-'))
  const files: Record<string, string> = {}
  const tags: string[] = []
  for (let i = 0; i < PAGE_SCRIPTS; i++) {
    const file = join(dir, `s${i}.js`)
    await writeFile(file, `window.loaded = (window.loaded || 0) + 1 // script ${i}\n${'// padding\n'.repeat(200)}`)
    files[`/bench/s${i}.js`] = file
    tags.push(`<script src="/bench/s${i}.js"></script>`)
  }
  // The same worker with the browser's static routes hidden from it: the baseline of what they save.
  const worker = join(dir, 'sw-no-routes.js')
  const standalone = await readFile(join(import.meta.dirname, '../dist/sw.js'), 'utf8')
  const hidden = `if (self.InstallEvent) Object.defineProperty(InstallEvent.prototype, 'addRoutes', { value: undefined });\n${standalone}`
  await writeFile(worker, workerFile(proxyOptions.worker!, hidden))
  files['/sw-no-routes.js'] = worker
  // The floor for any worker that needs fetch events for its API: the same static routes and a
  // fetch listener that leaves every request to the browser.
  const floor = join(dir, 'sw-routes-only.js')
  await writeFile(
    floor,
    `self.addEventListener('install', (event) => { if (event.addRoutes) event.waitUntil(event.addRoutes(${JSON.stringify(STATIC_ROUTES)})); self.skipWaiting() })
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
self.addEventListener('fetch', () => {})
`,
  )
  files['/sw-routes-only.js'] = floor
  const html = join(dir, 'page.html')
  await writeFile(html, `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${tags.join('')}</head><body>page</body></html>`)
  files['/bench/page.html'] = html
  return { files, dispose: () => rm(dir, { recursive: true, force: true }) }
}

/** Navigation start to the load event of one load of the page (ms), the scripts all run. */
async function loadOnce(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'load' })
  const { loaded, ms } = await page.evaluate(() => ({
    loaded: (window as unknown as { loaded?: number }).loaded,
    ms: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
  }))
  if (loaded !== 40) throw new Error(`page load: ${loaded} of 40 scripts ran`)
  return ms
}

async function stopWorkers(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('ServiceWorker.enable')
  await cdp.send('ServiceWorker.stopAllWorkers')
  await cdp.detach()
}

/**
 * Page loads of a page with 40 scripts (Chromium): with no worker, and
 * controlled by the standalone worker, running (warm) and stopped before each
 * load; `loads` rounds after one warm-up round, each round loading every
 * contender once in an order of its own (so that no contender always follows
 * another). The worker's static routes send the navigation and the scripts to
 * the network.
 */
export async function measurePageLoads(browser: Browser, loads = 121): Promise<PageLoadResult[]> {
  const { files, dispose } = await site()
  const servers: DemoServer[] = []
  try {
    /** A page of its own origin: with no worker, or controlled by the worker at `script`. */
    const open = async (script?: string) => {
      const server = await startDemoServer({ files })
      servers.push(server)
      const page = await (await browser.newContext()).newPage()
      if (script) {
        await page.goto(`${server.url}/console${script === '/sw.js' ? '' : `?script=${encodeURIComponent(script)}`}`)
        await page.waitForFunction(() => document.getElementById('state')?.dataset.ready === 'true')
      }
      return { page, url: `${server.url}/bench/page.html` }
    }
    const bare = await open()
    const proxy = await open('/sw.js')
    const plain = await open('/sw-no-routes.js')
    const routesOnly = await open()
    await routesOnly.page.goto(routesOnly.url)
    await routesOnly.page.evaluate(async () => {
      await navigator.serviceWorker.register('/sw-routes-only.js')
      await navigator.serviceWorker.ready
      if (!navigator.serviceWorker.controller) await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }))
    })
    const contenders = {
      bare: () => loadOnce(bare.page, bare.url),
      running: () => loadOnce(proxy.page, proxy.url),
      plainRunning: () => loadOnce(plain.page, plain.url),
      stopped: async () => (await stopWorkers(proxy.page), loadOnce(proxy.page, proxy.url)),
      plainStopped: async () => (await stopWorkers(plain.page), loadOnce(plain.page, plain.url)),
      floorRunning: () => loadOnce(routesOnly.page, routesOnly.url),
      floorStopped: async () => (await stopWorkers(routesOnly.page), loadOnce(routesOnly.page, routesOnly.url)),
    }
    type Name = keyof typeof contenders
    const names = Object.keys(contenders) as Name[]
    const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>
    for (let i = -1; i < loads; i++) {
      const order = [...names].sort(() => Math.random() - 0.5)
      const round = {} as Record<Name, number>
      for (const name of order) round[name] = await contenders[name]()
      if (i < 0) continue // the warm-up: caches, connections
      for (const name of names) samples[name].push(round[name])
    }
    for (const { page } of [proxy, plain, routesOnly]) {
      if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) throw new Error('page load: a proxy page was not controlled by the worker')
    }
    const result = (contender: PageLoadResult['contender'], name: Name): PageLoadResult => {
      const ratios = samples[name].map((ms, i) => ms / samples.bare[i]!)
      return { contender, load: summarize(samples[name]), ratio: { ...summarize(ratios), ...medianInterval(ratios) } }
    }
    return [
      result('no worker', 'bare'),
      result('sw-token-proxy, worker running', 'running'),
      result('sw-token-proxy, worker stopped', 'stopped'),
      result('sw-token-proxy without static routes, worker running', 'plainRunning'),
      result('sw-token-proxy without static routes, worker stopped', 'plainStopped'),
      result('routes only, worker running', 'floorRunning'),
      result('routes only, worker stopped', 'floorStopped'),
    ]
  } finally {
    for (const server of servers) await server.close()
    await dispose()
  }
}
