import { readdir } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'

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
