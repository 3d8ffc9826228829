/** `npm start`: the demo server on 127.0.0.1. `PORT` and `ACCESS_TTL` (seconds) change the defaults. */
import { startDemoServer } from './app.js'

const port = Number(process.env.PORT ?? 4173)
const accessTtl = Number(process.env.ACCESS_TTL ?? 10)
const server = await startDemoServer({ port, accessTtlMs: accessTtl * 1000 })
console.log(`sw-token-proxy demo: ${server.url}/  (access tokens live ${accessTtl} s; log in with any name, password 'demo')`)
