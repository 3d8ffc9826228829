/**
 * `npm start`: the demo server on 127.0.0.1. `PORT` and `ACCESS_TTL` (seconds)
 * change the defaults; `DPOP=1` makes it a DPoP server (RFC 9449): tokens bound
 * to the worker's key, a proof on every request, its log names the key.
 */
import { startDemoServer } from './app.js'

const port = Number(process.env.PORT ?? 4173)
const accessTtl = Number(process.env.ACCESS_TTL ?? 10)
const dpop = ['1', 'true'].includes(process.env.DPOP ?? '')
const server = await startDemoServer({ port, accessTtlMs: accessTtl * 1000, dpop })
console.log(
  `sw-token-proxy demo: ${server.url}/  (access tokens live ${accessTtl} s${dpop ? ', DPoP-bound' : ''}; log in with any name, password 'demo')`,
)
