import type {
  KomoAlgorithm,
  VendorClaims,
  VendorTokenErrorCode,
  VerifyVendorTokenOptions,
} from './verify'

/** Throws the vendor's `VendorTokenError`; never returns. */
export type Fail = (code: VendorTokenErrorCode, detail: string, claim?: string) => never

/**
 * One vendor's token rules, kept beside its simulator (`simulators/<vendor>/verify.ts`) and
 * listed once in `vendors.ts`; `verifyVendorToken` runs the common JWT checks, then these.
 */
export interface TokenRules {
  /** How the vendor's refusals begin, e.g. `Komo could not verify the SSO token`. */
  readonly refusal: string
  /** The algorithms the vendor can be configured with; the first is the default. */
  readonly algorithms: readonly [KomoAlgorithm, ...KomoAlgorithm[]]
  /** The vendor's rules on the protected header, checked once the signature is verified. */
  header?(header: Readonly<Record<string, unknown>>, fail: Fail): void
  /** The vendor's required claims, limits and lifetime; each refusal goes through `check.fail`. */
  check(check: ClaimChecker, options: VerifyVendorTokenOptions): void
}

/** Typed reads of a verified payload that fail with the vendor's codes and messages. */
export class ClaimChecker {
  constructor(
    readonly claims: VendorClaims,
    readonly fail: Fail,
    readonly now: number,
    readonly tolerance: number,
  ) {}

  string(name: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const value = this.claims[name]
    if (value === undefined || value === null || value === '') {
      if (opts.required) this.fail('missing_claim', `the "${name}" claim is required.`, name)
      return undefined
    }
    if (typeof value !== 'string')
      this.fail('invalid_claim', `the "${name}" claim must be a string.`, name)
    const text = value as string
    if (opts.max !== undefined && [...text].length > opts.max) {
      this.fail(
        'claim_too_long',
        `the "${name}" claim must be ${opts.max} characters or less.`,
        name,
      )
    }
    return text
  }

  email(opts: { max?: number } = {}): string {
    const email = this.string('email', { required: true, ...opts }) as string
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      this.fail('invalid_claim', 'the "email" claim is not an email address.', 'email')
    }
    return email
  }

  time(name: 'exp' | 'iat' | 'nbf', required: boolean): number | undefined {
    const value = this.claims[name]
    if (value === undefined) {
      if (required) this.fail('missing_claim', `the "${name}" claim is required.`, name)
      return undefined
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail('invalid_claim', `the "${name}" claim must be a number of seconds.`, name)
    }
    return value as number
  }

  /** `exp` in the future, `nbf` reached, `iat` not in the future, `iat` not older than maxAge. */
  lifetime(opts: { exp: boolean; iat: boolean; nbf: boolean; maxAgeSeconds?: number }): {
    exp?: number
    iat?: number
  } {
    const exp = this.time('exp', opts.exp)
    const iat = this.time('iat', opts.iat)
    const nbf = this.time('nbf', opts.nbf)
    const { now, tolerance } = this
    if (exp !== undefined && exp <= now - tolerance) {
      this.fail('expired', 'the token has expired (the "exp" claim is in the past).', 'exp')
    }
    if (nbf !== undefined && nbf > now + tolerance) {
      this.fail(
        'not_yet_valid',
        'the token is not valid yet (the "nbf" claim is in the future).',
        'nbf',
      )
    }
    if (iat !== undefined && iat > now + tolerance) {
      this.fail('issued_in_future', 'the "iat" claim is in the future.', 'iat')
    }
    if (opts.maxAgeSeconds !== undefined) {
      if (iat === undefined) this.fail('missing_claim', 'the "iat" claim is required.', 'iat')
      else if (now - iat > opts.maxAgeSeconds + tolerance) {
        this.fail(
          'too_old',
          `the "iat" claim is more than ${describeSeconds(opts.maxAgeSeconds)} old.`,
          'iat',
        )
      }
    }
    return { ...(exp === undefined ? {} : { exp }), ...(iat === undefined ? {} : { iat }) }
  }
}

/** `maxAgeSeconds` passed through only when the caller set it. */
export function maxAge(options: VerifyVendorTokenOptions): { maxAgeSeconds?: number } {
  return options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }
}

/** `900` → `15 minutes`; anything not whole minutes in seconds. */
export function describeSeconds(seconds: number): string {
  if (seconds % 60 === 0) {
    const minutes = seconds / 60
    return `${minutes} minute${minutes === 1 ? '' : 's'}`
  }
  return `${seconds} seconds`
}
