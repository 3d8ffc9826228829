import { needs } from './engines/limits.js'
import { expect, serveWorkerFile, storedTokens, test } from './fixtures.js'

/**
 * The development build of the worker (the Vite plugin's dev server,
 * `sw-token-proxy init --development`) tells its console each decision,
 * through Workbox's logger, never a token; the production build says none.
 */
test.describe('development build', () => {
  for (const build of ['development', 'production'] as const) {
    test(`the ${build} build ${build === 'development' ? 'logs which route took a request, each refresh, and why a request was left alone; never a token' : 'logs none of it'} (not in Firefox and WebKit: their drivers report no worker console)`, async ({ page, context, server, openConsole, login }) => {
      needs('workerConsole')
      const logged: string[] = []
      context.on('console', (message) => void (message.worker() && logged.push(message.text())))
      await openConsole(page, `stay&${await serveWorkerFile(server, {}, '/sw-options.js', build)}`)
      const { accessToken, refreshToken } = await login(page)
      server.auth.expireAccessTokens()
      expect(await page.evaluate(async () => [(await fetch('/api/me')).status, (await fetch('/apix/echo')).status])).toEqual([200, 200])
      const { accessToken: renewed } = (await storedTokens(page)) as { accessToken: string }
      const wanted = [
        expect.stringMatching(/sw-token-proxy took GET http:\/\/127\.0\.0\.1:\d+\/api\/me \(api\)/),
        expect.stringContaining('sw-token-proxy refreshed the tokens (after a 401).'),
        expect.stringContaining('sw-token-proxy replays a request that got a 401, with the newer token.'),
        expect.stringMatching(/sw-token-proxy left GET http:\/\/127\.0\.0\.1:\d+\/apix\/echo alone: \/apix\/echo is not under apiPrefix \(\/api\/\)/),
      ]
      if (build === 'development') {
        await expect.poll(() => logged).toEqual(expect.arrayContaining(wanted))
        for (const secret of [accessToken, refreshToken, renewed]) expect(logged.join('\n')).not.toContain(secret)
      } else {
        // The answers are in: whatever the worker would have logged for them, it has.
        expect(logged.filter((line) => line.includes('sw-token-proxy took') || line.includes('sw-token-proxy left'))).toEqual([])
      }
    })
  }
})
