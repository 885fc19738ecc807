'use client'

export type { KomoApi, KomoEmbed } from './context'
export { KomoProvider } from './KomoProvider'
export type { KomoProviderProps, KomoUser } from './KomoProvider'

// The framework-free store (also `@sso/react/token-store`), re-exported for compatibility.
export { createTokenStore, fetchTokenFrom, SsoError } from './token-store'
export type {
  ClientSsoErrorCode,
  ServerSsoErrorCode,
  SsoErrorCode,
  TokenField,
  TokenFetcher,
  TokenResult,
  TokenSnapshot,
  TokenStatus,
  TokenStore,
  TokenStoreOptions,
} from './token-store'
export { useAuthRequestHandler } from './useAuthRequestHandler'
export { useKomo } from './useKomo'
