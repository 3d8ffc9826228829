/**
 * `npm run example:workbox`: builds the example into dist/ and serves it on
 * 127.0.0.1 with the demo server's auth API. `PORT` and `ACCESS_TTL`
 * (seconds) change the defaults.
 */
import { join } from 'node:path'
import { build } from 'vite'
import { startDemoServer } from '../../demo/server/app.js'
import { siteFiles } from '../../demo/server/files.js'

const here = import.meta.dirname
await build({ root: here, configFile: join(here, 'vite.config.ts'), logLevel: 'warn' })
const port = Number(process.env.PORT ?? 4174)
const accessTtl = Number(process.env.ACCESS_TTL ?? 10)
const server = await startDemoServer({ port, accessTtlMs: accessTtl * 1000, files: await siteFiles(join(here, 'dist')) })
console.log(`sw-token-proxy Workbox example: ${server.url}/  (access tokens live ${accessTtl} s)`)
