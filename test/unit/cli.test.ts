import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { init } from '../../node/init.js'

const run = promisify(execFile)
const CLI = resolve(import.meta.dirname, '../../node/cli.ts')
const TSX = resolve(import.meta.dirname, '../../node_modules/.bin/tsx')

describe('the sw-token-proxy command', () => {
  it('names the flag that is missing its value, not the value after it', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sw-token-proxy-cli-'))
    try {
      await expect(init(['public', '--apiPrefix', '--refreshUrl', '/x'], cwd)).rejects.toThrow('--apiPrefix needs a value')
      await expect(init(['public', '--refreshUrl', '/x', '--apiPrefix'], cwd)).rejects.toThrow('--apiPrefix needs a value')
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  })

  it('B19 writes resources given as --resources.<prefix> flags into the worker file, URL prefixes included', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sw-token-proxy-cli-'))
    try {
      const flags = ['--apiPrefix', '/api/', '--apiPrefix', '/v1/', '--refreshUrl', '/oauth/token', '--refreshProtocol', 'oauth2', '--clientId', 'spa']
      const more = ['--trustedOrigins', 'https://billing.example', '--resources.https://billing.example/v1/=https://billing.example', '--resources./api/files/', 'urn:files']
      const file = await init(['public', ...flags, ...more], cwd)
      const code = await readFile(join(cwd, file), 'utf8')
      expect(code).toContain('"resources":{"https://billing.example/v1/":"https://billing.example","/api/files/":"urn:files"}')
      await expect(init(['public', ...flags, '--resources./elsewhere/', 'urn:x'], cwd)).rejects.toThrow(/`resources\['\/elsewhere\/'\]` must be keyed by an API's URL prefix/)
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  })

  it('with no command, says one is missing and exits 1; --help exits 0', async () => {
    const missing = await run(TSX, [CLI]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    )
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('sw-token-proxy: a command is missing.')
    expect(missing.stderr).toContain('Usage: npx sw-token-proxy init')
    const help = await run(TSX, [CLI, '--help'])
    expect(help.stdout).toContain('Usage: npx sw-token-proxy init')
  })
})
