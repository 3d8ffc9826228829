import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { LaunchOptions } from '@playwright/test'
import { launchOptions as chromiumLaunch } from '../chromium.js'

/**
 * The engines the suite runs in, and where each one's browser is on this
 * machine. Playwright's own Firefox and WebKit builds cannot be downloaded
 * everywhere, so stock browsers are used: Debian's Chromium, and Firefox ESR
 * through the BiDi relay in `firefox-bidi.mjs`.
 */
export interface Engine {
  name: 'chromium' | 'firefox'
  browserName: 'chromium' | 'firefox'
  launchOptions: LaunchOptions
  /** The browser binary, or why there is none. */
  found: { path: string } | { missing: string }
}

const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr'

export const ENGINES: Engine[] = [
  {
    name: 'chromium',
    browserName: 'chromium',
    launchOptions: chromiumLaunch,
    // Without a path Playwright uses its own Chromium, if installed.
    found: { path: chromiumLaunch.executablePath ?? 'Playwright’s Chromium' },
  },
  {
    name: 'firefox',
    browserName: 'firefox',
    launchOptions: {
      channel: 'moz-firefox',
      executablePath: resolve(import.meta.dirname, 'firefox-bidi.mjs'),
      env: { ...process.env, FIREFOX_PATH: FIREFOX },
    },
    found: existsSync(FIREFOX) ? { path: FIREFOX } : { missing: `no Firefox at ${FIREFOX} (apt-get install firefox-esr, or set FIREFOX_PATH)` },
  },
]
