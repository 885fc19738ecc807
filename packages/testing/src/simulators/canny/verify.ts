import { maxAge } from '../../claims'
import type { TokenRules } from '../../claims'

/** Canny's ISO 8601 `created`, as `Date#toISOString` writes it (or without milliseconds). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/

/**
 * Canny: `id`, `email`, `name` (strings), `exp` in the future when present, `iat` not in the
 * future, `avatarURL` an https URL and `created` an ISO 8601 date when present.
 */
export const cannyToken: TokenRules = {
  refusal: 'Canny could not sign you in with the SSO token',
  algorithms: ['HS256'],
  check(check, options) {
    check.string('id', { required: true, max: 256 })
    check.email()
    check.string('name', { required: true, max: 256 })
    const avatar = check.string('avatarURL')
    if (avatar !== undefined && !avatar.startsWith('https://')) {
      check.fail('invalid_claim', 'the "avatarURL" claim must be an https URL.', 'avatarURL')
    }
    const created = check.string('created')
    if (created !== undefined && (!ISO_DATE.test(created) || Number.isNaN(Date.parse(created)))) {
      check.fail('invalid_claim', 'the "created" claim must be an ISO 8601 date.', 'created')
    }
    check.lifetime({ exp: false, iat: false, nbf: false, ...maxAge(options) })
  },
}
