import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from '@playwright/test'
import { proxyOptions } from '../demo/app/config.js'
import { startDemoServer, type DemoServer } from '../demo/server/app.js'
import { workerFile } from '../node/worker-file.js'
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
  /** Navigation start to the load event, per load (ms). */
  load: Summary
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
 * load; interleaved, `loads` each after one warm-up load. The worker's static
 * routes send the navigation and the scripts to the network.
 */
export async function measurePageLoads(browser: Browser, loads = 21): Promise<PageLoadResult[]> {
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
    const samples = { bare: [] as number[], running: [] as number[], stopped: [] as number[], plainRunning: [] as number[], plainStopped: [] as number[] }
    for (let i = -1; i < loads; i++) {
      const bareMs = await loadOnce(bare.page, bare.url)
      const running = await loadOnce(proxy.page, proxy.url)
      const plainRunning = await loadOnce(plain.page, plain.url)
      await stopWorkers(proxy.page)
      const stopped = await loadOnce(proxy.page, proxy.url)
      await stopWorkers(plain.page)
      const plainStopped = await loadOnce(plain.page, plain.url)
      if (i < 0) continue // the warm-up: caches, connections
      samples.bare.push(bareMs)
      samples.running.push(running)
      samples.stopped.push(stopped)
      samples.plainRunning.push(plainRunning)
      samples.plainStopped.push(plainStopped)
    }
    for (const { page } of [proxy, plain]) {
      if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) throw new Error('page load: a proxy page was not controlled by the worker')
    }
    return [
      { contender: 'no worker', load: summarize(samples.bare) },
      { contender: 'sw-token-proxy, worker running', load: summarize(samples.running) },
      { contender: 'sw-token-proxy, worker stopped', load: summarize(samples.stopped) },
      { contender: 'sw-token-proxy without static routes, worker running', load: summarize(samples.plainRunning) },
      { contender: 'sw-token-proxy without static routes, worker stopped', load: summarize(samples.plainStopped) },
    ]
  } finally {
    for (const server of servers) await server.close()
    await dispose()
  }
}
