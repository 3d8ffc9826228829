import { defineConfig } from '@playwright/test'
import { launchOptions } from './e2e/chromium.js'
import { ENGINES } from './e2e/engines/index.js'

const present = ENGINES.filter((engine) => 'path' in engine.found)
for (const engine of ENGINES) {
  if ('missing' in engine.found) console.warn(`sw-token-proxy e2e: not running in ${engine.name}: ${engine.found.missing}`)
}

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  reporter: [['list'], ['./e2e/engines/skips.ts']],
  projects: [
    ...present.map((engine) => ({
      name: engine.name,
      testIgnore: /soak\.spec\.ts/,
      use: { browserName: engine.browserName, launchOptions: engine.launchOptions },
    })),
    // The soak's tokens live one second: it measures the proxy only with the machine to itself, so it
    // runs alone, after every other spec (some of which pack, install and build whole projects).
    { name: 'soak', testMatch: /soak\.spec\.ts/, dependencies: present.map((engine) => engine.name), use: { browserName: 'chromium', launchOptions } },
  ],
})
