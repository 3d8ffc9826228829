/**
 * `npm run bench`: measures in headless Chromium (benchmark 6: in every
 * engine found) against local demo servers
 * and writes BENCHMARKS.md and bench/results.json from this run alone.
 * REQUESTS, ROUNDS and MEMORY_REQUESTS (environment) change the workload.
 * `--page-only` measures nothing: it writes BENCHMARKS.md again from the run
 * in bench/results.json (for a change of wording). `--only=expiry,size,engines,pageload`
 * measures those alone, into that run (see below).
 */
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { resolve } from 'node:path'
import { chromium } from '@playwright/test'
import { launchOptions } from '../e2e/chromium.js'
import { measureEngines, type EngineRun } from './engines.js'
import { measurePageLoads, PAGE_SCRIPTS, type PageLoadResult } from './page-load.js'
import { measureExpiryBenchmarks, SIMPLEJWT_TTL_S, type ExpiryBenchmarks } from './expiry.js'
import { measureMemory, type MemoryResult, type MemorySample } from './memory.js'
import { measureOverhead, type OverheadResult } from './overhead.js'
import { profileWorkers, type ProfileResult } from './profile.js'
import { BUDGETS, measureSizes, TARGETS, type Breakdown, type SizeResult } from './size.js'
import type { Summary } from './stats.js'

const ROOT = resolve(import.meta.dirname, '..')
const AUTH_REFRESH_VERSION = (JSON.parse(readFileSync(resolve(ROOT, 'node_modules/axios-auth-refresh/package.json'), 'utf8')) as { version: string }).version
let requests = Number(process.env.REQUESTS ?? 1_000)
let rounds = Number(process.env.ROUNDS ?? 5)
let memoryRequests = Number(process.env.MEMORY_REQUESTS ?? 10_000)
const EXPIRY_REQUESTS = 100
const PER_TAB = 25

const ms = (n: number) => n.toFixed(1)
const ms3 = (n: number) => n.toFixed(3)
const noisy = (s: Summary) => (s.cv > 0.1 ? ` (noisy: cv ${s.cv.toFixed(2)})` : '')
const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`
const ratio = (a: number, b: number) => (a / b).toFixed(3)
/** A count over rounds: the median, and the range when rounds differ. */
const count = (s: Summary) => (s.min === s.max ? String(s.median) : `${s.median} (${s.min}–${s.max})`)
const met = (ok: boolean) => (ok ? 'met' : '**missed**')

interface Results {
  machine: Record<string, string>
  overhead: OverheadResult[]
  profile: ProfileResult[]
  expiry: ExpiryBenchmarks
  sizes: SizeResult[]
  breakdowns: Breakdown[]
  memory: MemoryResult[]
  /** Benchmark 6; absent from runs saved before it existed. */
  engines?: EngineRun
  /** Benchmark 7; absent from runs saved before it existed. */
  pageLoads?: PageLoadResult[]
}

function overheadSection(overhead: OverheadResult[], profile: ProfileResult[]): string {
  const of = (name: string) => overhead.find((r) => r.contender === name)!
  const proxy = of('sw-token-proxy')
  const dpop = of('sw-token-proxy + DPoP')
  const bare = of('bare worker')
  const none = of('no worker')
  const profileBare = profile.find((p) => p.contender === 'bare worker')!
  const profileProxy = profile.find((p) => p.contender === 'sw-token-proxy')!
  const profileDpop = profile.find((p) => p.contender === 'sw-token-proxy + DPoP')!
  const seq = proxy.sequential.median / bare.sequential.median
  const conc = proxy.concurrentTotal.median / bare.concurrentTotal.median
  const dpopSeq = dpop.sequential.median / bare.sequential.median
  const dpopConc = dpop.concurrentTotal.median / bare.concurrentTotal.median
  return `## 1. Per-request overhead

