import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build, minify, type InlineConfig, type Rollup } from 'vite'

const ROOT = resolve(import.meta.dirname, '..')

/**
 * Gzip budgets in bytes, checked by test/unit/size.test.ts. Raising one is a decision, not a fix.
 * The worker's was raised for `resources` (B19): 1,061 B (11,953 to 13,014). The page module's
 * came down when the worker options' checks, failure diagnosis and token checks moved to chunks
 * loaded when needed: at startup (the entry and the chunks it imports) 5,781 to 3,611, a
 * fetch-only app 5,631 to 3,457 (Vite 8 puts the modules the lazy chunks share with the entry,
 * the errors and a path check, in chunks of their own, loaded at startup too).
 * The fetch-only app was then built as a library (its entry keeping its exact exports); built as
 * an app is, the same code measured 4,304 B: Vite adds its helper for loading chunks (about
 * 0.75 KB) to an app with `import()` in it. The words for refused options and set-ups moved to a
 * chunk loaded when needed: 3,857 B for a fetch-only app, 3,082 B for one that already loads a
 * route with `import()`; the page module at startup 3,689 to 3,239 B.
 * The Workbox plugin and routes are built only for `installTokenProxy` (an app's own worker), and
 * the written files carry no option checks (Node made them when it wrote the file): the generic
 * worker 13,273 to 12,897 B, the written one 12,023 to 10,114 B. Taking the page (removing
 * copies, taking control) moved to a chunk that imports nothing the startup has, loaded only
 * when the page is not controlled yet or a copy may be there: fetch-only app 3,857 to 3,455 B
 * (2,679 B for an app that already splits its code), page module at startup 3,239 to 2,828 B.
 */
export const BUDGETS = { worker: 12_992, writtenWorker: 10_240, client: 2_944, fetchOnlyApp: 3_520 } as const
/**
 * The targets the issues set, reported beside the measurements: the worker file written for
 * typical options (in the file, no DPoP) at most 6 KB; the generic `sw.js` no larger than 8,427 B.
 */
export const TARGETS = { worker: 8_427, writtenWorker: 6_144, client: 1_536, fetchOnlyApp: 1_536 } as const

export interface SizeResult {
  name: string
  bytes: number
  gzip: number
  brotli: number
}

/** Bytes each source module contributes to a bundle (as rendered, before minification): what a size costs. */
export interface Breakdown {
  bundle: string
  modules: { module: string; bytes: number }[]
}

