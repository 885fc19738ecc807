// Everything an app needs except the framework bindings: the vendor factories, errors and types.
// The root entry adds the Connect/Express middleware and the Fetch handler; `@sso/middleware/fetch`
// adds the Fetch handler only, so its types never need `@types/node`. A new built-in vendor adds
// its factory here.
export {
  defineVendor,
  type VendorBaseOptions,
  type VendorDefinition,
} from './core/define-vendor'
export { isSsoError, SsoError, type SsoErrorCode } from './core/errors'
// For a Fetch handler's `inspector.allow` where the runtime knows the client's address.
export { isLocalClient } from './core/inspect'
// For the app's own login page: is a `returnTo` safe to redirect to?
export { isSafeRelativePath } from './core/redirect'
export type {
  AsymmetricAlgorithm,
  PrivateJwk,
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
export { type CannyOptions, canny } from './vendors/canny'
export { type Comm100Options, comm100 } from './vendors/comm100'
export { type DiscourseOptions, discourse } from './vendors/discourse'
export { type IntercomOptions, type IntercomSignedField, intercom } from './vendors/intercom'
export { type FeaturebaseOptions, featurebase } from './vendors/featurebase'
export { type KomoOptions, komo } from './vendors/komo'
export { type KonnecOptions, konnec } from './vendors/konnec'
export { type KustomerOptions, kustomer } from './vendors/kustomer'
export { type MetabaseOptions, metabase } from './vendors/metabase'
export { type ZendeskOptions, zendesk } from './vendors/zendesk'
