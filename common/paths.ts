/** True for `/x…` paths that stay on the origin they are resolved against. */
export function isSameOriginPath(value: unknown): value is string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) && !/[\s\\]/.test(value)
}
