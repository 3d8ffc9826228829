/**
 * Where the worker keeps its state in IndexedDB: one database and object
 * store, holding the tokens under `TOKENS_KEY` (and, with `dpop`, the keys).
 * Any script of the origin can read it (README, Security); the Playwright
 * helper writes an expiry there.
 */
export const DB_NAME = 'sw-token-proxy'
export const STORE_NAME = 'tokens'
export const TOKENS_KEY = 'tokens'
