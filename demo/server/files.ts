import { readdir, readFile } from 'node:fs/promises'
import { extname, join, normalize, relative, resolve, sep } from 'node:path'
import type { Route } from './exchange.js'
import type { Gates } from './gates.js'

/**
 * A built site's files by URL path, for `startDemoServer`'s `files`: every
 * file under `dir` at its path from `dir`, and `index.html` at `/` as well.
 */
export async function siteFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const file = join(entry.parentPath, entry.name)
    files[`/${relative(dir, file).split(sep).join('/')}`] = file
  }
  if (files['/index.html']) files['/'] = files['/index.html']
  return files
}

const ROOT = resolve(import.meta.dirname, '../..')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** Pages of the demo app by path; everything else under /assets/ is a built asset. */
const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/login': 'login.html',
  '/console': 'console.html',
  '/console.html': 'console.html',
  // Two more pages, for tests that need two worker registrations (scopes) on one origin.
  '/twin/a': 'console.html',
  '/twin/b': 'console.html',
}

/** What the server does that tests can change while it runs. */
export interface Deployment {
  /** Appended to `/sw.js` as a comment: change it to deploy a new worker version. */
  workerBuild: number
}

/**
 * The files: `extra` first (by URL path, read on every request, so a test
 * may take one out while the server runs), then `dist/sw.js` at `/sw.js` and
 * the built demo app.
 */
export function fileRoute(extra: Record<string, string>, deployment: Deployment, gates: Gates): Route {
  return async ({ url, res }) => {
    const path = url.pathname
    await gates.pass(path)
    const file =
      extra[path] ??
      (path === '/sw.js'
        ? join(ROOT, 'dist/sw.js')
        : PAGES[path]
          ? join(ROOT, 'demo/dist', PAGES[path])
          : path.startsWith('/assets/')
            ? join(ROOT, 'demo/dist', normalize(path))
            : undefined)
    try {
      if (!file) throw new Error('not found')
      let content = await readFile(file)
      if (path === '/sw.js' && !extra[path] && deployment.workerBuild) {
        content = Buffer.concat([content, Buffer.from(`\n// build ${deployment.workerBuild}\n`)])
      }
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' })
      res.end(content)
      return 200
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' })
      res.end(file?.endsWith('sw.js') || PAGES[path] ? `${path} is not built: run npm run build:all` : 'Not found')
      return 404
    }
  }
}
