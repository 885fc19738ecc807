import type { TokenRules } from '../../claims'

/** How far `iat` may be from Zendesk's clock, either way: Zendesk allows three minutes. */
export const ZENDESK_IAT_WINDOW_SECONDS = 180

/** Zendesk's user roles; `role` in a JWT must be one of them. */
const ROLES = ['user', 'agent', 'admin']

/**
 * Zendesk: header `typ: "JWT"`, `email`, `name`, `jti` (not seen before, with `seenJti`), `iat`
 * within ±180 s of now (no extra tolerance: the window is Zendesk's skew allowance;
 * `maxAgeSeconds` narrows or widens the past side), `exp` when present, `external_id` a string,
 * `role` one of `user`/`agent`/`admin`.
 */
export const zendeskToken: TokenRules = {
  refusal: 'Zendesk could not sign you in with the JWT',
  algorithms: ['HS256'],
  header(header, fail) {
    if (header.typ !== 'JWT') {
      const shown =
        typeof header.typ === 'string' ? JSON.stringify(header.typ.slice(0, 20)) : 'none'
      fail('wrong_type', `the token header "typ" must be "JWT" (got ${shown}).`, 'typ')
    }
  },
  check(check, options) {
    check.email()
    check.string('name', { required: true })
    const jti = check.string('jti', { required: true }) as string
    check.string('external_id', { max: 255 })
    const role = check.string('role')
    if (role !== undefined && !ROLES.includes(role)) {
      check.fail('invalid_claim', 'the "role" claim must be "user", "agent" or "admin".', 'role')
    }
    const iat = check.time('iat', true) as number
    const pastWindow = options.maxAgeSeconds ?? ZENDESK_IAT_WINDOW_SECONDS
    if (iat > check.now + ZENDESK_IAT_WINDOW_SECONDS) {
      check.fail(
        'issued_in_future',
        'the "iat" claim is more than 3 minutes in the future; check the server clock.',
        'iat',
      )
    }
    if (check.now - iat > pastWindow) {
      check.fail(
        'too_old',
        'the "iat" claim is more than 3 minutes old; sign a fresh token for every sign-in.',
        'iat',
      )
    }
    // Not `check.lifetime`: it would hold `iat` to the 5 s tolerance instead of the window.
    const exp = check.time('exp', false)
    if (exp !== undefined && exp <= check.now - check.tolerance) {
      check.fail('expired', 'the token has expired (the "exp" claim is in the past).', 'exp')
    }
    if (options.seenJti) {
      if (options.seenJti.has(jti)) {
        check.fail('replayed_jti', 'the "jti" claim has already been used.', 'jti')
      }
      options.seenJti.add(jti)
    }
  },
}
