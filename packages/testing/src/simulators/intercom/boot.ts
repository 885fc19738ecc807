// The boot rules of the Messenger stand-in: app id, enforcement, and the identity proof of each
// mode. Apart from verify.ts (the JWT's claim rules and the user_hash check) because it calls
// verifyVendorToken, whose vendor list imports verify.ts: one module would be an import cycle.
import { VendorTokenError, verifyVendorToken } from '../../verify'
import type { VendorTokenErrorCode } from '../../verify'
import { verifyIntercomUserHash } from './verify'

/** What a page's `Intercom('boot', …)` sends the Messenger API (the strings it carries). */
export interface IntercomBoot {
  app_id?: unknown
  intercom_user_jwt?: unknown
  user_id?: unknown
  user_hash?: unknown
  email?: unknown
  name?: unknown
}

/** The contact a verified boot signs in, as the Messenger shows it. */
export interface IntercomUser {
  readonly user_id: string
  readonly email?: string
  readonly name?: string
  /** The custom attributes the JWT signed (every other string claim). */
  readonly attributes: Readonly<Record<string, string>>
  /** `false` only when enforcement is off and the page named the user without proof. */
  readonly verified: boolean
}

/** Options of {@link verifyIntercomBoot}: the workspace's settings. */
export interface IntercomBootRules {
  /** The Messenger API secret (JWT) or identity verification secret (user_hash). */
  secret: string
  /** The workspace's app id; a boot for another is refused. */
  appId: string
  /** `'jwt'` (Messenger security) or `'userHash'` (legacy identity verification). (default: `'jwt'`) */
  mode?: 'jwt' | 'userHash'
  /** Refuse a boot that names no user with proof. (default: `true`) */
  enforce?: boolean
  /** The current time in ms. (default: `Date.now()`) */
  now?: number
}

/** Stable reasons the Messenger refuses a boot; JWT refusals carry `VendorTokenError` codes. */
export type IntercomBootErrorCode =
  | 'unknown_app'
  | 'missing_jwt'
  | 'missing_user_hash'
  | 'bad_user_hash'
  | VendorTokenErrorCode

/** A refused boot, with a stable `code` and an Intercom-style message (never the token). */
export class IntercomBootError extends Error {
  readonly code: IntercomBootErrorCode
  constructor(code: IntercomBootErrorCode, message: string) {
    super(message)
    this.name = 'IntercomBootError'
    this.code = code
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

/**
 * Verifies a boot as Intercom's Messenger does: the app id; in `'jwt'` mode the
 * `intercom_user_jwt` (HS256 with the secret, `user_id` a non-empty string, `exp` not past,
 * every attribute a string — `verifyVendorToken('intercom')`), whose signed attributes win over
 * the page's; in `'userHash'` mode `user_hash` = HMAC-SHA256(secret, `user_id`). With
 * enforcement on, a boot without that proof is refused; with it off, it signs in the user the
 * page names, unverified, or nobody (a visitor: `null`).
 *
 * @example
 * ```ts
 * const user = await verifyIntercomBoot({ app_id: 'abc12xyz', intercom_user_jwt: token }, { secret, appId: 'abc12xyz' })
 * user?.user_id // 'user-42'
 * ```
 */
export async function verifyIntercomBoot(
  boot: IntercomBoot,
  rules: IntercomBootRules,
): Promise<IntercomUser | null> {
  const { secret, appId, mode = 'jwt', enforce = true } = rules
  if (text(boot.app_id) !== appId) {
    throw new IntercomBootError('unknown_app', 'This Messenger belongs to another app_id.')
  }
  if (mode === 'jwt') {
    const jwt = text(boot.intercom_user_jwt)
    if (jwt !== undefined) {
      let claims: Record<string, unknown>
      try {
        claims = await verifyVendorToken('intercom', jwt, secret, { now: rules.now ?? Date.now() })
      } catch (err) {
        if (err instanceof VendorTokenError) throw new IntercomBootError(err.code, err.message)
        throw err
      }
      const { user_id, email, name, iat, exp, nbf, jti, ...rest } = claims
      return {
        user_id: user_id as string,
        ...(email === undefined ? {} : { email: email as string }),
        ...(name === undefined ? {} : { name: name as string }),
        attributes: rest as Record<string, string>,
        verified: true,
      }
    }
    if (enforce) {
      throw new IntercomBootError(
        'missing_jwt',
        'Messenger security is enforced: boot with intercom_user_jwt, signed by your server.',
      )
    }
  } else {
    const userId = text(boot.user_id)
    const hash = boot.user_hash
    if (userId !== undefined && hash !== undefined) {
      if (!verifyIntercomUserHash(secret, userId, hash)) {
        throw new IntercomBootError('bad_user_hash', 'The user_hash does not match this user_id.')
      }
      return { user_id: userId, ...unsigned(boot), attributes: {}, verified: true }
    }
    if (enforce) {
      throw new IntercomBootError(
        'missing_user_hash',
        'Identity verification is enforced: boot with user_id and the user_hash your server computed.',
      )
    }
  }
  const userId = text(boot.user_id)
  return userId === undefined
    ? null
    : { user_id: userId, ...unsigned(boot), attributes: {}, verified: false }
}

function unsigned(boot: IntercomBoot): { email?: string; name?: string } {
  const email = text(boot.email)
  const name = text(boot.name)
  return { ...(email === undefined ? {} : { email }), ...(name === undefined ? {} : { name }) }
}
