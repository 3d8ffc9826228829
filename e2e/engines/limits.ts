import { test } from '@playwright/test'

/**
 * What an engine's test tools cannot do, and why: a step that needs one of
 * these runs where it can, and elsewhere is recorded as skipped with its
 * reason (the run's summary counts them per engine). None of these is a
 * behaviour of the proxy: each one is a limit of the browser or of
 * Playwright's driver for it, measured in this suite.
 */
const LIMITS = {
  cdp: {
    firefox: "a hard reload (Shift+Reload: BiDi's reload has no ignoreCache in Firefox 153) and the Playwright helper's stopWorker need the DevTools Protocol, which only Chromium has",
    webkit: "a hard reload (Shift+Reload) and the Playwright helper's stopWorker need the DevTools Protocol, which only Chromium has",
  },
  stopWorker: {
    webkit: 'WebKitGTK cannot stop a service worker on demand, nor shorten its idle timeout, through WebDriver (Chromium: CDP; Firefox: its idle timeout, seen over BiDi)',
  },
  staticRouting: {
    firefox: "Firefox 153 has no Static Routing API (InstallEvent.addRoutes), and Playwright reports no worker's running status there",
    webkit: 'WebKitGTK 2.50 has no Static Routing API (InstallEvent.addRoutes), and WebDriver classic reports no worker running status',
  },
  stopBusyWorker: {
    webkit: 'WebKitGTK cannot stop a service worker on demand, nor shorten its idle timeout, through WebDriver (Chromium: CDP; Firefox: its idle timeout, seen over BiDi)',
  },
  workerConsole: {
    firefox: "Playwright does not report a service worker's console messages in Firefox (WebDriver BiDi)",
    webkit: 'WebDriver classic reports no console messages',
  },
  workerNetwork: {
    firefox: "Playwright does not report a service worker's own requests in Firefox, nor whether a response came from one",
    webkit: "WebDriver classic reports no requests, the worker's or the page's",
  },
  secureCookieOverHttp: {
    webkit: 'WebKit keeps no Secure cookie from http://127.0.0.1 (the login answer sets one, the refresh goes without it); Chromium and Firefox take loopback as secure',
  },
  pageEvents: {
    webkit: 'WebDriver classic reports no page events (load, response, console, request)',
  },
  initScript: {
    webkit: "WebDriver classic cannot run a script before the page's own",
  },
  route: {
    webkit: 'WebDriver classic cannot intercept requests',
  },
  streamedUpload: {
    firefox: "Firefox has no streamed request bodies: fetch sends a ReadableStream body as the text '[object ReadableStream]'",
    webkit: "WebKit has no streamed request bodies: fetch with a ReadableStream body throws NotSupportedError ('ReadableStream uploading is not supported')",
  },
} satisfies Record<string, Partial<Record<string, string>>>

export type Limit = keyof typeof LIMITS

const engine = () => test.info().project.name

/** Why the running engine cannot do `limit`, or undefined when it can. */
export function lacks(limit: Limit): string | undefined {
  return (LIMITS[limit] as Partial<Record<string, string>>)[engine()]
}

/**
 * Whether this engine can run a step that needs `limit`. When it cannot, the
 * step is recorded as skipped (annotation `skipped step`) with the reason.
 */
export function can(limit: Limit): boolean {
  const reason = lacks(limit)
  if (reason) test.info().annotations.push({ type: 'skipped step', description: `${engine()}: ${reason}` })
  return !reason
}

/** Skips the whole test in an engine that lacks `limit`, with the reason. */
export function needs(limit: Limit): void {
  const reason = lacks(limit)
  test.skip(reason !== undefined, `${engine()}: ${reason}`)
}
