/**
 * The standalone `sw.js`: the token proxy configured by options the file
 * carries (`self.swTokenProxyOptions = {…}` written above this code by
 * `sw-token-proxy init` or the Vite plugin), or else from the script's own
 * query string (`/sw.js?apiPrefix=/api/&refreshUrl=/api/auth/refresh`),
 * which may name same-origin endpoints only. Its lifecycle takes over pages
 * at once.
 */
import { checkStandalone, normalizeOptions, normalizeUrlOptions, type TokenProxyOptions } from '../common/options.js'
import { optionsFromQuery } from '../common/query.js'
import { createDpop } from './dpop.js'
import { install } from './install.js'
import { runStandalone } from './lifecycle.js'
import { refuseQuery } from './written.js'

declare const self: ServiceWorkerGlobalScope & { swTokenProxyOptions?: TokenProxyOptions }

runStandalone(() => {
  const written = self.swTokenProxyOptions
  if (written !== undefined) {
    refuseQuery()
    install(checkStandalone(normalizeOptions(written, self.location.origin)), createDpop)
  } else {
    install(checkStandalone(normalizeUrlOptions(optionsFromQuery(self.location.search), self.location.origin)), createDpop)
  }
})
