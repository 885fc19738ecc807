/**
 * Codes `@sso/middleware` answers its token route with (its own `SsoErrorCode`, same names and
 * meaning). {@link fetchTokenFrom} passes them through from the server's `{"error":{"code"}}`
 * body; `ERR_SSO_CONFIG` and `ERR_SSO_UNAUTHENTICATED` are also raised by this package itself.
 */
export type ServerSsoErrorCode =
  | 'ERR_SSO_CONFIG'
  | 'ERR_SSO_UNAUTHENTICATED'
  | 'ERR_SSO_REDIRECT_NOT_ALLOWED'
  | 'ERR_SSO_EMAIL_UNVERIFIED'
  | 'ERR_SSO_USER_INVALID'
  | 'ERR_SSO_BAD_REQUEST'
  | 'ERR_SSO_FORBIDDEN'
  | 'ERR_SSO_METHOD_NOT_ALLOWED'
  | 'ERR_SSO_VENDOR_UNAVAILABLE'
  | 'ERR_SSO_GET_USER_FAILED'
  | 'ERR_SSO_INTERNAL'
  | 'ERR_SSO_TENANT_INVALID'
  | 'ERR_SSO_TENANT_UNKNOWN'
  | 'ERR_SSO_TENANT_UNAVAILABLE'
  | 'ERR_SSO_VENDOR_REFUSED'

/**
 * Codes only the client produces; the server never sends them.
 *
 * - `ERR_SSO_TOKEN_FETCH`: the token endpoint failed without a code of its own (network error, a
 *   non-2xx answer with no `{"error":{"code"}}` body, a handler that threw)
 * - `ERR_SSO_TIMEOUT`: no token within `timeoutMs`
 * - `ERR_SSO_BAD_RESPONSE`: the answer held no usable token
 * - `ERR_SSO_CANCELLED`: the cache was cleared (logout, user switch) while a request was in flight
 */
export type ClientSsoErrorCode =
  | 'ERR_SSO_TOKEN_FETCH'
  | 'ERR_SSO_TIMEOUT'
  | 'ERR_SSO_BAD_RESPONSE'
  | 'ERR_SSO_CANCELLED'

/**
 * Stable codes carried by {@link SsoError}. Branch on these, never on the message. The server's
 * codes ({@link ServerSsoErrorCode}) keep `@sso/middleware`'s names; the client adds its own
 * ({@link ClientSsoErrorCode}); a newer server may send a code not listed here.
 *
 * - `ERR_SSO_UNAUTHENTICATED`: the endpoint answered 401 (nobody is logged in)
 * - `ERR_SSO_FORBIDDEN`: the server refused a cross-site caller (see the README on dev proxies)
 * - `ERR_SSO_CONFIG`: a provider was given no way to get a token, or a hook was used outside it
 *
 * @example
 * ```ts
 * if (error?.code === 'ERR_SSO_UNAUTHENTICATED') showLoginLink()
 * ```
 */
export type SsoErrorCode = ServerSsoErrorCode | ClientSsoErrorCode | (string & {})

/**
 * The one error type this package rejects with or reports, shaped like `@sso/middleware`'s
 * `SsoError` (`name`, `code`, `status`, `cause`). Messages never contain a token.
 *
 * @example
 * ```ts
 * try {
 *   await store.getToken()
 * } catch (error) {
 *   if (error instanceof SsoError && error.code === 'ERR_SSO_TIMEOUT') retryLater()
 * }
 * ```
 */
export class SsoError extends Error {
  override readonly name = 'SsoError'
  // `declare`: assigned in the constructor, so no class field is emitted (bytes in every bundle).
  /** Stable machine-readable code. */
  declare readonly code: SsoErrorCode
  /** HTTP status of the token endpoint's answer; `undefined` when there was none. */
  declare readonly status: number | undefined

  constructor(code: SsoErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options)
    this.code = code
    this.status = options?.status
  }
}
