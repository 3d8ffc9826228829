import { existsSync } from 'node:fs'
import type { LaunchOptions } from '@playwright/test'

/**
 * How the tests and benchmarks start Chromium: Debian's where there is one
 * (browsers cannot be downloaded everywhere), else `CHROMIUM_PATH`, else
 * Playwright's own. The networking flags keep Chromium from calling home.
 */
export const launchOptions: LaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined),
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
}
