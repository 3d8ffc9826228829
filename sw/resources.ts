import type { NormalizedOptions, Resource } from '../common/options.js'
import type { RefreshReason } from '../common/protocol.js'
import type { Tokens } from '../common/tokens.js'
import { createCoordinator, type Coordinator, type CoordinatorDeps } from './coordinator.js'
import type { Matcher } from './match.js'
import type { RefreshResult } from './refresh.js'
import type { TokenStore } from './store.js'

/**
 * The access token of a resource that has none yet: expired, so the first
 * request to that API mints one before it is sent, and never sent itself
 * (see `tokensToSend`).
 */
export const UNMINTED = ''

/**
 * The session as one resource's coordinator sees it (RFC 8707, B19): that
 * resource's access token under the session's one refresh token. Writing
 * stores the resource's new token beside the others, and the rotated refresh
 * token for all of them; clearing ends the whole session.
 */
export function resourceStore(store: TokenStore, indicator: string): TokenStore {
  const project = (tokens: Tokens | null): Tokens | null => {
    if (!tokens) return null
    const own = tokens.resources?.[indicator]
    return { ...(own ?? { accessToken: UNMINTED, expiresAt: 0 }), refreshToken: tokens.refreshToken }
  }
  return {
    get generation() {
      return store.generation
    },
    read: async () => project(await store.read()),
    reload: async () => project(await store.reload()),
    async write({ accessToken, expiresAt, obtainedAt, tokenType, refreshToken }) {
      const session = await store.read()
      // Ended meanwhile: a grant's answer does not bring it back.
      if (!session) return
      const minted = { accessToken, expiresAt, obtainedAt: obtainedAt ?? Date.now(), tokenType }
      await store.write({ ...session, refreshToken: refreshToken ?? session.refreshToken, resources: { ...session.resources, [indicator]: minted } })
    },
    clear: () => store.clear(),
  }
}

/** The session as the login token's coordinator sees it: its refreshes keep the resources' tokens. */
export function loginTokenStore(store: TokenStore): TokenStore {
  return {
    get generation() {
      return store.generation
    },
    read: () => store.read(),
    reload: () => store.reload(),
    async write(tokens) {
      const resources = (await store.read())?.resources
      await store.write(resources ? { ...tokens, resources } : tokens)
    },
    clear: () => store.clear(),
  }
}

/** What a refresh of one resource's token needs of the worker. */
export interface ResourceDeps extends Omit<CoordinatorDeps, 'store' | 'refresh' | 'onRefreshed'> {
  /** One grant at the token endpoint; `resource` names the API it is for, absent for the login's token. */
  refresh(tokens: Tokens, previous: Tokens, resource?: Resource): Promise<RefreshResult>
  onRefreshed(reason: RefreshReason, resource?: string): Promise<void> | void
}

/**
 * One coordinator per token: the login's, and one for each resource, all
 * over the one stored session and the one refresh lock, so that their
 * grants run one at a time and each presents the refresh token the last one
 * rotated. `for(url)` is the coordinator whose token an API request gets.
 */
export function createCoordinators(store: TokenStore, { resources }: NormalizedOptions, matcher: Matcher, deps: ResourceDeps) {
  const login = createCoordinator({
    ...deps,
    store: resources.length ? loginTokenStore(store) : store,
    refresh: (tokens, previous) => deps.refresh(tokens, previous),
    onRefreshed: (reason) => deps.onRefreshed(reason),
  })
  const byIndicator = new Map<string, Coordinator>()
  for (const resource of resources) {
    if (byIndicator.has(resource.indicator)) continue
    byIndicator.set(
      resource.indicator,
      createCoordinator({
        ...deps,
        store: resourceStore(store, resource.indicator),
        refresh: (tokens, previous) => deps.refresh(tokens, previous, resource),
        onRefreshed: (reason) => deps.onRefreshed(reason, resource.indicator),
      }),
    )
  }
  return {
    login,
    for(url: URL): Coordinator {
      const resource = matcher.resourceOf(url)
      return resource ? byIndicator.get(resource.indicator)! : login
    },
  }
}

export type Coordinators = ReturnType<typeof createCoordinators>
