import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build } from 'vite'

const ROOT = resolve(import.meta.dirname, '..')

export interface SizeResult {
  name: string
  bytes: number
  gzip: number
  brotli: number
}

export function sizeOf(name: string, code: Buffer): SizeResult {
  return {
    name,
    bytes: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  }
}

/** The page module as an app's bundler would ship it: minified, one file, axios left out. */
async function minifiedClient(): Promise<Buffer> {
  const outDir = await mkdtemp(join(tmpdir(), 'sw-token-proxy-size-'))
  try {
    await build({
      configFile: false,
      logLevel: 'silent',
      build: {
        outDir,
        minify: true,
        lib: { entry: join(ROOT, 'client/index.ts'), formats: ['iife'], name: 'swTokenProxy', fileName: () => 'client.js' },
        rollupOptions: { external: ['axios'], output: { globals: { axios: 'axios' } } },
      },
    })
    return await readFile(join(outDir, 'client.js'))
  } finally {
    await rm(outDir, { recursive: true, force: true })
  }
}

/** Benchmark 4: bytes of what users ship. `dist/sw.js` must be built first. */
export async function measureSizes(): Promise<SizeResult[]> {
  return [sizeOf('dist/sw.js (standalone worker)', await readFile(join(ROOT, 'dist/sw.js'))), sizeOf('client, minified, without axios', await minifiedClient())]
}
