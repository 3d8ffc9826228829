import { chromium } from '@playwright/test'
import { launchOptions } from './e2e/chromium.ts'
import { measurePageLoads } from './bench/page-load.ts'
const browser = await chromium.launch(launchOptions)
const r = await measurePageLoads(browser)
for (const x of r) console.log(x.contender, x.load.median.toFixed(1), x.load.min.toFixed(1), x.load.max.toFixed(1))
await browser.close()
