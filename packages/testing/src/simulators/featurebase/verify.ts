import { maxAge } from '../../claims'
import type { TokenRules } from '../../claims'

/**
 * Featurebase: `email` or `userId` (at least one; strings), `name`, `profilePicture` and
 * `locale` strings when present, `exp` when present and in the future, `iat` not in the future.
 */
export const featurebaseToken: TokenRules = {
  refusal: 'Featurebase could not sign you in with the JWT',
  algorithms: ['HS256'],
  check(check, options) {
    const userId = check.string('userId', { max: 255 })
    const email = check.claims.email === undefined ? undefined : check.email({ max: 320 })
    if (userId === undefined && email === undefined) {
      check.fail('missing_claim', 'the token needs an "email" or a "userId" claim.', 'email')
    }
    check.string('name')
    const picture = check.string('profilePicture')
    if (picture !== undefined && !picture.startsWith('https://')) {
      check.fail(
        'invalid_claim',
        'the "profilePicture" claim must be an https:// URL.',
        'profilePicture',
      )
    }
    check.string('locale', { max: 35 })
    check.lifetime({ exp: false, iat: false, nbf: false, ...maxAge(options) })
  },
}
