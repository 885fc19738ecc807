import type { TokenRules } from '../../claims'

/** Kustomer: `email`, `iat` not in the future and at most 15 minutes old. */
export const kustomerToken: TokenRules = {
  refusal: 'Kustomer could not sign you in with the external token',
  algorithms: ['HS256'],
  check(check, options) {
    check.email()
    check.lifetime({
      exp: false,
      iat: true,
      nbf: false,
      maxAgeSeconds: options.maxAgeSeconds ?? 900,
    })
  },
}