The same authenticated \`GET /api/me\` (the server verifies an HS256 JWT), ${requests} sequential and
${requests} concurrent, in ${rounds} rounds that interleave the contenders (after one uncounted
warm-up each), each contender on its own origin: the page writing \`Authorization\` itself with no
worker; the same with a bare pass-through worker (\`respondWith(fetch(event.request))\`, the floor
for any worker design); this proxy adding the token; and this proxy with \`dpop: true\` against the
demo server in its DPoP mode, a fresh proof signed (ECDSA P-256, WebCrypto) for every request and
checked by the server (\`jose\`), so its end-to-end time includes the server's check. Sequential: per-request latency pooled over
all rounds. Concurrent: time until all ${requests} settled, one value per round.

| contender | sequential median | sequential p95 | round medians min–max | concurrent total, median | concurrent min–max |
|---|---|---|---|---|---|
${overhead
  .map(
    (r) =>
      `| ${r.contender} | ${ms(r.sequential.median)} ms | ${ms(r.sequential.p95)} ms | ${ms(r.sequentialRounds.min)}–${ms(r.sequentialRounds.max)} ms${noisy(r.sequentialRounds)} | ${ms(r.concurrentTotal.median)} ms | ${ms(r.concurrentTotal.min)}–${ms(r.concurrentTotal.max)} ms${noisy(r.concurrentTotal)} |`,
  )
  .join('\n')}

Ratios (medians):

| | sequential | concurrent |
|---|---|---|
| proxy / bare worker | ${seq.toFixed(3)} | ${conc.toFixed(3)} |
| proxy / no worker | ${ratio(proxy.sequential.median, none.sequential.median)} | ${ratio(proxy.concurrentTotal.median, none.concurrentTotal.median)} |
| proxy with DPoP / bare worker | ${dpopSeq.toFixed(3)} | ${dpopConc.toFixed(3)} |
| proxy with DPoP / proxy | ${ratio(dpop.sequential.median, proxy.sequential.median)} | ${ratio(dpop.concurrentTotal.median, proxy.concurrentTotal.median)} |

Target proxy / bare worker ≤ 1.05: sequential ${met(seq <= 1.05)}, concurrent ${met(conc <= 1.05)}.
Target proxy with DPoP / bare worker ≤ 1.10: sequential ${met(dpopSeq <= 1.1)}, concurrent ${met(dpopConc <= 1.1)}.
DPoP costs ${ms3(dpop.sequential.median - proxy.sequential.median)} ms per sequential request end to end: the worker signing a proof
and the server checking it (the profile below shows the part spent on the worker's thread).
"Noisy" marks a series whose rounds disagree: a coefficient of variation above 0.1 across rounds.

Where the worker's time goes: a CPU profile of the worker (CDP \`Profiler\`, 100 µs sampling) over
${profileBare.requests} more sequential requests, the proxy built unminified so that the profile names its functions.
Per request, in ms of the worker's thread:

| worker | busy | its own script | browser built-ins | garbage collection | other |
|---|---|---|---|---|---|
${profile.map((p) => `| ${p.contender} | ${ms3(p.busyPerRequest)} | ${ms3(p.split.script)} | ${ms3(p.split.builtins)} | ${ms3(p.split.gc)} | ${ms3(p.split.other)} |`).join('\n')}

The proxy's own script costs ${ms3(profileProxy.split.script - profileBare.split.script)} ms per request more than the bare worker's one
line, and the built-ins it calls ${ms3(profileProxy.split.builtins - profileBare.split.builtins)} ms more; DPoP (a proof signed, the token's hash
kept per token) adds ${ms3(profileDpop.busyPerRequest - profileProxy.busyPerRequest)} ms of the worker's thread per request, against a request that takes
${ms(bare.sequential.median)} ms through the bare worker. The proxy's functions with the most self time:
${profileProxy.top.map((f) => `\`${f.name}\` ${ms3(f.perRequest)}`).join(', ')}. The built-ins with the most, per worker:
${profile.map((p) => `${p.contender}: ${p.topBuiltins.map((f) => `\`${f.name || '(unnamed)'}\` ${ms3(f.perRequest)}`).join(', ')}`).join('; ')}.
\`fetch\` is the browser sending the request; the bare worker hands it the page's own request, the
proxy a new \`Request\` with the header (B1 needs one: a request's headers cannot be changed).`
}

