import {
  compactVerify,
  decodeProtectedHeader,
  errors,
  importJWK,
  importSPKI,
  importX509,
} from 'jose'
import type { CryptoKey, JWK, KeyObject } from 'jose'

/**
 * The vendors whose tokens are JWTs the vendor verifies itself (Konnec uses an API instead).
 *
 * @example
 * ```ts
 * const vendor: TokenVendor = 'comm100'
 * ```
 */
export type TokenVendor = 'komo' | 'kustomer' | 'comm100' | 'bettermode'

/**
 * The algorithms Komo can be configured with; every other vendor is HS256 only.
 *
 * @example
 * ```ts
 * await verifyVendorToken('komo', token, spkiPem, { algorithm: 'RS256' satisfies KomoAlgorithm })
 * ```
 */
export type KomoAlgorithm = 'HS256' | 'RS256' | 'ES256'

/**
 * Stable reasons a vendor refuses a token.
 *
 * @example
 * ```ts
 * const code: VendorTokenErrorCode = 'replayed_jti'
 * ```
 */
export type VendorTokenErrorCode =
  | 'malformed'
  | 'wrong_algorithm'
  | 'bad_signature'
  | 'missing_claim'
  | 'invalid_claim'
  | 'claim_too_long'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'too_old'
  | 'lifetime_too_long'
  | 'replayed_jti'
  | 'bad_audience'
  | 'bad_issuer'

/**
 * What a key may be given as: a shared secret (UTF-8 string or bytes), a PEM, a JWK or a key.
 *
 * @example
 * ```ts
 * const key: VendorKeyInput = process.env.KUSTOMER_KB_SECRET!
 * ```
 */
export type VendorKeyInput = string | Uint8Array | CryptoKey | KeyObject | JWK

/**
 * A key ready for verification (import once with `importVendorKey`, reuse per request).
 *
 * @example
 * ```ts
 * const key: VendorVerifyKey = await importVendorKey('bettermode', secret)
 * ```
 */
export type VendorVerifyKey = CryptoKey | KeyObject | Uint8Array

/**
 * The verified claims of a vendor token.
 *
 * @example
 * ```ts
 * const claims: VendorClaims = await verifyVendorToken('bettermode', token, key)
 * claims.sub // 'u_1'
 * ```
 */
export type VendorClaims = Record<string, unknown>

/**
 * Options of `verifyVendorToken`.
 *
 * @example
 * ```ts
 * const options: VerifyVendorTokenOptions = { now: Date.UTC(2025, 0, 15), seenJti: new Set() }
 * ```
 */
export interface VerifyVendorTokenOptions {
  /** The current time, in ms since the epoch or as a Date. (default: `Date.now()`) */
  now?: number | Date
  /** Komo's configured algorithm; others are pinned to HS256. (default: `'HS256'`) */
  algorithm?: KomoAlgorithm
  /** Comm100: the `jti`s already used; a repeat is refused, a new one is added on success. */
  seenJti?: Set<string>
  /** Refuse tokens whose `iat` is older than this. (default: `900` for Kustomer, none otherwise) */
  maxAgeSeconds?: number
  /** Comm100: the longest `exp - iat` accepted. (default: `1800`) */
  maxLifetimeSeconds?: number
  /** Clock skew allowed on `exp`, `nbf`, `iat` and the age checks. (default: `5`) */
  clockToleranceSeconds?: number
  /** Komo: the `iss` the token must carry when set. (default: not checked) */
  issuer?: string
}

const PREFIX: Record<TokenVendor, string> = {
  komo: 'Komo could not verify the SSO token',
  kustomer: 'Kustomer could not sign you in with the external token',
  comm100: 'Comm100 JWT SSO failed',
  bettermode: 'Bettermode could not log you in with the SSO token',
}

/**
 * A vendor's refusal of a token, with a stable `code` and a vendor-style message naming the claim.
 *
 * @example
 * ```ts
 * try {
 *   await verifyVendorToken('kustomer', token, secret)
 * } catch (err) {
 *   if (err instanceof VendorTokenError && err.code === 'too_old') console.log(err.claim) // 'iat'
 * }
 * ```
 */
export class VendorTokenError extends Error {
  readonly code: VendorTokenErrorCode
  readonly vendor: TokenVendor
  /** The claim (or header parameter) at fault, when there is one. */
  readonly claim: string | undefined

