/**
 * `npx sw-token-proxy init [public folder] [--<option> <value>]... [--save]`:
 * writes the standalone worker, with the options written into it, as
 * `sw.js` in the folder a site serves from its root. With `--save` the folder
 * and options go into package.json (`swTokenProxy`) and the project's
 * postinstall runs `sw-token-proxy init`, so that every install writes the
 * file again from the installed version. Run with no folder, it reads them
 * from package.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { TokenProxyOptions } from '../common/options.js'
import { optionsFromQuery } from '../common/query.js'
import { readStandalone, workerFile } from './worker-file.js'

export const USAGE = `Usage: npx sw-token-proxy init [public folder] [--<option> <value>]... [--save] [--development]

Writes sw.js, the token proxy's worker with your options written into it, into the
folder your site serves from its root (public/ for most bundlers). Options are the
worker options (--apiPrefix /api/ --refreshUrl /api/auth/refresh ...; repeat a list's
flag for each item). --save records the folder and options in package.json and adds
"sw-token-proxy init" to your postinstall script, so every install writes sw.js again.
With no folder, both are read from package.json's "swTokenProxy". --development writes the
development build, whose worker logs each decision to its console (never a token).`

interface Saved {
  workerDirectory: string
  options: TokenProxyOptions
}

/** Reads `--name value` and `--name=value` pairs; lists repeat the flag. */
function parse(args: string[]): { folder: string | undefined; options: TokenProxyOptions | undefined; save: boolean; development: boolean } {
  const query = new URLSearchParams()
  let folder: string | undefined
  let save = false
  let development = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--save') save = true
    else if (arg === '--development') development = true
    else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s)
      // A flag right after a flag is the first one's missing value, not its value.
      const value = inline ?? (args[i + 1]?.startsWith('--') ? undefined : args[++i])
      if (value === undefined) throw new Error(`--${name} needs a value`)
      query.append(name!, value)
    } else if (folder === undefined) folder = arg
    else throw new Error(`unexpected argument '${arg}'`)
  }
  return { folder, options: query.size > 0 ? optionsFromQuery(query.toString()) : undefined, save, development }
}

async function readManifest(cwd: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as Record<string, unknown>
}

/** Records the folder and options, and makes postinstall write the file again. */
async function save(cwd: string, saved: Saved): Promise<void> {
  const manifest = await readManifest(cwd)
  const scripts = (manifest.scripts ?? {}) as Record<string, string>
  const command = 'sw-token-proxy init'
  const postinstall = scripts.postinstall
  if (!postinstall?.includes(command)) scripts.postinstall = postinstall ? `${postinstall} && ${command}` : command
  manifest.scripts = scripts
  manifest.swTokenProxy = saved
  await writeFile(join(cwd, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
}

export async function init(args: string[], cwd = process.cwd()): Promise<string> {
  const parsed = parse(args)
  let target: Saved
  if (parsed.folder !== undefined) {
    if (!parsed.options) throw new Error('give the worker options: --apiPrefix /api/ --refreshUrl /api/auth/refresh ...')
    target = { workerDirectory: parsed.folder, options: parsed.options }
  } else {
    const saved = (await readManifest(cwd).catch(() => ({}))) as { swTokenProxy?: Saved }
    if (!saved.swTokenProxy) throw new Error('no public folder given, and package.json has no "swTokenProxy" (run init with --save once)')
    target = saved.swTokenProxy
  }
  const code = workerFile(target.options, await readStandalone(parsed.development ? 'development' : 'production', target.options))
  const folder = join(cwd, target.workerDirectory)
  await mkdir(folder, { recursive: true })
  const file = join(folder, 'sw.js')
  await writeFile(file, code)
  if (parsed.save) await save(cwd, target)
  return relative(cwd, file)
}