function expirySection({ expiry, refreshTrip }: ExpiryBenchmarks): string {
  const proxy = expiry.find((r) => r.contender === 'sw-token-proxy, B10 on')!
  const of = (name: string) => expiry.find((r) => r.contender === name)!
  const proxyOff = of('sw-token-proxy, B10 off')
  const seed = of('sw-token-proxy, seed protocol (no expiry in refresh answers)')
  const simpleJwt = of('sw-token-proxy, Django REST framework SimpleJWT')
  return `## 2. Expiry cost

${EXPIRY_REQUESTS} concurrent requests through an axios instance at the moment the access token expires
(the server has just let it expire), beside the same burst with a valid token (the mean of one just
before and one just after, in the same page); ${rounds} rounds, each with its own server, browser context and session. "Server requests"
counts every API request the server received for the expired burst, refresh calls included.
Contenders: this proxy with B10 (it knows the expiry and refreshes before sending) and without (it
learns of the expiry from the 401s); the classic interceptor as it is commonly published
(\`isRefreshing\` flag, a queue, a \`_retry\` mark; \`bench/page/interceptors.ts\`); axios-auth-refresh
${AUTH_REFRESH_VERSION} with its README's set-up, and with \`deduplicateRefresh: false\`. The interceptors keep tokens in
\`localStorage\`.

| contender | server requests | refresh calls | requests not 200 | valid burst | expired burst | expired − valid |
|---|---|---|---|---|---|---|
${expiry
  .map(
    (r) =>
      `| ${r.contender} | ${count(r.serverRequests)} | ${count(r.refreshCalls)} | ${count(r.failed)} | ${ms(r.validTotal.median)} ms${noisy(r.validTotal)} | ${ms(r.expiredTotal.median)} ms${noisy(r.expiredTotal)} | ${ms(r.extra.median)} ms (${ms(r.extra.min)} to ${ms(r.extra.max)}) |`,
  )
  .join('\n')}

One refresh round trip (a page with no worker, ${refreshTrip.count} calls): median ${ms(refreshTrip.median)} ms, p95 ${ms(refreshTrip.p95)} ms.

Targets for the proxy with B10: requests = N + 1 = ${EXPIRY_REQUESTS + 1}: ${met(proxy.serverRequests.max === EXPIRY_REQUESTS + 1 && proxy.serverRequests.min === EXPIRY_REQUESTS + 1)}
(median ${proxy.serverRequests.median}); time within one refresh round trip of the valid burst:
${met(proxy.extra.median <= refreshTrip.median)} (median difference ${ms(proxy.extra.median)} ms against ${ms(refreshTrip.median)} ms). Read the
time with care: a valid burst itself varies by ${ms(proxy.validTotal.max - proxy.validTotal.min)} ms from round to round
(${ms(proxy.validTotal.min)}–${ms(proxy.validTotal.max)} ms), far more than a refresh round trip, so this run can tell a
difference of about that size, not one of ${ms(refreshTrip.median)} ms. The request counts are exact.
The seed's protocol (the classic interceptor blog post's server: opaque tokens, \`{ token,
refreshToken }\` refresh answers with no expiry) is measured at its second expiry, the one after a
refresh whose answer said nothing of the new token's life, against a server whose tokens really
live ${4} s: the worker assumes the lifetime the previous token had. Target N + 1 =
${EXPIRY_REQUESTS + 1}: ${met(seed.serverRequests.max === EXPIRY_REQUESTS + 1 && seed.serverRequests.min === EXPIRY_REQUESTS + 1)} (median ${count(seed.serverRequests)}).
Django REST framework SimpleJWT (Debian's 5.2, rotation and blacklisting on, its names mapped with
\`fields\`, forwarded on the page's origin) is measured once its ${SIMPLEJWT_TTL_S} s access token has expired at the
server. Target N + 1 = ${EXPIRY_REQUESTS + 1} with 0 requests lost: ${met(simpleJwt.serverRequests.max === EXPIRY_REQUESTS + 1 && simpleJwt.serverRequests.min === EXPIRY_REQUESTS + 1 && simpleJwt.failed.max === 0)} (median ${count(simpleJwt.serverRequests)}, requests not 200: ${count(simpleJwt.failed)}).
Without B10 the proxy sent ${proxyOff.serverRequests.median - EXPIRY_REQUESTS - 1} requests twice (median): the first 401 starts the refresh, and the
requests that reach the worker while it runs wait for it (B3) instead of going out with the old
token. The classic interceptor and axios-auth-refresh without deduplication sent ${of('classic interceptor').serverRequests.median} and
${of('axios-auth-refresh, deduplicateRefresh off').serverRequests.median}: all of the page's requests are in flight before the first 401 comes back, so each is
sent twice. axios-auth-refresh as its README sets it up sent ${of('axios-auth-refresh').serverRequests.median}, and handed ${of('axios-auth-refresh').failed.median} of the
${EXPIRY_REQUESTS} requests to the page as 401s: while its refresh runs it passes other 401s through
(\`deduplicateRefresh\`, on by default) instead of queueing them.`
}

