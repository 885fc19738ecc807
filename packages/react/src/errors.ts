/**
 * Stable codes carried by {@link SsoError}. Branch on these, never on the message.
 *
 * - `ERR_SSO_TOKEN_FETCH`: the token endpoint failed (network error, 5xx, a handler that threw)
 * - `ERR_SSO_TIMEOUT`: no token within `timeoutMs`
 * - `ERR_SSO_UNAUTHENTICATED`: the endpoint answered 401 (nobody is logged in)
 * - `ERR_SSO_BAD_RESPONSE`: the answer held no usable token
 * - `ERR_SSO_CANCELLED`: the cache was cleared (logout, user switch) while a request was in flight
 * - `ERR_SSO_CONFIG`: a provider was given no way to get a token
 *
 * @example
 * ```ts
 * if (error?.code === 'ERR_SSO_UNAUTHENTICATED') showLoginLink()
 * ```
 */
export type SsoErrorCode =
  | 'ERR_SSO_TOKEN_FETCH'
  | 'ERR_SSO_TIMEOUT'
  | 'ERR_SSO_UNAUTHENTICATED'
  | 'ERR_SSO_BAD_RESPONSE'
  | 'ERR_SSO_CANCELLED'
  | 'ERR_SSO_CONFIG'
  | (string & {})

/**
 * The one error type this package rejects with or reports. Messages never contain a token.
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
  override name = 'SsoError'
  /** Stable machine-readable code. */
  readonly code: SsoErrorCode
  /** HTTP status of the token endpoint's answer, when there was one. */
  readonly status: number | undefined

  constructor(code: SsoErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options)
    this.code = code
    this.status = options?.status
  }
}
