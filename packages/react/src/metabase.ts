'use client'

import { useEffect, useRef, useState } from 'react'
import { userKey } from './user'
import type { EmbedUser } from './user'
import { createTokenStore, fetchTokenFrom, jwtClaims } from './token-store'
import type { TokenFetcher, TokenStore } from './token-store'

export type { EmbedUser } from './user'

/**
 * How long after its `iat` Metabase still accepts a JWT for sign-in, in seconds: a cached token
 * older than this would be refused, so none is reused past it.
 */
const METABASE_LOGIN_WINDOW = 180

/**
 * Options of {@link createFetchRequestToken}.
 *
 * @example
 * ```ts
 * const options: FetchRequestTokenOptions = { tokenUrl: '/t/acme/sso/metabase/token' }
 * ```
 */
export type FetchRequestTokenOptions =
  | {
      /** Your `@sso/middleware` endpoint, POSTed with same-origin cookies (default: `'/sso/metabase/token'`). */
      tokenUrl?: string
      /** Replaces the default POST to `tokenUrl`; resolve to the JWT or `{ token, expiresAt }` (default: none). */
      fetchToken?: TokenFetcher
      /** Give up on a token request after this long (default: `10000`). */
      timeoutMs?: number
      /** Fetch a new token this long before the cached one expires (default: `30000`). */
      refreshLeewayMs?: number
      store?: undefined
    }
  | {
      /** A token store your app created (`@sso/react/token-store`); its fetcher must resolve to the JWT. */
      store: TokenStore
      tokenUrl?: never
      fetchToken?: never
      timeoutMs?: never
      refreshLeewayMs?: never
    }

/**
 * The function Metabase's embedding SDK calls for a JWT (`authConfig.fetchRequestToken`), with
 * `clear()` for logout and user switches.
 */
export type MetabaseFetchRequestToken = (() => Promise<{ jwt: string }>) & {
  /** Drops the cached JWT and cancels a request in flight. */
  clear(): void
}

/**
 * A `fetchRequestToken` for Metabase's embedding SDK (`defineMetabaseAuthConfig`): POSTs to your
 * `@sso/middleware` endpoint (`POST /sso/metabase/token`, which answers `{ jwt, expiresAt }`)
 * with same-origin cookies, since the endpoint is POST-only and the SDK's own default is a GET,
 * and resolves to `{ jwt }` as the SDK expects. Concurrent calls share one request, a JWT is
 * reused while Metabase still accepts it (at most 180 s after its `iat`, less `refreshLeewayMs`),
 * a hung request times out, and failures reject with an `SsoError` carrying the server's code.
 * The SDK's `url` argument (older SDKs pass one) is ignored: the token goes only to `tokenUrl`.
 * Framework-free; call `clear()` on logout, or use {@link useFetchRequestToken}.
 *
 * @example
 * ```ts
 * const fetchRequestToken = createFetchRequestToken()
 * const authConfig = defineMetabaseAuthConfig({ metabaseInstanceUrl, fetchRequestToken })
 * logoutButton.onclick = () => fetchRequestToken.clear()
 * ```
 */
export function createFetchRequestToken(
  options: FetchRequestTokenOptions = {},
): MetabaseFetchRequestToken {
  const store =
    options.store ??
    createTokenStore({
      ...options,
      fetchToken: async (context) => {
        const result = await (
          options.fetchToken ?? fetchTokenFrom(options.tokenUrl ?? '/sso/metabase/token', 'jwt')
        )(context)
        if (typeof result === 'string') return result
        const { iat } = jwtClaims(result.token) as { iat: number }
        // No reuse past Metabase's sign-in window, even for a JWT that expires later.
        const expiresAt = Math.min(result.expiresAt ?? 1 / 0, iat + METABASE_LOGIN_WINDOW)
        return { token: result.token, expiresAt }
      },
    })
  return Object.assign(() => store.getToken().then((jwt) => ({ jwt })), { clear: store.clear })
}

/**
 * {@link createFetchRequestToken} for a React app: one stable function for the component's
 * lifetime (so `MetabaseProvider` does not re-render), cleared when `user` logs out or switches.
 * Options are read once.
 *
 * @example
 * ```tsx
 * function Analytics({ user }: { user: { id: string } | null }) {
 *   const fetchRequestToken = useFetchRequestToken({ user })
 *   const authConfig = useMemo(
 *     () => defineMetabaseAuthConfig({ metabaseInstanceUrl, fetchRequestToken }),
 *     [fetchRequestToken],
 *   )
 *   return <MetabaseProvider authConfig={authConfig}>…</MetabaseProvider>
 * }
 * ```
 */
export function useFetchRequestToken(
  options: FetchRequestTokenOptions & { user: EmbedUser },
): MetabaseFetchRequestToken {
  const [fetchRequestToken] = useState(() => createFetchRequestToken(options))
  const key = userKey(options.user)
  const lastKey = useRef(key)
  useEffect(() => {
    if (lastKey.current !== key) {
      lastKey.current = key
      fetchRequestToken.clear()
    }
  }, [fetchRequestToken, key])
  return fetchRequestToken
}
