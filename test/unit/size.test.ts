import { gzipSync } from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { BUDGETS, fetchOnlyApp, gzipOfFiles, minifiedClient, standaloneWorker, writtenWorker } from '../../bench/size.js'

const gzip = (code: string) => gzipSync(Buffer.from(code), { level: 9 }).length

describe('size budgets (gzip bytes, level 9)', () => {
  test(`dist/sw.js stays within ${BUDGETS.worker} bytes`, async () => {
    expect(gzip((await standaloneWorker()).code)).toBeLessThanOrEqual(BUDGETS.worker)
  })

  test(`the worker file written for typical options (no DPoP) stays within ${BUDGETS.writtenWorker} bytes, with no DPoP, no URL reader, no option checks and no Workbox plugin in it`, async () => {
    const code = await writtenWorker()
    expect(code).not.toMatch(/dpop\+jwt|dpop-keys|cannot be given in the worker's URL/)
    // Node checked its options when it wrote the file; the Workbox parts are for workers of the app's own.
    expect(code).not.toMatch(/unknown option|a same-origin path such as|cacheWillUpdate|handlerDidError/)
    expect(gzip(code)).toBeLessThanOrEqual(BUDGETS.writtenWorker)
  })

  test(`the client, minified without axios, stays within ${BUDGETS.client} bytes`, async () => {
    const { code, files } = await minifiedClient()
    expect(code).not.toMatch(/XMLHttpRequest|AxiosHeaders/) // axios really is left out
    // What loads at startup: the entry and the chunks it imports, each compressed on its own.
    expect(gzipOfFiles(files)).toBeLessThanOrEqual(BUDGETS.client)
  })

  test(`a fetch-only app pays at most ${BUDGETS.fetchOnlyApp} bytes for the page module, and no axios`, async () => {
    const app = await fetchOnlyApp()
    expect(app.code).not.toMatch(/XMLHttpRequest|AxiosHeaders/)
    expect(app.with - app.without).toBeLessThanOrEqual(BUDGETS.fetchOnlyApp)
  })
})