function tabsSection({ tabs }: ExpiryBenchmarks): string {
  const proxy = tabs.filter((r) => r.contender === 'sw-token-proxy')
  const ok = proxy.every((r) => r.refreshCalls.max === 1 && r.reuseDetections.max === 0 && r.logouts.max === 0)
  return `## 3. Tabs × refresh-token rotation

1, 2, 4 and 8 tabs of one origin in one browser, ${PER_TAB} requests each, all sent at once the moment
the server lets the access token expire; the server rotates refresh tokens and, when a spent one comes
back, ends the session (RFC 9700 §4.14.2). Every contender learns of the expiry from the 401s here
(the proxy without B10: the hardest case for it). ${rounds} rounds; a median, and the range when rounds
differ. "Logouts" counts tabs that saw their session end; "requests not 200" those the user's code got
as errors.

| tabs | contender | refresh calls | reuse detections | logouts | requests not 200 |
|---|---|---|---|---|---|
${tabs.map((r) => `| ${r.tabs} | ${r.contender} | ${count(r.refreshCalls)} | ${count(r.reuseDetections)} | ${count(r.logouts)} | ${count(r.failed)} of ${r.tabs * PER_TAB} |`).join('\n')}

Target for the proxy, 1 / 0 / 0 at every tab count: ${met(ok)}.`
}

