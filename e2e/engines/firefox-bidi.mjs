#!/usr/bin/env node
/**
 * Stock Firefox for Playwright, as `executablePath`: starts Firefox with the
 * arguments Playwright gives and stands between the two on WebDriver BiDi.
 *
 * Why: Playwright drives stock Firefox over BiDi (`channel: 'moz-firefox'`),
 * but every new context sends `emulation.setMediaFeaturesOverride`, which
 * Firefox ESR 153 does not know, so `newContext()` fails. That command only
 * emulates `prefers-color-scheme`, which no spec uses: this relay answers it
 * itself with success and passes every other message through unchanged.
 *
 * With SW_TOKEN_PROXY_WORKER_LOG set, it also writes there, a JSON line each,
 * when a service worker starts and stops (BiDi `script.realmCreated` and
 * `script.realmDestroyed` of a service-worker realm, which Playwright
 * subscribes to but does not report): the suite's one event that says
 * Firefox stopped an idle worker.
 *
 * The real browser is FIREFOX_PATH, else /usr/bin/firefox-esr, else firefox.
 */
import { spawn } from 'node:child_process'
import { appendFileSync, existsSync } from 'node:fs'
import { WebSocket, WebSocketServer } from 'ws'

const UNKNOWN_TO_ESR = new Set(['emulation.setMediaFeaturesOverride'])
const binary = process.env.FIREFOX_PATH || (existsSync('/usr/bin/firefox-esr') ? '/usr/bin/firefox-esr' : 'firefox')

const firefox = spawn(binary, process.argv.slice(2), { stdio: ['inherit', 'inherit', 'pipe'] })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => firefox.kill(signal))
firefox.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))

let relayed = false
let pending = ''
firefox.stderr.on('data', (chunk) => {
  if (relayed) return void process.stderr.write(chunk)
  pending += chunk
  let newline
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline + 1)
    pending = pending.slice(newline + 1)
    const listening = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(line)
    if (!listening) {
      process.stderr.write(line)
      continue
    }
    relayed = true
    relay(listening[1])
    process.stderr.write(pending)
    pending = ''
    return
  }
})

const WORKER_LOG = process.env.SW_TOKEN_PROXY_WORKER_LOG
/** Service-worker realm → its script URL, while it runs. */
const workers = new Map()

function noteWorker({ method, params }) {
  if (method === 'script.realmCreated' && params.type === 'service-worker') {
    workers.set(params.realm, params.origin)
    appendFileSync(WORKER_LOG, `${JSON.stringify({ event: 'started', realm: params.realm, script: params.origin })}\n`)
  } else if (method === 'script.realmDestroyed' && workers.has(params.realm)) {
    appendFileSync(WORKER_LOG, `${JSON.stringify({ event: 'stopped', realm: params.realm, script: workers.get(params.realm) })}\n`)
    workers.delete(params.realm)
  }
}

/** Listens on another loopback port and tells Playwright that one, as Firefox would have told its own. */
function relay(upstream) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('listening', () => {
    process.stderr.write(`WebDriver BiDi listening on ws://127.0.0.1:${server.address().port}\n`)
  })
  server.on('connection', (client, request) => {
    const browser = new WebSocket(upstream + request.url)
    const early = []
    browser.on('open', () => {
      for (const message of early.splice(0)) browser.send(message)
    })
    client.on('message', (data) => {
      const text = data.toString()
      const message = JSON.parse(text)
      if (UNKNOWN_TO_ESR.has(message.method)) {
        client.send(JSON.stringify({ type: 'success', id: message.id, result: {} }))
        return
      }
      if (browser.readyState === WebSocket.OPEN) browser.send(text)
      else early.push(text)
    })
    browser.on('message', (data) => {
      const text = data.toString()
      if (WORKER_LOG && text.includes('"script.realm')) noteWorker(JSON.parse(text))
      client.send(text)
    })
    browser.on('close', () => client.close())
    client.on('close', () => browser.close())
    browser.on('error', () => client.close())
    client.on('error', () => browser.close())
  })
}
