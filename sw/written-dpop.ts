/** `dist/sw.written.js`: the worker file for options with `dpop: true` (see sw/written.ts). */
import { createDpop } from './dpop.js'
import { startWritten } from './written.js'

startWritten(createDpop)