function sizeSection(sizes: SizeResult[], breakdowns: Breakdown[]): string {
  const worker = sizes[0]!
  const client = sizes.find((s) => s.name.includes('client'))!
  const written = sizes.find((s) => s.name.includes('written'))
  const fetchOnly = sizes.find((s) => s.name.includes('fetch-only'))
  const gap = (size: number, target: number) => (size <= target ? 'met' : `**missed** by ${size - target} bytes`)
  return `## 4. Size

What users ship, compressed as a server would (gzip level 9, brotli quality 11). The client is
bundled and minified the way an app's bundler would, with axios left out. The other packages' files
are read from their npm packages; @axa-fr's worker ships unminified, so it is also shown minified.

| file | bytes | gzip | brotli |
|---|---|---|---|
${sizes.map((s) => `| ${s.name} | ${s.bytes} | ${kb(s.gzip)} | ${kb(s.brotli)} |`).join('\n')}

Targets (gzip): the generic worker ≤ ${TARGETS.worker} bytes: ${gap(worker.gzip, TARGETS.worker)}; the worker file written for typical options ≤ ${TARGETS.writtenWorker} bytes: ${written ? gap(written.gzip, TARGETS.writtenWorker) : 'not measured in this run'}; client ≤ ${TARGETS.client} bytes:
${gap(client.gzip, TARGETS.client)}; a fetch-only app's startup ≤ ${TARGETS.fetchOnlyApp} bytes: ${fetchOnly ? gap(fetchOnly.gzip, TARGETS.fetchOnlyApp) : 'not measured in this run'}. The budgets \`test/unit/size.test.ts\` holds the build to are
${BUDGETS.worker}, ${BUDGETS.writtenWorker}, ${BUDGETS.client} and ${BUDGETS.fetchOnlyApp} bytes: today's sizes with a little room, so growth is a decision. The
fetch-only app is one API read with \`fetch\`, built by Vite for production as an app is built (its
entry a script of its page), with and without \`registerTokenProxy\` from \`sw-token-proxy\` (which
imports no axios); the row is the difference of what it loads at startup (its entry and the chunks
that imports). It includes Vite's helper for loading chunks (about 0.75 KB), which an app with no
\`import()\` of its own gets with the page module's; the next row is the same app when it already
loads a route with \`import()\`, where that helper is there either way.

What the bytes are (each module as rendered into the bundle, before minification):

${breakdowns
  .map(
    (b) => `| ${b.bundle}: module | bytes |
|---|---|
${b.modules.map((m) => `| ${m.module} | ${m.bytes} |`).join('\n')}`,
  )
  .join('\n\n')}

The generic worker's largest parts are the option checks (every option validated with an error
that names it, B14: its options come from its URL, so it checks them itself), the single-flight
coordinator, the request rebuilding for replays, and DPoP (\`sw/dpop.ts\`: keys, proofs and nonces;
a service worker cannot load code on demand). The file written for typical options has neither the
checks (Node made them when it wrote the file) nor DPoP, nor the Workbox plugin, which only a
worker of the app's own needs. The page module checks its own options at startup and loads the
worker options' checks (only with \`worker\`), the words for anything it refuses, and the code that
takes control of a page not yet controlled when they are needed. axios-auth-refresh is smaller
because it does less: one tab, one axios instance, no storage, no cross-tab coordination.`
}

/** The proxy against the floor of a controlled page, from the medians of the same-round ratios (runs that measured it). */
function floorNote(of: (name: PageLoadResult['contender']) => PageLoadResult | undefined): string {
  const pairs = [['running', 'sw-token-proxy, worker running', 'routes only, worker running'], ['stopped', 'sw-token-proxy, worker stopped', 'routes only, worker stopped']] as const
  const parts = pairs.flatMap(([state, proxy, floor]) => {
    const [p, f] = [of(proxy)?.ratio, of(floor)?.ratio]
    return p && f ? [`${state} ${(p.median / f.median).toFixed(3)}`] : []
  })
  return parts.length ? `\nThe proxy over the routes-only floor (the ratio of their medians above): ${parts.join(', ')}.` : ''
}

function pageLoadSection(loads: PageLoadResult[]): string {
  const of = (name: PageLoadResult['contender']) => loads.find((r) => r.contender === name)!
  const bare = of('no worker')
  // Runs saved before the paired ratios were measured: the ratio of the medians.
  const ratio = (r: PageLoadResult) => r.ratio ?? { median: r.load.median / bare.load.median, low: NaN, high: NaN }
  const interval = (r: PageLoadResult) => (r === bare || Number.isNaN(ratio(r).low) ? '' : `${ratio(r).low.toFixed(3)}–${ratio(r).high.toFixed(3)}`)
  const meets = (r: PageLoadResult) => ratio(r).median <= 1.02
  return `## 7. Page loads

A page with ${PAGE_SCRIPTS} classic scripts (each a file of its own, \`no-cors\` requests), loaded in Chromium
with no worker, and controlled by the standalone worker, running and stopped before each load;
navigation start to the load event. ${bare.load.count} rounds after one warm-up round; each round loads every
contender once, in an order drawn for that round. A load's ratio is taken against the no-worker load
of its own round (the machine's state moves more from one moment to the next than a worker costs),
and the table gives the median of those ratios over rounds with its 95 % interval (order statistics).
The worker's static routes (the Static Routing API) send the navigation and the scripts to the
network without a fetch event.

| contender | load (median) | min–max | / no worker, same round (median) | 95 % interval |
|---|---|---|---|---|
${loads.map((r) => `| ${r.contender} | ${ms(r.load.median)} ms${noisy(r.load)} | ${ms(r.load.min)}–${ms(r.load.max)} ms | ${r === bare ? '1.000' : ratio(r).median.toFixed(3)} | ${interval(r)} |`).join('\n')}

Target (Chromium): proxy / no worker ≤ 1.02: ${met(meets(of('sw-token-proxy, worker running')) && meets(of('sw-token-proxy, worker stopped')))}.${floorNote(of)}
"Without static routes" is the same worker file with \`InstallEvent.prototype.addRoutes\` hidden from
it, the baseline of what the routes save, measured in the same run. "Routes only" is the floor for
any worker that needs fetch events for its API: a worker with the same static routes and a fetch
listener that leaves every request to the browser; what a page controlled by it loses is the
browser's cost of a controlled page, not the proxy's.
Firefox and WebKit have no Static Routing API; their page loads are not measured here. A page whose
scripts are modules (\`cors\` requests) still sends them through the worker's fetch event.`
}

