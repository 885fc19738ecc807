import { createContext, useContext } from 'react'
import { SsoError } from './errors'
import type { TokenFetcher, TokenStore } from './token-store'

/**
 * The part of Komo's Embed SDK (`window.komoEmbed`) this package drives.
 *
 * @example
 * ```ts
 * const embed: KomoEmbed = window.komoEmbed
 * embed.setAuthRequestHandler(async () => (await fetch('/token', { method: 'POST' })).text())
 * ```
 */
export interface KomoEmbed {
  /** Komo calls `handler` when it needs a user; a rejection tells it there is none. */
  setAuthRequestHandler(handler: () => Promise<string>): void
  /** Hands Komo a token directly (push mode). */
  setAuthToken(token: string): void
  /** Signs the current user out of Komo. */
  forgetUser(): void
}

/**
 * What {@link useKomo} returns.
 */
export interface KomoApi {
  /** Komo's embed object; `null` during server rendering and before the first effect. */
  embed: KomoEmbed | null
  /** Drops the cached token and signs the user out of Komo. */
  forgetUser(): void
  /** Hands Komo a token directly (push mode). */
  setAuthToken(token: string): void
}

/** What KomoProvider shares with the hooks. */
export interface KomoContextValue {
  store: TokenStore
  /** Returns the embed, installing the loader first if no one has yet. Browser only. */
  getEmbed(): KomoEmbed
  /**
   * A handler from useAuthRequestHandler that replaces the provider's fetcher; absent when the
   * app gave its own `store`, whose fetcher the provider cannot replace.
   */
  handlerRef: { current: TokenFetcher | undefined } | undefined
  /** What useKomo returns. */
  api: KomoApi
}

/** The provider's context; `undefined` outside a KomoProvider. */
export const KomoContext = createContext<KomoContextValue | undefined>(undefined)

/** Reads the provider's context, or throws a message naming `KomoProvider`. */
export function useKomoContext(hook: string): KomoContextValue {
  const value = useContext(KomoContext)
  if (!value) {
    throw new SsoError('ERR_SSO_CONFIG', `${hook}() must be called inside <KomoProvider>`)
  }
  return value
}
