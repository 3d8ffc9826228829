import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, serveWorkerFile, test } from './fixtures.js'

/**
 * The page module loads the code only some pages need when they need it:
 * the worker options' checks (only with `worker`), the diagnosis of a
 * failed registration, the page's own token checks, the words for options
 * and set-ups it refuses. When such a chunk
 * cannot load (a deploy replaced it, the network is gone), each still ends
 * in an error that says what happened, never in a half-registered page.
 */
test.describe('code loaded when needed', () => {
  test('B14 when its chunk cannot load: the worker options are not written unchecked, a refused option is still named, a failed registration still says why, a page that needs control taken says what it could not load, and setTokens is checked by the worker', async ({ page, server }) => {
    const assets = await readdir(join(import.meta.dirname, '../demo/dist/assets'))
    const gone: Record<string, string> = {}
    for (const chunk of ['worker-query', 'diagnose', 'tokens', 'explain', 'claim']) {
      const file = assets.find((name) => name.startsWith(`${chunk}-`))
      expect(file, chunk).toBeDefined()
      // Gone from the server, as after a deploy that renamed it.
      gone[chunk] = `/assets/${file}`
      server.files[gone[chunk]] = join(import.meta.dirname, 'gone.js')
    }
    const script = decodeURIComponent((await serveWorkerFile(server, {})).replace('script=', ''))
    await page.goto(`${server.url}/console?manual`)
    const outcome = (options: object) =>
      page.evaluate(
        (options) =>
          window.registerTokenProxy(options as never).then(
            () => 'registered',
            (error: Error) => `${error.name}: ${error.message}`,
          ),
        options,
      )

    expect(await outcome({ workerUrl: '/sw.js', worker: { apiPrefix: '/api/', refreshUrl: '/api/auth/refresh' } })).toBe(
      'TokenProxyError: Failed to register the token proxy: the code that checks the worker options could not load (offline, or a deploy in between): load the page again.',
    )
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0)
    // A refused option is still refused, and named, without the words the chunk has for it.
    expect(await outcome({ workerUrl: '/sw.js', loginPth: '/login' })).toBe(
      'TokenProxyOptionsError: Failed to register the token proxy: the option `loginPth` is unknown or not valid; the code that explains it could not load (offline, or a deploy in between): load the page again.',
    )
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0)
    expect(await outcome({ workerUrl: '/no-such-sw.js' })).toMatch(/^TokenProxyError: Failed to register the token proxy: the browser refused to register \/no-such-sw\.js: .+/)

    // A page that needs the chunk (here: the origin has another registration, which may be a copy to
    // remove; a page without a controller may instead be claimed by the worker's own activate first)
    // cannot go on without it, and says so.
    await page.evaluate((script) => navigator.serviceWorker.register(script, { scope: '/elsewhere/' }), script)
    expect(await outcome({ workerUrl: script })).toBe(
      'TokenProxyError: Failed to register the token proxy: the code that takes control of the page could not load (offline, or a deploy in between): load the page again.',
    )
    // The chunk back, and the page loaded again (a browser may remember a failed import for the page's life).
    delete server.files[gone.claim!]
    await page.reload()
    expect(await outcome({ workerUrl: script })).toBe('registered')
    const refused = await page.evaluate(async (script) => {
      const proxy = await window.registerTokenProxy({ workerUrl: script })
      return proxy.setTokens({ accessToken: 'not a token' }).then(
        () => 'set',
        (error: Error) => `${error.name}: ${error.message}`,
      )
    }, script)
    // The worker's verdict, as the same class the page's own check throws.
    expect(refused).toMatch(/^TokenProxyOptionsError: Failed to set the tokens: the worker refused SET_TOKENS: `accessToken` must be a token a header can carry/)
  })
})