function memorySection(memory: MemoryResult[]): string {
  const proxy = memory.find((r) => r.contender === 'sw-token-proxy')!
  const steady = proxy.afterLoad.heap - proxy.afterTenth.heap <= 0.05 * proxy.afterTenth.heap
  const row = (name: string, s: MemorySample) => `${name}: ${kb(s.heap)} heap, ${kb(s.buffers)} buffers`
  return `## 5. Memory

The worker's V8 heap and its ArrayBuffer backing stores (CDP \`Runtime.getHeapUsage\` on the worker's
target, after \`HeapProfiler.collectGarbage\`), the bare pass-through worker beside the proxy: idle, after
the first tenth of ${memoryRequests} requests in bursts of 100, after all of them (for the proxy, the server
lets the access token expire before each burst: one refresh per burst), and while a 20 MB upload waits
for its answer.

| worker | idle | after ${memoryRequests / 10} requests | after ${memoryRequests} requests | refreshes | 20 MB upload in flight |
|---|---|---|---|---|---|
${memory
  .map(
    (r) =>
      `| ${r.contender} | ${kb(r.idle.heap)} + ${kb(r.idle.buffers)} | ${kb(r.afterTenth.heap)} + ${kb(r.afterTenth.buffers)} | ${kb(r.afterLoad.heap)} + ${kb(r.afterLoad.buffers)} | ${r.refreshes} | ${kb(r.uploadInFlight.heap)} + ${kb(r.uploadInFlight.buffers)} |`,
  )
  .join('\n')}

Cells are heap + buffers. Growth between the tenth and the end is what a leak would show:
${memory.map((r) => `${r.contender} ${((r.afterLoad.heap - r.afterTenth.heap) / 1024).toFixed(1)} KB`).join(', ')}. ${
    steady
      ? `The proxy's heap grows in the first tenth (its code compiled and optimized, the IndexedDB
connection) and then stays within 5 %.`
      : `**The proxy's heap grew by more than 5 % after the first tenth: a leak to look into.**`
  } The upload is larger than \`maxReplayBytes\`, so the proxy sends it once
without keeping it (B5): its bytes are held as a Blob by the browser, outside the worker's heap
(${memory.map((r) => row(r.contender, r.uploadInFlight)).join('; ')}).`
}

