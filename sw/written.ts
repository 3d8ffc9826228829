/**
 * The worker files `sw-token-proxy init` and the Vite plugin write: the
 * options in the file (`self.swTokenProxyOptions = {…}` above this code),
 * checked in Node when the file was written (`workerFile` refuses to write
 * options that fail) and only resolved here, so the file carries none of the
 * checks; never read from the URL, so it carries no URL reader; and DPoP's
 * code only when the options ask for it (see sw/written-dpop.ts and
 * sw/written-bearer.ts). Options edited into a file by hand are not checked
 * again: write the file with the tools.
 */
import { failed, TokenProxyOptionsError } from '../common/errors.js'
import { resolveOptions, type TokenProxyOptions } from '../common/options.js'
import type { createDpop } from './dpop.js'
import { install } from './install.js'
import { runStandalone } from './lifecycle.js'

declare const self: ServiceWorkerGlobalScope & { swTokenProxyOptions?: TokenProxyOptions }

/** A URL of someone else's making must not change what the file says: a worker file with options takes no query. */
export function refuseQuery(): void {
  if (self.location.search) {
    throw new TokenProxyOptionsError(failed('configure the token proxy', `this worker file carries its own options, so its URL takes none; got '${self.location.search}'`))
  }
}

/** Runs the worker file with the options written into it; without `makeDpop`, `dpop: true` is refused. */
export function startWritten(makeDpop?: typeof createDpop): void {
  runStandalone(() => {
    const written = self.swTokenProxyOptions
    if (written === undefined) {
      throw new TokenProxyOptionsError(failed('configure the token proxy', 'this worker file carries no options: write it with `npx sw-token-proxy init` or the Vite plugin'))
    }
    refuseQuery()
    install(resolveOptions(written, self.location.origin), makeDpop)
  })
}
