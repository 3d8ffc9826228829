/*
 * How an option the proxy refuses is named in its error (apart from the
 * error classes, so that code which only throws does not carry them).
 */

/** A value given to the proxy as its messages show it: strings quoted, lists as JSON, the rest as `String` writes them. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (Array.isArray(value)) {
    try {
      return JSON.stringify(value)
    } catch {}
  }
  return String(value)
}

/** The reason an option or argument was refused: `` `name` must be <expected>, got <value> ``. */
export function mustBe(name: string, expected: string, value: unknown): string {
  return `\`${name}\` must be ${expected}, got ${show(value)}`
}
