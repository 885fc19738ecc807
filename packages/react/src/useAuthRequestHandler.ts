import { useEffect, useSyncExternalStore } from 'react'
import { useKomoContext } from './context'
import type { KomoEmbed } from './context'
import { SsoError } from './errors'
import type { TokenFetcher, TokenSnapshot } from './token-store'

// Per embed, the handler last given to it: StrictMode's second effect run must not register again.
const registered = new WeakMap<KomoEmbed, () => Promise<string>>()

/**
 * Registers a token handler with `komoEmbed.setAuthRequestHandler`, so Komo signs the user in
 * when it needs one. Without `handler`, the provider's `fetchToken` or a POST to its `tokenUrl`
 * is used (or, with a provider `store`, that store's own fetcher; a `handler` there is a
 * configuration error, since the store's fetcher is the app's). Either way the handler is wrapped: concurrent calls share one request, a token is
 * reused until shortly before it expires, a hung request times out, and failures reject with an
 * `SsoError`. Returns the state of the last request for the UI.
 *
 * @example
 * ```tsx
 * function KomoCard() {
 *   const { status, error } = useAuthRequestHandler()
 *   if (error?.code === 'ERR_SSO_UNAUTHENTICATED') return <a href="/login">Log in</a>
 *   return <div data-komo-card="spring-quiz" aria-busy={status === 'loading'} />
 * }
 * ```
 */
export function useAuthRequestHandler(handler?: TokenFetcher): TokenSnapshot {
  const { store, api, getEmbed, handlerRef } = useKomoContext('useAuthRequestHandler')
  if (handler && !handlerRef) {
    throw new SsoError(
      'ERR_SSO_CONFIG',
      'useAuthRequestHandler(handler) needs a KomoProvider without `store`',
    )
  }

  useEffect(() => {
    if (handlerRef) handlerRef.current = handler
  })

  // `embed` is a dependency so a new `embed` prop gets the handler too.
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above
  useEffect(() => {
    const target = getEmbed()
    // getToken is a stable closure, so it is both the handler and its identity.
    if (registered.get(target) !== store.getToken) {
      registered.set(target, store.getToken)
      target.setAuthRequestHandler(store.getToken)
    }
  }, [getEmbed, store, api.embed])

  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot)
}
