/**
 * `npm run screenshot`: docs/demo.png, the README's picture of the demo,
 * taken in headless Chromium after the tour the demo's spec checks.
 */
import { resolve } from 'node:path'
import { chromium } from '@playwright/test'
import { startDemoServer } from '../demo/server/app.js'
import { tour } from '../demo/tour.js'
import { launchOptions } from '../e2e/chromium.js'

const server = await startDemoServer({ accessTtlMs: 10_000 })
const browser = await chromium.launch(launchOptions)
try {
  const page = await browser.newPage({ viewport: { width: 1140, height: 860 }, deviceScaleFactor: 1 })
  await page.addInitScript('globalThis.__name = (f) => f') // tsx's function-name helper, absent in the page
  await tour(page, server.url)
  await page.screenshot({ path: resolve(import.meta.dirname, '../docs/demo.png') })
  console.log('wrote docs/demo.png')
} finally {
  await browser.close()
  await server.close()
}
