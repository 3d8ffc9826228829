import { readFile, writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { workerFile } from '../node/worker-file.js'
import { expect, test } from './fixtures.js'

/**
 * The worker files `sw-token-proxy init` and the Vite plugin write carry the
 * build for their options: without `dpop`, `sw.written.bearer.js`, which has
 * none of DPoP's code. Given options it was not built for, it refuses to
 * start and says what to do, instead of running without DPoP.
 */
test.describe('worker files written for their options', () => {
  test('B14 a worker file without DPoP that carries dpop: true does not start, and the page is told how to write it again', async ({ page, server }) => {
    const dir = await mkdtemp(join(tmpdir(), 'sw-token-proxy-'))
    const bearer = await readFile(join(import.meta.dirname, '../dist/sw.written.bearer.js'), 'utf8')
    server.files['/sw-handmade.js'] = join(dir, 'sw.js')
    await writeFile(server.files['/sw-handmade.js'], workerFile({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', dpop: true }, bearer))
    await page.goto(`${server.url}/console?manual`)
    const outcome = await page.evaluate(() =>
      window.registerTokenProxy({ workerUrl: '/sw-handmade.js' }).then(
        () => 'registered',
        (error: Error) => `${error.name}: ${error.message}`,
      ),
    )
    expect(outcome).toBe(
      'TokenProxyOptionsError: Failed to register the token proxy: the worker at /sw-handmade.js could not start: Failed to configure the token proxy: `dpop: true` needs a worker file with DPoP in it: write it again with `npx sw-token-proxy init` or the Vite plugin, which choose it.',
    )
  })
})
