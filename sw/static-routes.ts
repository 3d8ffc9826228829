/**
 * Static routes (the Service Worker Static Routing API, `InstallEvent.addRoutes`,
 * Chromium 123 and later; Firefox and WebKit have positive positions, not
 * shipped): requests the proxy never handles go straight to the network
 * without starting the worker (B2: "no added latency"). Only what the
 * proxy's own rules leave alone whatever the URL: navigations, and `no-cors`
 * requests (classic scripts, images, style sheets, `<video>`): no URL pattern
 * here, so no pattern can disagree with the matcher's (case, encodings, the
 * token endpoints' lenient forms) and send a request the worker should have
 * taken to the network.
 */
export const STATIC_ROUTES = [
  { condition: { requestMode: 'navigate' }, source: 'network' },
  { condition: { requestMode: 'no-cors' }, source: 'network' },
] as const

/** An install event (`ExtendableEvent`, as far as this needs it), with `addRoutes` where the browser has static routes. */
type RoutingInstallEvent = { waitUntil(promise: Promise<unknown>): void; addRoutes?: (routes: readonly object[]) => Promise<void> }

/**
 * Adds `routes` at install where the browser has static routes; elsewhere
 * nothing happens. For an app's own worker: call it in its `install` listener,
 * with routes of its own before these (`addRoutes([...yours, ...STATIC_ROUTES])`:
 * a precaching app keeps its cached files out of the network route).
 */
export function addStaticRoutes(event: { waitUntil(promise: Promise<unknown>): void }, routes: readonly object[] = STATIC_ROUTES): void {
  const install = event as RoutingInstallEvent
  // A browser that rejects the routes only loses the shortcut: the worker still answers as before.
  if (typeof install.addRoutes === 'function') install.waitUntil(install.addRoutes(routes).catch(() => {}))
}
