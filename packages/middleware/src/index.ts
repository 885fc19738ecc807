// What an app needs: the middleware and handler, the vendor factories, errors and types. What a
// vendor is made of (signer, allow-lists, option checks, logout route, upstream calls, HTML page)
// is in `@sso/middleware/vendor-kit`; each vendor alone is `@sso/middleware/vendors/<id>`.
export { ssoMiddleware, type SsoMiddleware } from './adapters/connect'
export { ssoHandler, type SsoFetchHandler } from './adapters/fetch'
export {
  defineVendor,
  type VendorBaseOptions,
  type VendorDefinition,
} from './core/define-vendor'
export { isSsoError, SsoError, type SsoErrorCode } from './core/errors'
// For the app's own login page: is a `returnTo` safe to redirect to?
export { isSafeRelativePath } from './core/redirect'
export type {
  AsymmetricAlgorithm,
  PrivateKeyOptions,
  SecretKeyOptions,
  SigningAlgorithm,
  SigningKeyOptions,
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
export { type BettermodeOptions, bettermode } from './vendors/bettermode'
export { type Comm100Options, comm100 } from './vendors/comm100'
export { type DiscourseOptions, discourse } from './vendors/discourse'
export { type KomoOptions, komo } from './vendors/komo'
export { type KonnecOptions, konnec } from './vendors/konnec'
export { type KustomerOptions, kustomer } from './vendors/kustomer'
export { type ZendeskOptions, zendesk } from './vendors/zendesk'
