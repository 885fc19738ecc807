// What an app needs: the middleware and handler, the vendor factories, errors and types. What a
// vendor is made of (signer, allow-lists, option checks, logout route, upstream calls, HTML page)
// is in `@sso/middleware/vendor-kit`; each vendor alone is `@sso/middleware/vendors/<id>`.
export { ssoMiddleware, type SsoMiddleware } from './adapters/connect'
export {
  type SsoFetchArgs,
  type SsoFetchHandler,
  type SsoFetchOptions,
  type SsoLogoutResponse,
  ssoHandler,
} from './adapters/fetch'
export * from './app'
