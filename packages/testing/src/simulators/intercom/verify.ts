import { createHmac, timingSafeEqual } from 'node:crypto'
import type { TokenRules } from '../../claims'
import { maxAge } from '../../claims'

/**
 * Intercom (Messenger security): `user_id` a non-empty string (required), `email` and `name`
 * strings when present, every other attribute a string, `exp` in the future when present, `iat`
 * not in the future. The header's `alg` is pinned to HS256 by `verifyVendorToken`.
 */
export const intercomToken: TokenRules = {
  refusal: 'Intercom could not verify the Messenger user JWT',
  algorithms: ['HS256'],
  check(check, options) {
    const userId = check.claims.user_id
    if (userId === undefined || userId === null || userId === '') {
      check.fail('missing_claim', 'the "user_id" claim is required.', 'user_id')
    }
    if (typeof userId !== 'string') {
      check.fail('invalid_claim', 'the "user_id" claim must be a string.', 'user_id')
    }
    if (check.claims.email !== undefined) check.email()
    check.string('name')
    check.lifetime({ exp: false, iat: false, nbf: false, ...maxAge(options) })
    for (const [name, value] of Object.entries(check.claims)) {
      if (['iat', 'exp', 'nbf', 'jti'].includes(name)) continue
      if (typeof value !== 'string') {
        check.fail('invalid_claim', `the "${name.slice(0, 64)}" attribute must be a string.`, name)
      }
    }
  },
}

/**
 * Intercom's legacy identity verification: is `userHash` the hex HMAC-SHA256 of `userId` with
 * the identity verification secret? Constant time; a malformed hash is `false`, never a throw.
 *
 * @example
 * ```ts
 * verifyIntercomUserHash(process.env.INTERCOM_SECRET!, 'user-42', settings.user_hash) // true
 * ```
 */
export function verifyIntercomUserHash(secret: string, userId: string, userHash: unknown): boolean {
  if (typeof userId !== 'string' || userId === '') return false
  if (typeof userHash !== 'string' || !/^[0-9a-f]{64}$/i.test(userHash)) return false
  const expected = createHmac('sha256', secret).update(userId).digest()
  return timingSafeEqual(expected, Buffer.from(userHash, 'hex'))
}

/**
 * The legacy `user_hash` of `userId`, as the app's server computes it (for tests and the demo).
 *
 * @example
 * ```ts
 * Intercom('boot', { app_id, user_id: 'user-42', user_hash: intercomUserHash(secret, 'user-42') })
 * ```
 */
export function intercomUserHash(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId).digest('hex')
}
