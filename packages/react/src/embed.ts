'use client'

import { useEffect, useRef, useState, useSyncExternalStore } from 'react'
import type { SsoError } from './errors'
import { createTokenStore } from './token-store'
import type { TokenFetcher, TokenSnapshot, TokenStore } from './token-store'
import { userKey } from './user'
import type { EmbedUser } from './user'

// What the push bindings (Intercom, Canny, Featurebase) share: the vendor's queueing loader, and
// one hook that gets a token from the store, hands it to the SDK, hands it a fresh one before
// it expires, and takes it back when the user changes or leaves. Internal: each binding's own
// entry re-exports the types it documents.

export type { EmbedUser } from './user'
export { userKey } from './user'

/**
 * Options every push binding takes: where its token comes from and who is logged in. Either
 * `tokenUrl`/`fetchToken` (the binding builds its own store), or a `store` your app created.
 *
 * @example
 * ```ts
 * const options: TokenBindingOptions = { user, tokenUrl: '/t/acme/sso/intercom/token' }
 * ```
 */
export type TokenBindingOptions = {
  /** The logged-in user; a change to no one or someone else takes the token back from the SDK. */
  user: EmbedUser
  /** Called with each failed token request, e.g. to log it (default: none). */
  onError?: (error: SsoError) => void
} & (
  | {
      /** Your `@sso/middleware` token endpoint, POSTed with same-origin cookies (default: the vendor's route under `/sso`). */
      tokenUrl?: string
      /** Replaces the default POST to `tokenUrl`, e.g. to add a CSRF header (default: none). */
      fetchToken?: TokenFetcher
      /** Give up on a token request after this long; read once (default: `10000`). */
      timeoutMs?: number
      /** Fetch a new token this long before the cached one expires; read once (default: `30000`). */
      refreshLeewayMs?: number
      store?: undefined
    }
  | {
      /** A token store your app created (`@sso/react/token-store`); read once, cleared on a user change. */
      store: TokenStore
      tokenUrl?: never
      fetchToken?: never
      timeoutMs?: never
      refreshLeewayMs?: never
    }
)

type Command = (command: string, ...args: unknown[]) => void

/**
 * The vendor SDK's global function (`window.Intercom`, `window.Canny`, `window.Featurebase`),
 * installing the vendor's documented loader first when the page has none: a stub that queues
 * each call in `.q` as `[command, ...args]`, and one async script from `src`. The function
 * returned looks the global up on every call, since the SDK replaces the stub when it loads.
 * Browser only.
 */
export function loadSdk(name: string, src: string): Command {
  const page = window as unknown as Record<string, Command | undefined>
  if (typeof page[name] !== 'function') {
    const stub = Object.assign((...args: unknown[]) => stub.q.push(args), { q: [] as unknown[][] })
    page[name] = stub
    const script = document.createElement('script')
    script.async = true
    script.src = src
    document.head.appendChild(script)
  }
  return (...args) => page[name]!(...args)
}

/**
 * Drives one SDK from the token store: once a user is logged in, gets a token (one request,
 * shared, StrictMode's second mount included), calls `boot(token)`, and calls it again with a
 * fresh token `refreshLeewayMs` before the token expires. On a user change, logout or unmount
 * it calls `shutdown()` (only after a boot), and a user change or logout clears the store. A
 * failed request boots nothing (and shuts down an SDK whose token can no longer be renewed).
 * `restart` (e.g. the app id; one value or more, the same number on every render) re-boots when
 * one changes. Touches no browser API during render.
 */
export function useTokenBinding(
  options: TokenBindingOptions,
  defaultFetchToken: () => TokenFetcher,
  boot: (token: string) => void,
  shutdown: () => void,
  ...restart: unknown[]
): TokenSnapshot {
  // The latest render's arguments, for the effect and the store's fetcher (a tuple: the
  // property names of an object would cost every push binding bytes).
  const current = [options, defaultFetchToken, boot, shutdown] as const
  const latest = useRef(current)
  useEffect(() => {
    latest.current = current
  })
  const [store] = useState(
    () =>
      options.store ??
      createTokenStore({
        // timeoutMs and refreshLeewayMs; the store reads no other option.
        ...options,
        // Resolved per request, so a new fetchToken or tokenUrl applies without a new cache.
        fetchToken: (context) => (latest.current[0].fetchToken ?? latest.current[1]())(context),
      }),
  )
  const key = userKey(options.user)
  const lastKey = useRef(key)

  // `restart` is in the dependencies on purpose: a new value re-boots.
  useEffect(() => {
    // Only a real change clears: StrictMode's remount must find the first request in flight.
    if (lastKey.current !== key) {
      lastKey.current = key
      store.clear()
    }
    if (key == null) return
    let live = true
    let booted = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const run = (): unknown =>
      store.getToken().then(
        (token) => {
          if (!live) return
          booted = true
          latest.current[2](token)
          const ms = store.refreshIn()
          // No timer for a value that never expires (Infinity) or past setTimeout's range.
          if (ms && ms < 2 ** 31) timer = setTimeout(run, ms)
        },
        (error: SsoError) => {
          if (!live) return
          if (booted) latest.current[3]()
          booted = false
          latest.current[0].onError?.(error)
        },
      )
    run()
    return () => {
      live = false
      clearTimeout(timer)
      if (booted) latest.current[3]()
    }
  }, [store, key, ...restart])

  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot)
}
