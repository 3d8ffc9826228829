import { defineConfig } from '@playwright/test'
import { launchOptions } from './e2e/chromium.js'

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  reporter: 'list',
  use: { browserName: 'chromium', launchOptions },
  projects: [
    { name: 'specs', testIgnore: /soak\.spec\.ts/ },
    // The soak's tokens live one second: it measures the proxy only with the machine to itself, so it
    // runs alone, after every other spec (some of which pack, install and build whole projects).
    { name: 'soak', testMatch: /soak\.spec\.ts/, dependencies: ['specs'] },
  ],
})
