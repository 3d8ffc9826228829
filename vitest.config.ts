import { defineConfig } from 'vitest/config'

// Unit tests of the pure parts; everything a browser does is in e2e/ (Playwright).
export default defineConfig({
  test: { include: ['test/unit/**/*.test.ts'], environment: 'node' },
})