function enginesSection({ requests, rounds, engines, missing }: EngineRun): string {
  const of = (e: EngineRun['engines'][number], name: string) => e.contenders.find((c) => c.contender === name)!
  // A ratio is marked when either side's rounds disagree (coefficient of variation above 0.1).
  const r = (a: Summary, b: Summary) => `${ratio(a.median, b.median)}${a.cv > 0.1 || b.cv > 0.1 ? ' (noisy)' : ''}`
  const rows = engines.map((e) => {
    const [bare, proxy, dpop, none] = ['bare worker', 'sw-token-proxy', 'sw-token-proxy + DPoP', 'no worker'].map((name) => of(e, name))
    return `| ${e.version} | ${ms3(none!.sequentialMean.median)} | ${ms3(bare!.sequentialMean.median)} | ${ms3(proxy!.sequentialMean.median)} | ${r(proxy!.sequentialMean, bare!.sequentialMean)} | ${r(proxy!.concurrentTotal, bare!.concurrentTotal)} | ${r(dpop!.sequentialMean, bare!.sequentialMean)} | ${r(dpop!.concurrentTotal, bare!.concurrentTotal)} |`
  })
  // DPoP's floor: the same proof signed in the page, as libraries without a worker do it (absent from runs saved before it).
  const floors = engines.flatMap((e) => {
    const [dpop, page, pageBare, none] = ['sw-token-proxy + DPoP', 'DPoP signed in the page', 'DPoP signed in the page, bare worker', 'no worker'].map((name) => e.contenders.find((c) => c.contender === name))
    if (!dpop || !page || !pageBare || !none) return []
    const met = dpop.sequentialMean.median <= 1.05 * pageBare.sequentialMean.median
    const seq = (c: typeof dpop) => c.sequentialMean.median
    return [
      `| ${e.version} | ${ms3(seq(page))} | ${ms3(seq(pageBare))} | ${ms3(seq(dpop))} | ${ms3(seq(page) - seq(none))} | ${ms3(seq(dpop) - seq(pageBare))} | ${r(dpop.sequentialMean, pageBare.sequentialMean)} | ${r(dpop.concurrentTotal, pageBare.concurrentTotal)} | ${met ? 'met' : '**missed**'} |`,
    ]
  })
  return `## 6. Every engine

Benchmark 1's four contenders in each engine the suite runs in, measured the same way in all of
them: ${requests} sequential and ${requests} concurrent requests, ${rounds} rounds (after one uncounted warm-up each).
Firefox and WebKit give \`performance.now()\` in whole milliseconds, so no single latency is used: a
round's sequential figure is its total time divided by its requests (the mean), its concurrent
figure the time until all ${requests} settled; the table gives the medians over rounds. Ratios are
against the bare worker in the same engine and the same run; engines are not compared with each
other (WebKit runs under Xvfb through WebDriver, Chromium and Firefox headless). "Noisy" marks a
ratio either of whose series has rounds that disagree (coefficient of variation above 0.1); the
spreads are in \`bench/results.json\`.

| engine | no worker, ms per request | bare worker | proxy | proxy / bare, sequential | concurrent | with DPoP / bare, sequential | concurrent |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}
${
  floors.length
    ? `
DPoP against its floor: the same proof (ECDSA P-256, WebCrypto, a non-extractable key) signed by
the page itself for each request, as auth0-spa-js (\`useDpop\`) and oidc-client-ts (\`dpop\`) do,
with no worker and through the bare worker; the page keeps the server's nonce as the proxy does, and
the token is bound to the page's key (which is why any script of the page can have it signed).
Target: the proxy with DPoP at most 1.05× the page-signed proof through the bare worker, sequential.
"DPoP itself" is what a proof costs end to end where it is cheapest (signed in the page, no worker,
less the plain request with no worker: the signing, the hash, the server's check); "the proxy's
share" is what the proxy with DPoP takes beyond the page-signed proof through the bare worker.

| engine | signed in the page, ms per request | the same through the bare worker | proxy with DPoP | DPoP itself | the proxy's share | proxy with DPoP / page-signed through bare worker, sequential | concurrent | target ≤ 1.05 |
|---|---|---|---|---|---|---|---|---|
${floors.join('\n')}
`
    : ''
}${missing.length ? `\nNot measured: ${missing.join('; ')}.\n` : ''}`
}

function page(r: Results): string {
  const { machine } = r
  return `# Benchmarks

Generated by \`npm run bench\` on ${machine.date}; every number below comes from that one run.
Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} memory; Node ${machine.node}; ${machine.browser}.
The raw numbers are in \`bench/results.json\`.

${overheadSection(r.overhead, r.profile)}

${expirySection(r.expiry)}

${tabsSection(r.expiry)}

${sizeSection(r.sizes, r.breakdowns)}

${memorySection(r.memory)}

${r.engines ? enginesSection(r.engines) : ''}

${r.pageLoads ? pageLoadSection(r.pageLoads) : ''}
`
}

