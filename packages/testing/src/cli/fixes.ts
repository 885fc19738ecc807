import { duration } from './time'

/** What the fix is worked out from: the refusal and the decoded token. */
export interface FixContext {
  readonly vendorName: string
  /** The algorithm the vendor is configured for. */
  readonly algorithm: string
  /** Seconds since the epoch. */
  readonly now: number
  readonly claims: Readonly<Record<string, unknown>>
  readonly header: Readonly<Record<string, unknown>>
  /** The limit behind the refusal, in seconds, when the vendor's rules have one. */
  readonly limit?: number | undefined
}

/** A refusal, as `VendorTokenError` or the recording gives it. */
export interface Refusal {
  readonly code: string
  readonly claim: string | undefined
  readonly message: string
}

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined

/** A time claim in milliseconds is off by a factor of 1,000: the commonest slip. */
function millisecondsHint(value: unknown): string {
  const n = num(value)
  return n !== undefined && n > 1e11
    ? ' It looks like milliseconds: use whole seconds (Math.floor(Date.now() / 1000)).'
    : ''
}

/**
 * What to change so the vendor accepts the token, in one sentence, from the refusal's stable code
 * (the vendor's limit itself is in the refusal's message, which is printed with it).
 */
export function fixFor(refusal: Refusal, ctx: FixContext): string {
  const { vendorName: vendor, now, claims, limit } = ctx
  const atMost = limit === undefined ? '' : `; ${vendor} accepts at most ${duration(limit)}`
  const claim = refusal.claim
  const value = claim === undefined ? undefined : claims[claim]
  const iat = num(claims.iat)
  const exp = num(claims.exp)
  switch (refusal.code) {
    case 'malformed':
      return 'Pass the whole token (three base64url parts joined by dots), or the whole URL it arrived in, in quotes.'
    case 'wrong_algorithm':
      return `Sign with ${ctx.algorithm}, the algorithm ${vendor} is configured for (the adapters pin it; "none" is never accepted).`
    case 'wrong_type':
      return `Set the protected header's "${claim ?? 'typ'}" as the message says (the adapters set it).`
    case 'bad_signature':
      return `Sign with ${vendor}'s secret exactly as issued, as its UTF-8 bytes (never base64-decoded), and check this check's secret is the same value: the same configuration, no trailing space or newline.`
    case 'missing_claim':
      if (claim === 'iat') return 'Set "iat" to the current time in whole seconds.'
      if (claim === 'exp')
        return 'Set "exp" (iat + the lifetime; the adapters set it from expiresIn).'
      if (claim === 'jti') return 'Set "jti" to a fresh random UUID for every token.'
      if (claim === 'aud' || claim === 'iss')
        return `Set "${claim}" to the value ${vendor} expects (the adapter sets it).`
      return `Add "${claim}" to the token: the adapter maps it from the user object, or add it with the claims hook.`
    case 'invalid_claim':
      return `Fix the value of "${claim}" as the message says (it comes from the user object or the claims hook).${millisecondsHint(value)}`
    case 'claim_too_long':
      return `Shorten "${claim}" (now ${typeof value === 'string' ? [...value].length : '?'} characters) in the user object or the claims hook, or refuse such users before signing.`
    case 'expired':
      return `exp was ${exp === undefined ? 'reached' : `${duration(now - exp)} ago`}: sign a fresh token for each sign-in (never cache one) and check the server's clock.${millisecondsHint(exp)}`
    case 'not_yet_valid':
      return `nbf is ${duration((num(claims.nbf) ?? now) - now)} in the future: set nbf to the current time and check the server's clock (NTP).`
    case 'issued_in_future':
      return `iat is ${iat === undefined ? 'in the future' : `${duration(iat - now)} ahead of ${vendor}'s clock`}${atMost}: set iat to the current time in whole seconds and check the server's clock (NTP).${millisecondsHint(iat)}`
    case 'too_old':
      return `iat is ${iat === undefined ? 'too old' : `${duration(now - iat)} old`}${atMost}: sign the token just before sending the user to ${vendor}, not ahead of time.`
    case 'lifetime_too_long':
      return `exp is ${exp !== undefined && iat !== undefined ? `${duration(exp - iat)} after iat` : 'too far after iat'}${atMost || `, longer than ${vendor} accepts`}: lower expiresIn.`
    case 'replayed_jti':
      return 'Sign a new token, with a new jti, for every sign-in.'
    case 'bad_audience':
      return `Set "aud" to the value ${vendor} expects (the message names it).`
    case 'bad_issuer':
      return 'Set "iss" to the issuer configured at the vendor (the adapter\'s issuer option), or pass the right --issuer.'
    default:
      return 'See the message above.'
  }
}
