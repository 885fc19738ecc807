/**
 * `@sso/middleware/vendor-kit`: everything the built-in vendors are made of, for your own
 * `defineVendor`. The built-ins import exactly these (their files are the worked examples), so
 * a vendor of yours gets the same checks: allow-lists, relative-path rules, the signer, option
 * checks with "did you mean", the logout route, same-origin token endpoints, upstream calls that
 * never follow redirects.
 */
export {
  defineVendor,
  dropPrivilegedClaims,
  type VendorBaseOptions,
  type VendorDefinition,
  withClaimsHook,
} from './core/define-vendor'
export { configError, isSsoError, SsoError, type SsoErrorCode } from './core/errors'
export {
  createHmacKey,
  decodeBase64Utf8,
  encodeBase64Utf8,
  type HmacKey,
  type HmacKeyOptions,
} from './core/hmac'
export { isThenable } from './core/hooks'
export { configurationNotes } from './core/notes'
export {
  assertKnownOptions,
  assertOptionsObject,
  checkBaseUrl,
  checkInstanceId,
  checkLifetime,
  checkOptionalString,
  checkRelativeOption,
  optionKeys,
} from './core/options'
export {
  checkRedirectUrl,
  compileAllowList,
  decodeLeniently,
  type HostAllowList,
  isLoopbackHost,
  isSafeRelativePath,
  MAX_PATH_LENGTH,
  MAX_URL_LENGTH,
} from './core/redirect'
export { escapeHtml, FORM_SCRIPT, formScriptSource, htmlPage } from './core/respond'
export { assertSameOrigin, compileAllowedOrigins } from './core/same-origin'
export {
  type IssuedToken,
  type SdkTokenRouteOptions,
  sdkTokenRoute,
} from './core/sdk-token'
export {
  type AsymmetricAlgorithm,
  createSigner,
  MIN_SECRET_BYTES,
  nowSeconds,
  type PrivateJwk,
  type PrivateKeyOptions,
  type SecretKeyOptions,
  type SignedToken,
  type SignerOptions,
  type SigningAlgorithm,
  type SigningKeyOptions,
  type SignOptions,
  type TokenSigner,
} from './core/token'
export type {
  MaybePromise,
  QueryReader,
  SsoEvent,
  SsoRequest,
  SsoUser,
  Vendor,
  VendorContext,
  VendorId,
  VendorResult,
  VendorRoute,
} from './core/types'
export {
  callUpstream,
  headerValueProblem,
  pathSegment,
  pathSegmentProblem,
  type UpstreamAnswer,
  type UpstreamPolicy,
  type UpstreamRequest,
  upstreamUrl,
} from './core/upstream'
export { compact, displayName, requireTrustedEmail, splitName } from './core/user'
export { isHttpUrl, logoutRoute } from './core/vendor-helpers'
