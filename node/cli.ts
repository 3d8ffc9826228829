#!/usr/bin/env node
/** The `sw-token-proxy` command: `npx sw-token-proxy init …` (see init.ts). */
import { isTokenProxyError } from '../common/errors.js'
import { init, USAGE } from './init.js'

const [command, ...rest] = process.argv.slice(2)
if (command === 'init') {
  init(rest).then(
    (file) => console.log(`sw-token-proxy: wrote ${file}. Register it with registerTokenProxy({ workerUrl: '/sw.js' }).`),
    (error: unknown) => {
      console.error(`sw-token-proxy init: ${isTokenProxyError(error) ? error.message : `Failed to write the worker file: ${(error as Error).message}.`}`)
      process.exitCode = 1
    },
  )
} else {
  // Asked for, the usage is the answer; a missing or unknown command is an error, said on stderr.
  if (command === '--help' || command === 'help') console.log(USAGE)
  else {
    console.error(command === undefined ? `sw-token-proxy: a command is missing.\n\n${USAGE}` : `sw-token-proxy: unknown command '${command}'.\n\n${USAGE}`)
    process.exitCode = 1
  }
}