const RESULTS = resolve(ROOT, 'bench/results.json')

async function measure(): Promise<void> {
  const browser = await chromium.launch(launchOptions)
  try {
    const machine = {
      date: new Date().toISOString().slice(0, 10),
      cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
      cores: String(cpus().length),
      memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      browser: `Chromium ${browser.version()}`,
    }
    console.log('benchmark 1: per-request overhead…')
    const overhead = await measureOverhead(browser, { requests, rounds })
    const profile = await profileWorkers(browser, { requests })
    console.log('benchmarks 2 and 3: expiry cost, tabs × rotation…')
    const expiry = await measureExpiryBenchmarks(browser, { requests: EXPIRY_REQUESTS, perTab: PER_TAB, rounds })
    console.log('benchmark 4: size…')
    const { sizes, breakdowns } = await measureSizes()
    console.log('benchmark 5: memory…')
    const memory = await measureMemory(browser, { requests: memoryRequests })
    console.log('benchmark 6: every engine…')
    const engines = await measureEngines()
    console.log('benchmark 7: page loads…')
    const pageLoads = await measurePageLoads(browser)
    const results: Results = { machine, overhead, profile, expiry, sizes, breakdowns, memory, engines, pageLoads }
    await writeFile(RESULTS, `${JSON.stringify({ requests, rounds, memoryRequests, ...results }, null, 2)}\n`)
    await writeFile(resolve(ROOT, 'BENCHMARKS.md'), page(results))
    console.log('wrote BENCHMARKS.md and bench/results.json')
  } finally {
    await browser.close()
  }
}

/**
 * `--only=expiry,size,engines,pageload` (any of them; `--engines-only` is `--only=engines`): those benchmarks
 * alone, into the saved run. Each has its baseline inside itself (the valid burst and the refresh
 * round trip; none, sizes are exact; the bare worker of each engine), so it stands beside the others.
 */
const only = process.argv.includes('--engines-only') ? ['engines'] : process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',')
if (only) {
  const saved = JSON.parse(readFileSync(RESULTS, 'utf8')) as Results & { requests: number; rounds: number; memoryRequests?: number }
  ;({ requests, rounds } = saved)
  memoryRequests = saved.memoryRequests ?? memoryRequests
  for (const part of only) if (!['expiry', 'size', 'engines', 'pageload'].includes(part)) throw new Error(`bench: --only takes expiry, size, engines, pageload; got '${part}'`)
  if (only.includes('expiry') || only.includes('pageload')) {
    const browser = await chromium.launch(launchOptions)
    try {
      if (only.includes('expiry')) saved.expiry = await measureExpiryBenchmarks(browser, { requests: EXPIRY_REQUESTS, perTab: PER_TAB, rounds })
      if (only.includes('pageload')) saved.pageLoads = await measurePageLoads(browser)
    } finally {
      await browser.close()
    }
  }
  if (only.includes('size')) Object.assign(saved, await measureSizes())
  if (only.includes('engines')) saved.engines = await measureEngines()
  await writeFile(RESULTS, `${JSON.stringify(saved, null, 2)}\n`)
  await writeFile(resolve(ROOT, 'BENCHMARKS.md'), page(saved))
  console.log(`wrote ${only.join(', ')} into BENCHMARKS.md and bench/results.json`)
} else if (process.argv.includes('--page-only')) {
  const saved = JSON.parse(readFileSync(RESULTS, 'utf8')) as Results & { requests: number; rounds: number; memoryRequests?: number }
  ;({ requests, rounds } = saved)
  memoryRequests = saved.memoryRequests ?? memoryRequests
  await writeFile(resolve(ROOT, 'BENCHMARKS.md'), page(saved))
  console.log('wrote BENCHMARKS.md from bench/results.json')
} else {
  await measure()
}
