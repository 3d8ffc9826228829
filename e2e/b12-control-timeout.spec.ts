import { expect, test } from './fixtures.js'

test.describe('B12 control', () => {
  test('a worker that can never control the page fails registration with a clear error, in time', async ({ page, server }) => {
    await page.goto(`${server.url}/console?manual`)
    const outcome = await page.evaluate(async () => {
      const started = performance.now()
      const error = await window
        .registerTokenProxy({
          workerUrl: '/sw.js',
          worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' },
          scope: '/elsewhere/',
          timeout: 1_500,
        })
        .then(() => null, (e: Error) => `${e.name}: ${e.message}`)
      return { error, ms: performance.now() - started }
    })
    expect(outcome.error).toBe(
      'TokenProxyError: Failed to register the token proxy: the worker did not take control of the page within 1500 ms; check that its scope covers /console.',
    )
    expect(outcome.ms).toBeLessThan(10_000)
  })
})
