import type { VendorId } from './types'

/** Every stable error code this package produces. */
export type SsoErrorCode =
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

const DEFAULT_STATUS: Record<SsoErrorCode, number> = {
  ERR_SSO_CONFIG: 500,
  ERR_SSO_UNAUTHENTICATED: 401,
  ERR_SSO_REDIRECT_NOT_ALLOWED: 400,
  ERR_SSO_EMAIL_UNVERIFIED: 403,
  ERR_SSO_USER_INVALID: 422,
  ERR_SSO_BAD_REQUEST: 400,
  ERR_SSO_FORBIDDEN: 403,
  ERR_SSO_METHOD_NOT_ALLOWED: 405,
  ERR_SSO_VENDOR_UNAVAILABLE: 502,
  ERR_SSO_GET_USER_FAILED: 500,
  ERR_SSO_INTERNAL: 500,
  ERR_SSO_TENANT_INVALID: 404,
  ERR_SSO_TENANT_UNKNOWN: 404,
  ERR_SSO_TENANT_UNAVAILABLE: 503,
  ERR_SSO_VENDOR_REFUSED: 502,
}

export interface SsoErrorOptions {
  status?: number
  vendor?: VendorId
  cause?: unknown
  /** A message safe to show the end user; `message` itself is for developers (never secrets either). */
  userMessage?: string
  /** With ERR_SSO_METHOD_NOT_ALLOWED: the methods the route takes. */
  allow?: string
  /**
   * What the vendor itself said (e.g. Zendesk's `message`): shown, escaped, on the error page
   * only when errors are exposed (development); never in `message`, events or JSON.
   */
  detail?: string
}

/**
 * The one error class of `@sso/middleware`: a stable `code`, an HTTP `status`, the vendor id and
 * a `cause`. Messages never contain a token, secret, API key or email (SECURITY.md rule 7).
 *
 * @example
 * try { komo({ secret: 'short' }) } catch (err) {
 *   if (err instanceof SsoError && err.code === 'ERR_SSO_CONFIG') console.error(err.message)
 * }
 */
export class SsoError extends Error {
  override readonly name = 'SsoError'
  readonly code: SsoErrorCode
  readonly status: number
  readonly vendor: VendorId | undefined
  readonly userMessage: string | undefined
  readonly allow: string | undefined
  /** Not enumerable: logging the error (`console.error(err)`, JSON) does not print it. */
  declare readonly detail: string | undefined

  constructor(code: SsoErrorCode, message: string, options: SsoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status ?? DEFAULT_STATUS[code]
    this.vendor = options.vendor
    this.userMessage = options.userMessage
    this.allow = options.allow
    // It may hold an email (Zendesk's message): kept off logs that print own properties.
    Object.defineProperty(this, 'detail', { value: options.detail, enumerable: false })
  }
}

/** Is this an SsoError (also across duplicated copies of the package)? */
export function isSsoError(value: unknown): value is SsoError {
  return (
    value instanceof SsoError ||
    (value instanceof Error &&
      value.name === 'SsoError' &&
      typeof (value as { code?: unknown }).code === 'string')
  )
}

/** Throws ERR_SSO_CONFIG naming the vendor, the option and the fix. */
export function configError(where: string, message: string): SsoError {
  return new SsoError('ERR_SSO_CONFIG', `${where}: ${message}`)
}
