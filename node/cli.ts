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
  console.log(USAGE)
  if (command !== undefined && command !== '--help' && command !== 'help') process.exitCode = 1
}
