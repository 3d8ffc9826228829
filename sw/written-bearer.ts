/** `dist/sw.written.bearer.js`: the worker file for options without `dpop`, with none of DPoP's code (see sw/written.ts). */
import { startWritten } from './written.js'

startWritten()
