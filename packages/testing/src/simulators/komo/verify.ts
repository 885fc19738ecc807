import { maxAge } from '../../claims'
import type { TokenRules } from '../../claims'

/** Komo: `sub`, `email`, `exp` > now, `iat` not in the future, `iss` when `issuer` is set. */
export const komoToken: TokenRules = {
  refusal: 'Komo could not verify the SSO token',
  algorithms: ['HS256', 'RS256', 'ES256'],
  check(check, options) {
    check.string('sub', { required: true })
    check.email()
    check.string('first_name')
    check.string('last_name')
    check.lifetime({ exp: true, iat: false, nbf: false, ...maxAge(options) })
    if (options.issuer !== undefined && check.claims.iss !== options.issuer) {
      check.fail('bad_issuer', `the "iss" claim must be ${JSON.stringify(options.issuer)}.`, 'iss')
    }
  },
}
