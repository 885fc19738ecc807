import type { TokenRules } from '../../claims'

/** How old a login JWT's `iat` may be: Metabase takes it for three minutes. */
export const METABASE_MAX_AGE_SECONDS = 180

/**
 * Metabase: `email` (an address), `iat` at most 180 s old (`maxAgeSeconds` changes it) and not in
 * the future, `exp` when present, `first_name`/`last_name` strings when present, `groups` an
 * array of group names when present.
 */
export const metabaseToken: TokenRules = {
  refusal: 'Metabase could not sign you in with the JWT',
  algorithms: ['HS256'],
  check(check, options) {
    check.email()
    check.string('first_name')
    check.string('last_name')
    const groups = check.claims.groups
    if (
      groups !== undefined &&
      !(Array.isArray(groups) && groups.every((g) => typeof g === 'string' && g !== ''))
    ) {
      check.fail('invalid_claim', 'the "groups" claim must be an array of group names.', 'groups')
    }
    check.lifetime({
      exp: false,
      iat: true,
      nbf: false,
      maxAgeSeconds: options.maxAgeSeconds ?? METABASE_MAX_AGE_SECONDS,
    })
  },
}
