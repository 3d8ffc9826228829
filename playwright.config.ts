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
})
