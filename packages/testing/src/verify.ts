import {
  compactVerify,
  decodeProtectedHeader,
  errors,
  importJWK,
  importSPKI,
  importX509,
} from 'jose'
import type { KeyObject } from 'node:crypto'

/**
 * A public JSON Web Key (RFC 7517), as `KeyObject#export({ format: 'jwk' })` gives it. Declared
 * here, not imported from jose, so the CommonJS declarations never import ESM-only types.
 */
export interface PublicJwk {
  kty?: string
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
  alg?: string
  kid?: string
  use?: string
  key_ops?: string[]
  ext?: boolean
}
type JWK = PublicJwk
import { ClaimChecker } from './claims'
import { tokenRules, vendorName } from './vendors'
import type { TokenVendor } from './vendors'

export type { TokenVendor } from './vendors'

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
 */
export type VendorTokenErrorCode =
  | 'malformed'
  | 'wrong_algorithm'
  | 'wrong_type'
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
 */
export type VendorKeyInput = string | Uint8Array | CryptoKey | KeyObject | JWK

/**
 * A key ready for verification (import once with `importVendorKey`, reuse per request).
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
 */
export interface VerifyVendorTokenOptions {
  /** The current time, in ms since the epoch or as a Date. (default: `Date.now()`) */
  now?: number | Date
  /** Komo's configured algorithm; others are pinned to HS256. (default: `'HS256'`) */
  algorithm?: KomoAlgorithm
  /**
   * Comm100, Zendesk: the `jti`s already used; a repeat is refused, a new one is added on success.
   */
  seenJti?: Set<string>
  /**
   * Refuse tokens whose `iat` is older than this.
   * (default: `900` for Kustomer, `180` for Zendesk and Metabase, none otherwise)
   */
  maxAgeSeconds?: number
  /** Comm100: the longest `exp - iat` accepted. (default: `1800`) */
  maxLifetimeSeconds?: number
  /** Clock skew allowed on `exp`, `nbf`, `iat` and the age checks. (default: `5`) */
  clockToleranceSeconds?: number
  /** Komo: the `iss` the token must carry when set. (default: not checked) */
  issuer?: string
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
    super(`${tokenRules(vendor).refusal}: ${detail}`)
    this.name = 'VendorTokenError'
    this.vendor = vendor
    this.code = code
    this.claim = claim
  }
}

function pinnedAlgorithm(vendor: TokenVendor, algorithm: KomoAlgorithm | undefined): KomoAlgorithm {
  const { algorithms } = tokenRules(vendor)
  if (algorithms.length === 1) return algorithms[0]
  const alg = algorithm ?? algorithms[0]
  if (!algorithms.includes(alg)) {
    const listed = `${algorithms.slice(0, -1).join(', ')} or ${algorithms.at(-1)}`
    throw new TypeError(`${vendorName(vendor)} accepts ${listed}, not ${JSON.stringify(alg)}`)
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
    return importJWK(key as Parameters<typeof importJWK>[0], alg)
  }
  if (typeof key === 'string') {
    return key.includes('BEGIN CERTIFICATE') ? importX509(key, alg) : importSPKI(key, alg)
  }
  if (key instanceof Uint8Array) {
    throw new TypeError(
      `${vendor}: a ${alg} public key must be a PEM string, a JWK or a key object`,
    )
  }
  return importJWK(key as Parameters<typeof importJWK>[0], alg)
}

/**
 * Verifies a token the way the vendor does: pinned algorithm (HS256; Komo HS256 or its configured
 * RS256/ES256 — `none` and everything else is `wrong_algorithm`), signature, then the vendor's
 * required claims, limits and lifetime (its rules live beside its simulator,
 * `simulators/<vendor>/verify.ts`). Resolves to the claims or throws a `VendorTokenError`.
 *
 * - komo: `sub`, `email`, `exp` > now, `iat` not in the future, `iss` when `issuer` is set.
 * - kustomer: `email`, `iat` not in the future and at most 15 minutes old.
 * - comm100: `email`, `jti` (not seen before, with `seenJti`), `iat`, `nbf`, `exp`,
 *   `aud` = `"Comm100"`, lifetime at most 30 minutes.
 * - bettermode: `sub` (≤ 50), `name`, `email` (≤ 200), `exp` in the future, `picture` http(s),
 *   `spacesOperation` ADD|REPLACE, `spaceIds`/`spaces` arrays.
 * - zendesk: header `typ: "JWT"`, `email`, `name`, `jti` (not seen before, with `seenJti`),
 *   `iat` within ±180 s, `exp` when present, `external_id` a string, `role` user|agent|admin.
 * - intercom: `user_id` a non-empty string, `email`/`name` and every other attribute strings,
 *   `exp` in the future when present.
 * - featurebase: `email` or `userId`, `exp` when present, `profilePicture` https, `iat` not in
 *   the future.
 * - metabase: `email`, `iat` at most 180 s old, `exp` when present, `first_name`/`last_name`
 *   strings, `groups` an array of names.
 * - canny: `id`, `email`, `name`, `exp` when present, `avatarURL` https, `created` ISO 8601.
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
  let header: Record<string, unknown>
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
  tokenRules(vendor).header?.(header, fail)
  const c = claims as VendorClaims
  const nowMs = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now())
  const check = new ClaimChecker(c, fail, nowMs / 1000, options.clockToleranceSeconds ?? 5)
  tokenRules(vendor).check(check, options)
  return c
}