  constructor(vendor: TokenVendor, code: VendorTokenErrorCode, detail: string, claim?: string) {
    super(`${PREFIX[vendor]}: ${detail}`)
    this.name = 'VendorTokenError'
    this.vendor = vendor
    this.code = code
    this.claim = claim
  }
}

function pinnedAlgorithm(vendor: TokenVendor, algorithm: KomoAlgorithm | undefined): KomoAlgorithm {
  if (vendor !== 'komo') return 'HS256'
  const alg = algorithm ?? 'HS256'
  if (alg !== 'HS256' && alg !== 'RS256' && alg !== 'ES256') {
    throw new TypeError(`Komo accepts HS256, RS256 or ES256, not ${JSON.stringify(alg)}`)
  }
  return alg
}

function isKeyLike(key: unknown): key is CryptoKey | KeyObject {
  return (
    typeof key === 'object' &&
    key !== null &&
    !(key instanceof Uint8Array) &&
    'type' in key &&
    typeof (key as { type: unknown }).type === 'string' &&
    !('kty' in key)
  )
}

/**
 * Imports a vendor's verification key once: a shared secret as its UTF-8 bytes for HS256 (never
 * base64-decoded), or a PEM (SPKI or X.509) / JWK public key for Komo's RS256 and ES256.
 *
 * @example
 * ```ts
 * const key = await importVendorKey('comm100', process.env.COMM100_SSO_SECRET!)
 * const claims = await verifyVendorToken('comm100', token, key, { seenJti })
 * ```
 */
export async function importVendorKey(
  vendor: TokenVendor,
  key: VendorKeyInput,
  options: { algorithm?: KomoAlgorithm } = {},
): Promise<VendorVerifyKey> {
  const alg = pinnedAlgorithm(vendor, options.algorithm)
  if (isKeyLike(key)) return key
  if (alg === 'HS256') {
    if (typeof key === 'string' || key instanceof Uint8Array) {
      const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key
      if (bytes.length === 0) throw new TypeError(`${vendor}: the shared secret is empty`)
      return globalThis.crypto.subtle.importKey(
        'raw',
        bytes as Uint8Array<ArrayBuffer>,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['verify'],
      )
    }
    return importJWK(key, alg)
  }
  if (typeof key === 'string') {
    return key.includes('BEGIN CERTIFICATE') ? importX509(key, alg) : importSPKI(key, alg)
  }
  if (key instanceof Uint8Array) {
    throw new TypeError(`komo: a ${alg} public key must be a PEM string, a JWK or a key object`)
  }
  return importJWK(key, alg)
}

/**
 * Verifies a token the way the vendor does: pinned algorithm (HS256; Komo HS256 or its configured
 * RS256/ES256 — `none` and everything else is `wrong_algorithm`), signature, then the vendor's
 * required claims, limits and lifetime. Resolves to the claims or throws a `VendorTokenError`.
 *
 * - komo: `sub`, `email`, `exp` > now, `iat` not in the future, `iss` when `issuer` is set.
 * - kustomer: `email`, `iat` not in the future and at most 15 minutes old.
 * - comm100: `email`, `jti` (not seen before, with `seenJti`), `iat`, `nbf`, `exp`,
 *   `aud` = `"Comm100"`, lifetime at most 30 minutes.
 * - bettermode: `sub` (≤ 50), `name`, `email` (≤ 200), `exp` in the future, `picture` http(s),
 *   `spacesOperation` ADD|REPLACE, `spaceIds`/`spaces` arrays.
 *
 * @example
 * ```ts
 * const claims = await verifyVendorToken('kustomer', token, 'kb-secret', { now: Date.now() })
 * claims.email // 'ada@example.com'
 * ```
 */
