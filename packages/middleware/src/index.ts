export { ssoMiddleware, type SsoMiddleware } from './adapters/connect'
export { ssoHandler, type SsoFetchHandler } from './adapters/fetch'
export {
  defineVendor,
  type VendorBaseOptions,
  type VendorDefinition,
  withClaimsHook,
} from './core/define-vendor'
export { SsoError, type SsoErrorCode, isSsoError } from './core/errors'
export {
  checkRedirectUrl,
  compileAllowList,
  type HostAllowList,
  isLoopbackHost,
  isSafeRelativePath,
} from './core/redirect'
export { escapeHtml, htmlPage } from './core/respond'
export {
  type AsymmetricAlgorithm,
  createSigner,
  type PrivateKeyOptions,
  type SecretKeyOptions,
  type SignedToken,
  type SigningAlgorithm,
  type SigningKeyOptions,
  type SignOptions,
  type TokenSigner,
} from './core/token'
export type {
  GetUser,
  QueryReader,
  SsoEvent,
  SsoOptions,
  SsoRequest,
  SsoUser,
  TenantOptions,
  Vendor,
  VendorContext,
  VendorId,
  VendorResult,
  VendorRoute,
} from './core/types'
export { displayName, requireTrustedEmail, splitName } from './core/user'
export { type BettermodeOptions, bettermode } from './vendors/bettermode'
export { type Comm100Options, comm100 } from './vendors/comm100'
export { type KomoOptions, komo } from './vendors/komo'
export { type KonnecOptions, konnec } from './vendors/konnec'
export { type KustomerOptions, kustomer } from './vendors/kustomer'