export function sizeOf(name: string, code: Buffer | string): SizeResult {
  const buffer = Buffer.from(code)
  return {
    name,
    bytes: buffer.length,
    gzip: gzipSync(buffer, { level: 9 }).length,
    brotli: brotliCompressSync(buffer, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  }
}

/** Several files as shipped: bytes summed, each compressed on its own, as a server sends them. */
export function sizeOfFiles(name: string, codes: readonly string[]): SizeResult {
  const each = codes.map((code) => sizeOf(name, code))
  return { name, bytes: sum(each.map((s) => s.bytes)), gzip: sum(each.map((s) => s.gzip)), brotli: sum(each.map((s) => s.brotli)) }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

/** Gzip bytes of files shipped separately. */
export const gzipOfFiles = (codes: readonly string[]) => sizeOfFiles('', codes).gzip

/** The entry chunk of a build, and every chunk it loads before it runs (its static imports, transitively): what a page pays at startup. */
async function bundleStartup(config: InlineConfig): Promise<Rollup.OutputChunk[]> {
  const output = (await build({ logLevel: 'silent', ...config, build: { ...config.build, write: false } })) as Rollup.RollupOutput | Rollup.RollupOutput[]
  const files = (Array.isArray(output) ? output[0]! : output).output.filter((file): file is Rollup.OutputChunk => file.type === 'chunk')
  const startup = [files[0]!]
  for (const chunk of startup) {
    for (const imported of chunk.imports) {
      const found = files.find((file) => file.fileName === imported)
      if (found && !startup.includes(found)) startup.push(found)
    }
  }
  return startup
}

async function bundle(config: InlineConfig): Promise<Rollup.OutputChunk> {
  return (await bundleStartup(config))[0]!
}

/** `dist/sw.js` exactly as `npm run build` writes it, built in memory. */
export function standaloneWorker(): Promise<Rollup.OutputChunk> {
  return bundle({ configFile: join(ROOT, 'vite.config.ts'), mode: 'sw' })
}

/**
 * The worker file `sw-token-proxy init` and the Vite plugin write for
 * typical options (in the file, no DPoP): `dist/sw.written.bearer.js`, built
 * in memory, behind the options line a file carries.
 */
export async function writtenWorker(): Promise<string> {
  const { workerFile } = await import('../node/worker-file.js')
  const code = (await bundle({ configFile: join(ROOT, 'vite.config.ts'), mode: 'sw-written-bearer' })).code
  return workerFile({ apiPrefix: '/api/', refreshUrl: '/api/auth/refresh', loginUrl: '/api/auth/login', logoutUrl: '/api/auth/logout' }, code)
}

/**
 * An ES module bundled and minified as an app's bundler would ship it, axios
 * left out. Vite keeps whitespace in minified ES libraries, so the bundle is
 * minified once more as a whole.
 */
async function minifiedModule(entry: string, external = ['axios']): Promise<{ chunk: Rollup.OutputChunk; code: string; files: string[] }> {
  const startup = await bundleStartup({
    configFile: false,
    build: { minify: true, lib: { entry, formats: ['es'], fileName: () => 'out.js' }, rollupOptions: { external } },
  })
  // The entry and the chunks it imports before it runs (what only some pages need loads later, on its own).
  const files = await Promise.all(startup.map(async (chunk) => (await minify(chunk.fileName, chunk.code, { module: true })).code))
  return { chunk: startup[0]!, code: files.join('\n'), files }
}

/** The page module as an app's bundler would ship it: minified, one file, axios left out. */
export function minifiedClient(): Promise<{ chunk: Rollup.OutputChunk; code: string; files: string[] }> {
  return minifiedModule(join(ROOT, 'client/index.ts'))
}

/**
 * What a fetch-only app pays for the page module at startup: the same small
 * app (one API read with `fetch`) built for production by Vite as an app is
 * built (`vite build`, the entry a script of its page), with and without
 * `registerTokenProxy` from the main entry, minified as shipped; the gzip
 * bytes of what it loads at startup (its entry chunk and the chunks that
 * imports, each compressed on its own), with and without, and the code with.
 * With `splitsCode`, the app already loads a part of itself with `import()`
 * (a route, as most apps do), so Vite's helper for loading chunks is in it
 * either way: the difference is then the page module's code alone.
 */
export async function fetchOnlyApp({ splitsCode = false } = {}): Promise<{ without: number; with: number; code: string; files: string[]; bare: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-token-proxy-app-'))
  try {
    const read = "const items = await (await fetch('/api/items')).json()\ndocument.body.textContent = JSON.stringify(items)\n"
    const route = splitsCode ? "document.body.onclick = () => import('./route.js').then((route) => route.show())\n" : ''
    await writeFile(join(dir, 'route.ts'), "export const show = () => { document.title = 'a route of the app, loaded when shown' }\n")
    await writeFile(join(dir, 'bare.ts'), read + route)
    await writeFile(join(dir, 'proxy.ts'), `import { registerTokenProxy } from ${JSON.stringify(join(ROOT, 'client/index.ts'))}\nawait registerTokenProxy({ workerUrl: '/sw.js' })\n${read}${route}`)
    // Not as a library, whose entry keeps its exact exports: the entry of an app exports nothing.
    const app = async (entry: string) => {
      const startup = await bundleStartup({ configFile: false, root: dir, logLevel: 'silent', build: { minify: true, rollupOptions: { input: join(dir, entry) } } })
      return Promise.all(startup.map(async (chunk) => (await minify(chunk.fileName, chunk.code, { module: true })).code))
    }
    const [bare, proxy] = await Promise.all([app('bare.ts'), app('proxy.ts')])
    return { without: gzipOfFiles(bare), with: gzipOfFiles(proxy), code: proxy.join('\n'), files: proxy, bare }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function breakdown(name: string, chunk: Rollup.OutputChunk): Breakdown {
  const modules = Object.entries(chunk.modules)
    .map(([id, info]) => ({ module: id.replace(`${ROOT}/`, '').replace(/^node_modules\//, ''), bytes: info.renderedLength }))
    .filter((m) => m.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
  return { bundle: name, modules }
}

const AXA = join(ROOT, 'node_modules/@axa-fr/oidc-client-service-worker/dist/OidcServiceWorker.js')
const AUTH_REFRESH = join(ROOT, 'node_modules/axios-auth-refresh/dist/index.esm.js')

/** Benchmark 4: bytes of what users ship, this project's and the alternatives', and what ours are made of. */
export async function measureSizes(): Promise<{ sizes: SizeResult[]; breakdowns: Breakdown[] }> {
  const worker = await standaloneWorker()
  const written = await writtenWorker()
  const client = await minifiedClient()
  const axa = await readFile(AXA)
  const app = await fetchOnlyApp()
  const splitting = await fetchOnlyApp({ splitsCode: true })
  const difference = (name: string, { files, bare }: { files: string[]; bare: string[] }): SizeResult => {
    const [withProxy, without] = [sizeOfFiles('', files), sizeOfFiles('', bare)]
    return { name, bytes: withProxy.bytes - without.bytes, gzip: withProxy.gzip - without.gzip, brotli: withProxy.brotli - without.brotli }
  }
  return {
    sizes: [
      sizeOf('sw-token-proxy: dist/sw.js (standalone worker)', worker.code),
      sizeOf('sw-token-proxy: the worker file written for typical options (no DPoP; sw.written.bearer.js)', written),
      sizeOfFiles('sw-token-proxy: client at startup, minified, without axios', client.files),
      difference('sw-token-proxy: what a fetch-only app ships for it (Vite production build, with − without)', app),
      difference('sw-token-proxy: the same, for an app that already loads a route with import()', splitting),
      sizeOf('@axa-fr/oidc-client-service-worker: OidcServiceWorker.js as shipped', axa),
      sizeOf('@axa-fr/oidc-client-service-worker: OidcServiceWorker.js minified', (await minifiedModule(AXA)).code),
      sizeOf('axios-auth-refresh: dist/index.esm.js as shipped, without axios', await readFile(AUTH_REFRESH)),
    ],
    breakdowns: [breakdown('dist/sw.js', worker), breakdown('client', client.chunk)],
  }
}
