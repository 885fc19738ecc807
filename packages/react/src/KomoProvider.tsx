import { createElement, useEffect, useMemo, useRef, useState } from 'react'
import type { ReactNode } from 'react'
import { KomoContext } from './context'
import type { EmbedUser } from './user'
import type { KomoContextValue, KomoEmbed } from './context'
import { SsoError } from './errors'
import { createTokenStore, fetchTokenFrom } from './token-store'
import type { TokenFetcher, TokenStore } from './token-store'

export type { KomoEmbed } from './context'

/**
 * Who is logged in: an object with an `id`, an id string, or `null`/`undefined` for no one.
 *
 * @example
 * ```ts
 * const user: KomoUser = { id: 'u_123', email: 'ada@example.com' }
 * ```
 */
export type KomoUser = EmbedUser

/**
 * Props of {@link KomoProvider}: `tokenUrl`, `fetchToken`, or both (then `fetchToken` is used);
 * or a `store` your app created, which the provider then uses instead of building its own.
 *
 * @example
 * ```tsx
 * const props: KomoProviderProps = { tokenUrl: '/sso/komo/token', user, hubHost: 'acme.komo.site' }
 * const shared: KomoProviderProps = { store: createTokenStore({ fetchToken }), user }
 * ```
 */
export type KomoProviderProps = {
  /** The logged-in user; a change to no one or someone else drops the token and calls `forgetUser`. */
  user: KomoUser
  /**
   * Komo site host (`acme.komo.site`, loaded over https) or a full origin used as-is
   * (`http://127.0.0.1:4100` for a local simulator). Without it, only the queue is installed and
   * the page loads embed.js itself (default: none).
   */
  hubHost?: string
  /** An embed object to use instead of `window.komoEmbed`; nothing is installed (default: none). */
  embed?: KomoEmbed
  /** Called with each failed token request, e.g. to log it (default: none). */
  onError?: (error: SsoError) => void
  children?: ReactNode
} & (
  | ({
      /** Your `@sso/middleware` token endpoint, POSTed with same-origin cookies. */
      tokenUrl: string
      /** Replaces the default POST to `tokenUrl`, e.g. to add a CSRF header (default: none). */
      fetchToken?: TokenFetcher
    } & OwnStoreOptions)
  | ({ tokenUrl?: string; fetchToken: TokenFetcher } & OwnStoreOptions)
  | {
      /**
       * A token store your app created (`@sso/react/token-store`), e.g. to share one cache with
       * code outside React; read once. The provider uses it as it is: its own `fetchToken`,
       * `timeoutMs` and `refreshLeewayMs` apply, and it is cleared when `user` changes.
       */
      store: TokenStore
      tokenUrl?: never
      fetchToken?: never
      timeoutMs?: never
      refreshLeewayMs?: never
    }
)

/** Options for the store the provider builds when it is given no `store`. */
interface OwnStoreOptions {
  /** Give up on a token request after this long; read once (default: `10000`). */
  timeoutMs?: number
  /** Fetch a new token this long before the cached one expires; read once (default: `30000`). */
  refreshLeewayMs?: number
  store?: undefined
}

/** Komo's documented loader: a queueing `window.komoEmbed` and the async embed.js script. */
function installKomo(hubHost: string | undefined): KomoEmbed {
  const page = window as unknown as { komoEmbed?: Record<PropertyKey, unknown> }
  if (page.komoEmbed) return page.komoEmbed as unknown as KomoEmbed
  const target: Record<PropertyKey, unknown> = { q: [] }
  const proxy = new Proxy(target, {
    get(_, key) {
      const live = page.komoEmbed
      // embed.js may replace window.komoEmbed; this proxy (held by React state) then forwards.
      if (live && live !== proxy) {
        const value = live[key]
        return typeof value === 'function' ? value.bind(live) : value
      }
      // Symbols and `then` must stay undefined, or awaiting the proxy would queue a call.
      return key in target || typeof key === 'symbol' || key === 'then'
        ? target[key]
        : (...args: unknown[]) => (target.q as unknown[][]).push([key, ...args])
    },
  })
  page.komoEmbed = proxy
  if (hubHost) {
    const script = document.createElement('script')
    script.async = true
    const origin = /^https?:/i.test(hubHost) ? hubHost : `https://${hubHost}`
    script.src = new URL('/assets/embed/embed.js', origin).href
    document.head.appendChild(script)
  }
  return proxy as unknown as KomoEmbed
}

/**
 * Connects Komo's Embed SDK to your session: installs Komo's loader once (unless the page already
 * has `window.komoEmbed`, or an `embed` is given), keeps one token cache for the hooks below (or
 * uses the `store` you give it), and signs the user out of Komo when they log out or switch. Renders nothing itself and touches no
 * browser API during render, so it is safe in server rendering and StrictMode.
 *
 * @example
 * ```tsx
 * <KomoProvider tokenUrl="/sso/komo/token" user={user} hubHost="acme.komo.site">
 *   <App />
 * </KomoProvider>
 * ```
 */
export function KomoProvider(props: KomoProviderProps): ReactNode {
  if (!props.store && !props.tokenUrl && !props.fetchToken) {
    throw new SsoError('ERR_SSO_CONFIG', 'KomoProvider needs `tokenUrl`, `fetchToken` or `store`')
  }
  const latest = useRef(props)
  const [shared] = useState(() => {
    // The app's own store keeps its own fetcher: no hook handler can be slotted into it.
    const handlerRef: KomoContextValue['handlerRef'] = props.store
      ? undefined
      : { current: undefined }
    const store =
      props.store ??
      createTokenStore({
        // timeoutMs and refreshLeewayMs; the store reads no other prop.
        ...props,
        // Resolved per request, so a new handler or fetchToken prop applies without a new cache.
        fetchToken: (context) => {
          const { fetchToken, tokenUrl } = latest.current
          return (handlerRef?.current ?? fetchToken ?? fetchTokenFrom(tokenUrl!))(context)
        },
      })
    const getEmbed = () => latest.current.embed ?? installKomo(latest.current.hubHost)
    return {
      store,
      handlerRef,
      getEmbed,
      api: {
        forgetUser() {
          store.clear()
          getEmbed().forgetUser()
        },
        setAuthToken: (token: string) => getEmbed().setAuthToken(token),
      },
    }
  })
  const [embed, setEmbed] = useState<KomoEmbed | null>(null)
  const { user } = props
  // An object's id, else the string itself (user.ts's userKey, inlined: it saves 10 B min+gz here).
  const key = (user as { id?: string | number } | null)?.id ?? user
  const lastUserKey = useRef(key)

  useEffect(() => {
    latest.current = props
  })

  // getEmbed reads the `embed` prop through `latest`; the dependency re-runs it when that changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above
  useEffect(() => {
    setEmbed(shared.getEmbed())
  }, [shared, props.embed])

  useEffect(() => {
    const previous = lastUserKey.current
    if (previous !== key) {
      lastUserKey.current = key
      if (previous != null) shared.api.forgetUser()
      else shared.store.clear()
    }
  }, [shared, key])

  useEffect(
    () =>
      shared.store.subscribe(() => {
        const { error } = shared.store.getSnapshot()
        if (error) latest.current.onError?.(error)
      }),
    [shared],
  )

  const value = useMemo(() => ({ ...shared, api: { ...shared.api, embed } }), [shared, embed])
  return createElement(KomoContext.Provider, { value }, props.children)
}
