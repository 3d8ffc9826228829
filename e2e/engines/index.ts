import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { delimiter, join } from 'node:path'
import type { LaunchOptions } from '@playwright/test'
import { launchOptions as chromiumLaunch } from '../chromium.js'
import type { WebKitPaths } from './webkit.js'

/**
 * The engines the suite runs in, and where each one's browser is on this
 * machine. Playwright's own Firefox and WebKit builds cannot be downloaded
 * everywhere, so stock browsers are used: Debian's Chromium, Firefox ESR
 * through the BiDi relay in `firefox-bidi.mjs`, and WebKitGTK's MiniBrowser
 * through WebKitWebDriver and the layer in `webkit.ts`.
 */
export interface Engine {
  name: 'chromium' | 'firefox' | 'webkit'
  browserName: 'chromium' | 'firefox' | 'webkit'
  launchOptions: LaunchOptions
  /** The browser binary, or why there is none. */
  found: { path: string } | { missing: string }
}

const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr'

/**
 * How long Firefox lets a service worker idle before it stops it, in the
 * Firefox of a restart spec (B9; its default is 30 s), so that the spec
 * sees Firefox itself stop the worker, as it does to users' workers.
 */
export const FIREFOX_WORKER_IDLE_MS = 1_000

export const WEBKIT: WebKitPaths = {
  driver: process.env.WEBKIT_DRIVER_PATH || '/usr/bin/WebKitWebDriver',
  browser: process.env.WEBKIT_BROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
}

const onPath = (command: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, command)))

function webkitFound(): Engine['found'] {
  const apt = 'apt-get install webkit2gtk-driver xvfb'
  if (!existsSync(WEBKIT.driver)) return { missing: `no WebKitWebDriver at ${WEBKIT.driver} (${apt}, or set WEBKIT_DRIVER_PATH)` }
  if (!existsSync(WEBKIT.browser)) return { missing: `no MiniBrowser at ${WEBKIT.browser} (${apt}, or set WEBKIT_BROWSER_PATH)` }
  if (!process.env.WEBKIT_DISPLAY && !onPath('Xvfb')) return { missing: `no Xvfb for MiniBrowser's display (${apt}, or set WEBKIT_DISPLAY)` }
  return { path: WEBKIT.browser }
}

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
  {
    name: 'webkit',
    browserName: 'webkit',
    // Not Playwright's launch: the `browser` fixture (fixtures.ts) starts the WebKit layer instead.
    launchOptions: {},
    found: webkitFound(),
  },
]
