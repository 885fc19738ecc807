export { SsoError } from './errors'
export type { SsoErrorCode } from './errors'
export { KomoProvider } from './KomoProvider'
export type { KomoEmbed, KomoProviderProps, KomoUser } from './KomoProvider'
export { createTokenStore, fetchTokenFrom } from './token-store'
export type {
  TokenFetcher,
  TokenResult,
  TokenSnapshot,
  TokenStatus,
  TokenStore,
  TokenStoreOptions,
} from './token-store'
export { useAuthRequestHandler } from './useAuthRequestHandler'
export { useKomo } from './useKomo'
export type { KomoApi } from './useKomo'
