import { describeSeconds, maxAge } from '../../claims'
import type { TokenRules } from '../../claims'

/**
 * Comm100: `email`, `jti` (not seen before, with `seenJti`), `iat`, `nbf`, `exp`,
 * `aud` = `"Comm100"`, lifetime at most 30 minutes.
 */
export const comm100Token: TokenRules = {
  refusal: 'Comm100 JWT SSO failed',
  algorithms: ['HS256'],
  check(check, options) {
    check.email()
    check.string('name')
    const jti = check.string('jti', { required: true }) as string
    const aud = check.claims.aud
    if (aud === undefined) check.fail('missing_claim', 'the "aud" claim is required.', 'aud')
    const audiences = Array.isArray(aud) ? aud : [aud]
    if (!audiences.includes('Comm100')) {
      check.fail('bad_audience', 'the "aud" claim must be "Comm100".', 'aud')
    }
    const { exp, iat } = check.lifetime({ exp: true, iat: true, nbf: true, ...maxAge(options) })
    const maxLifetime = options.maxLifetimeSeconds ?? 1800
    if (exp !== undefined && iat !== undefined && exp - iat > maxLifetime) {
      check.fail(
        'lifetime_too_long',
        `the token lives longer than ${describeSeconds(maxLifetime)} ("exp" - "iat").`,
        'exp',
      )
    }
    if (options.seenJti) {
      if (options.seenJti.has(jti)) {
        check.fail('replayed_jti', 'the "jti" claim has already been used.', 'jti')
      }
      options.seenJti.add(jti)
    }
  },
}