export async function verifyVendorToken(
  vendor: TokenVendor,
  token: string,
  key: VendorKeyInput,
  options: VerifyVendorTokenOptions = {},
): Promise<VendorClaims> {
  const fail = (code: VendorTokenErrorCode, detail: string, claim?: string): never => {
    throw new VendorTokenError(vendor, code, detail, claim)
  }
  const alg = pinnedAlgorithm(vendor, options.algorithm)
  if (typeof token !== 'string' || token.length > 16_384 || token.split('.').length !== 3) {
    fail('malformed', 'the token is not a compact JWS (header.payload.signature).')
  }
  let header: { alg?: unknown }
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return fail('malformed', 'the token header cannot be decoded.')
  }
  if (header.alg !== alg) {
    const shown =
      typeof header.alg === 'string' ? JSON.stringify(header.alg.slice(0, 20)) : 'no algorithm'
    fail('wrong_algorithm', `the token is signed with ${shown}; only ${alg} is accepted.`, 'alg')
  }
  const verifyKey = isKeyLike(key) ? key : await importVendorKey(vendor, key, { algorithm: alg })
  let payload: Uint8Array
  try {
    ;({ payload } = await compactVerify(token, verifyKey, { algorithms: [alg] }))
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed) {
      return fail('bad_signature', 'the signature does not match the configured key.')
    }
    if (err instanceof errors.JOSEError) return fail('malformed', 'the token cannot be parsed.')
    throw err
  }
  let claims: unknown
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
  } catch {
    return fail('malformed', 'the token payload is not JSON.')
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    return fail('malformed', 'the token payload is not a JSON object.')
  }
  const c = claims as VendorClaims
  const nowMs = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now())
  const check = new ClaimChecker(c, fail, nowMs / 1000, options.clockToleranceSeconds ?? 5)
  RULES[vendor](check, options)
  return c
}

type Fail = (code: VendorTokenErrorCode, detail: string, claim?: string) => never

class ClaimChecker {
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

function describeSeconds(seconds: number): string {
  if (seconds % 60 === 0) {
    const minutes = seconds / 60
    return `${minutes} minute${minutes === 1 ? '' : 's'}`
  }
  return `${seconds} seconds`
}

const RULES: Record<TokenVendor, (check: ClaimChecker, options: VerifyVendorTokenOptions) => void> =
  {
    komo(check, options) {
      check.string('sub', { required: true })
      check.email()
      check.string('first_name')
      check.string('last_name')
      check.lifetime({
        exp: true,
        iat: false,
        nbf: false,
        ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
      })
      if (options.issuer !== undefined && check.claims.iss !== options.issuer) {
        check.fail(
          'bad_issuer',
          `the "iss" claim must be ${JSON.stringify(options.issuer)}.`,
          'iss',
        )
      }
    },

    kustomer(check, options) {
      check.email()
      check.lifetime({
        exp: false,
        iat: true,
        nbf: false,
        maxAgeSeconds: options.maxAgeSeconds ?? 900,
      })
    },

    comm100(check, options) {
      check.email()
      check.string('name')
      const jti = check.string('jti', { required: true }) as string
      const aud = check.claims.aud
      if (aud === undefined) check.fail('missing_claim', 'the "aud" claim is required.', 'aud')
      const audiences = Array.isArray(aud) ? aud : [aud]
      if (!audiences.includes('Comm100')) {
        check.fail('bad_audience', 'the "aud" claim must be "Comm100".', 'aud')
      }
      const { exp, iat } = check.lifetime({
        exp: true,
        iat: true,
        nbf: true,
        ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
      })
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

    bettermode(check, options) {
      check.string('sub', { required: true, max: 50 })
      check.string('name', { required: true })
      check.email({ max: 200 })
      check.string('tagline')
      const picture = check.string('picture')
      if (picture !== undefined && !isHttpUrl(picture)) {
        check.fail(
          'invalid_claim',
          'the "picture" claim must be a full http:// or https:// URL.',
          'picture',
        )
      }
      const op = check.claims.spacesOperation
      if (op !== undefined && op !== 'ADD' && op !== 'REPLACE') {
        check.fail(
          'invalid_claim',
          'the "spacesOperation" claim must be "ADD" or "REPLACE".',
          'spacesOperation',
        )
      }
      const spaceIds = check.claims.spaceIds
      if (
        spaceIds !== undefined &&
        !(Array.isArray(spaceIds) && spaceIds.every((id) => typeof id === 'string'))
      ) {
        check.fail(
          'invalid_claim',
          'the "spaceIds" claim must be an array of space IDs.',
          'spaceIds',
        )
      }
      const spaces = check.claims.spaces
      if (
        spaces !== undefined &&
        !(
          Array.isArray(spaces) &&
          spaces.every(
            (s: unknown) =>
              typeof s === 'object' &&
              s !== null &&
              typeof (s as { spaceId?: unknown }).spaceId === 'string',
          )
        )
      ) {
        check.fail(
          'invalid_claim',
          'the "spaces" claim must be an array of { spaceId, role, action }.',
          'spaces',
        )
      }
      check.lifetime({
        exp: true,
        iat: false,
        nbf: false,
        ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
      })
    },
  }

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}
