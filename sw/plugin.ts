import type { WorkboxPlugin } from 'workbox-core/types.js'
import type { NormalizedOptions } from '../common/options.js'
import type { Tokens } from '../common/tokens.js'
import type { SessionCaches } from './caches.js'
import { wantsNonce, type Dpop } from './dpop.js'
import type { Matcher } from './match.js'
import { apiAnswers, failedRecovery, NoToken, replayTokens, sender, tokensToSend, withToken } from './request.js'
import type { Coordinators } from './resources.js'

const BODYLESS = new Set(['GET', 'HEAD'])

/** What the plugin keeps of one request between its callbacks (Workbox's per-plugin `state`). */
interface SentState {
  tokens?: Tokens
  /** `refreshesDone` when it was sent: a refresh failing after that is its answer too. */
  since?: number
  /** The session it was sent in (`SessionCaches.epoch`). */
  session?: number
  /** A resource's token that could not be minted: the request was never sent. */
  noToken?: NoToken
}

/**
 * The token proxy as a Workbox plugin, for the app's own strategies
 * (`new NetworkFirst({ plugins: [proxy.plugin] })`): an API request gets the
 * token (and a DPoP proof) before the strategy's fetch, refreshed first near
 * its expiry (B10); a 401 from the API goes through the one shared refresh
 * and one replay (B3 to B6), or the 503 of B8 when the refresh is
 * unavailable. Requests outside the allowlist pass untouched (B2). What the
 * strategy caches is keyed by the request as the page made it (never by a
 * token); a 401 or 403 is never cached, nor an answer of a session that
 * ended while it was on its way, even one that ends during the write (B17);
 * otherwise, as Workbox does without plugins, only a 200.
 */
export function createPlugin(
  coordinators: Coordinators,
  { expiryLeeway }: NormalizedOptions,
  matcher: Matcher,
  sessions: SessionCaches,
  dpop?: Dpop,
): WorkboxPlugin {
  const bodyOf = async (request: Request) => (BODYLESS.has(request.method) ? undefined : request.clone().blob())
  return {
    async requestWillFetch({ request, state = {} }) {
      const sent = state as SentState
      sent.session = sessions.epoch
      const url = new URL(request.url)
      if (matcher.route(url, request) !== 'api') return request
      const coordinator = coordinators.for(url)
      sent.since = coordinator.refreshesDone
      // A resource's token that could not be minted throws NoToken: never sent without it (see handlerDidError).
      const tokens = await tokensToSend(coordinator, expiryLeeway).catch((error: unknown) => {
        if (error instanceof NoToken) sent.noToken = error
        throw error
      })
      if (!tokens) return request
      sent.tokens = tokens
      const proof = tokens.tokenType === 'DPoP' ? await dpop?.proof(request.method, request.url, { accessToken: tokens.accessToken }) : undefined
      return withToken(request, tokens, await bodyOf(request), request.signal, proof)
    },

    async fetchDidSucceed({ request, response, state = {} }) {
      const { tokens, since } = state as SentState
      const url = new URL(request.url)
      const isApiAnswer = apiAnswers(matcher, url)
      if (!tokens || !isApiAnswer(response)) return response
      // The body is copied only for a second send, not for every answer.
      const send = async (sendWith: Tokens) => sender(request, await bodyOf(request), request.signal, { dpop, isApiAnswer, replayable: true })(sendWith)
      if (tokens.tokenType === 'DPoP' && dpop) {
        dpop.keepNonce(response, response.url || request.url, true)
        // The API's request for its nonce (RFC 9449 §9): once more, with a new proof. Not a refresh.
        if (wantsNonce(response)) return send(tokens)
      }
      if (response.status !== 401) return response
      const coordinator = coordinators.for(url)
      const next = await coordinator.recover(tokens.accessToken, 'unauthorized', since)
      if (next.kind === 'replay') {
        const replayWith = await replayTokens(coordinator, next.tokens, expiryLeeway)
        return replayWith instanceof Response ? replayWith : replayWith ? send(replayWith) : response
      }
      if (next.kind === 'unavailable' || next.kind === 'refused') return failedRecovery(next)
      return response
    },

    // The strategy found nothing in its cache either: the page gets the worker's answer for a token it could not have.
    async handlerDidError({ state = {} }) {
      return (state as SentState).noToken?.answer
    },

    async cacheWillUpdate({ response, state = {} }) {
      if (response.status !== 200 || (state as SentState).session !== sessions.epoch) return null
      return response
    },

    // A session can end between cacheWillUpdate and the write: the answer written then is taken out again.
    async cacheDidUpdate({ cacheName, request, state = {} }) {
      if ((state as SentState).session !== sessions.epoch) await (await caches.open(cacheName)).delete(request)
    },
  }
}
