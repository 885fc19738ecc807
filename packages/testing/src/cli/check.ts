import { VENDORS } from '../vendors'
import type { TokenVendor } from '../vendors'
import { VendorTokenError, verifyVendorToken } from '../verify'
import type { VendorClaims, VendorVerifyKey, VerifyVendorTokenOptions } from '../verify'
import { fixFor } from './fixes'
import { limitByRules, recordRules, requiredByRules } from './record'
import type { RecordedFailure } from './record'
import { duration, relative } from './time'

/** `ok` passed, `fail` refused, `absent` an optional claim not set, `skipped` not reached. */
export type CheckStatus = 'ok' | 'fail' | 'absent' | 'skipped'

/** One line of the report. */
export interface CheckLine {
  /** What was checked: `alg`, `signature`, a header parameter or a claim, or `lifetime`. */
  readonly name: string
  readonly status: CheckStatus
  /** The value checked, as JSON (never the signature or the secret). */
  readonly value?: unknown
  /** The value in words and the vendor's rule for it, e.g. `in 5 min; required, must be in the future`. */
  readonly detail: string
  /** The vendor's refusal, as the simulator words it. */
  readonly message?: string
  readonly code?: string
  /** What to change so the vendor accepts the token. */
  readonly fix?: string
}

/** The whole answer for one token. */
export interface TokenReport {
  readonly vendor: string
  readonly vendorName: string
  readonly ok: boolean
  /** The vendor's answer: `null` when it accepts the token. */
  readonly refusal: {
    readonly code: string
    readonly claim?: string
    readonly message: string
  } | null
  readonly header?: Record<string, unknown>
  readonly claims?: Record<string, unknown>
  readonly checks: CheckLine[]
  /** Shown under the checks, e.g. that the claims are not verified when the signature failed. */
  readonly notes: string[]
}

/**
 * The vendor's configured limits, as its simulator was started with them (`maxAgeSeconds`,
 * `maxLifetimeSeconds`, `clockToleranceSeconds`, Komo's `algorithm` and `issuer`), so the report
 * checks what the simulator checks. `seenJti` is left out: a report never records a `jti`.
 */
export type CheckLimits = Pick<
  VerifyVendorTokenOptions,
  'algorithm' | 'issuer' | 'maxAgeSeconds' | 'maxLifetimeSeconds' | 'clockToleranceSeconds'
>

export interface CheckOptions extends CheckLimits {
  /** Seconds since the epoch. */
  readonly now: number
  /** Where the key came from, named in the signature line (`ZENDESK_SECRET`, `standard input`). */
  readonly keySource: string
}

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  if (part === undefined || !/^[A-Za-z0-9_-]*$/.test(part)) return undefined
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(part, 'base64url'))
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf'])

function describeValue(name: string, value: unknown, now: number): string {
  if (TIME_CLAIMS.has(name) && typeof value === 'number' && Number.isFinite(value)) {
    const iso = Math.abs(value) < 8.64e12 ? new Date(value * 1000).toISOString() : 'far away'
    return `${iso.replace('.000Z', 'Z')}, ${relative(value - now)}`
  }
  return ''
}

/**
 * Checks a JWT the way the vendor's simulator does: `verifyVendorToken` gives the verdict, and
 * the vendor's own rules, run again with refusals recorded, give one line per check.
 */
export async function checkJwt(
  vendor: TokenVendor,
  token: string,
  key: VendorVerifyKey,
  options: CheckOptions,
): Promise<TokenReport> {
  const rules = VENDORS[vendor].token
  const name = VENDORS[vendor].name
  const { now: _now, keySource: _source, ...limits } = options
  const verifyOptions: VerifyVendorTokenOptions = { ...limits, now: options.now * 1000 }
  let refusal: VendorTokenError | undefined
  try {
    await verifyVendorToken(vendor, token, key, verifyOptions)
  } catch (err) {
    if (!(err instanceof VendorTokenError)) throw err
    refusal = err
  }
  const [h, p] = token.split('.')
  const header = decodePart(h)
  const claims = decodePart(p)
  const checks: CheckLine[] = []
  const notes: string[] = []
  const ctx = {
    vendorName: name,
    algorithm: options.algorithm ?? rules.algorithms[0],
    now: options.now,
    claims: claims ?? {},
    header: header ?? {},
  }
  const failLine = (
    lineName: string,
    failure: RecordedFailure | VendorTokenError,
    detail: string,
    value?: unknown,
  ): CheckLine => {
    const message =
      failure instanceof VendorTokenError ? failure.message : `${rules.refusal}: ${failure.detail}`
    return {
      name: lineName,
      status: 'fail',
      ...(value === undefined ? {} : { value }),
      detail,
      code: failure.code,
      message,
      fix: fixFor(
        { code: failure.code, claim: failure.claim, message },
        {
          ...ctx,
          limit: limitFor(failure.code),
        },
      ),
    }
  }

  function limitFor(code: string): number | undefined {
    if (!header || !claims) return undefined
    const opts = { ...verifyOptions, nowSeconds: options.now }
    const iat = typeof claims.iat === 'number' ? claims.iat : options.now
    const shapes: Record<string, (x: number) => VendorClaims> = {
      too_old: (x) => ({ ...claims, iat: options.now - x }),
      issued_in_future: (x) => ({ ...claims, iat: options.now + x }),
      lifetime_too_long: (x) => ({ ...claims, iat, exp: iat + x }),
    }
    const shape = shapes[code]
    return shape && limitByRules(rules, header, shape, code as 'too_old', opts)
  }

  if (!header || !claims || refusal?.code === 'malformed') {
    const failure =
      refusal ?? new VendorTokenError(vendor, 'malformed', 'the token cannot be decoded.')
    checks.push(failLine('format', failure, 'a compact JWS: header.payload.signature'))
    return finish()
  }
  checks.push({ name: 'format', status: 'ok', detail: 'a compact JWS: header.payload.signature' })

  const expected = options.algorithm ?? rules.algorithms[0]
  const algRule =
    rules.algorithms.length === 1
      ? `${name} accepts ${expected} only`
      : `${name} is configured for ${expected} here (it can be set to ${rules.algorithms.join(', ')}; --alg)`
  if (refusal?.code === 'wrong_algorithm') {
    checks.push(failLine('alg', refusal, algRule, header.alg))
  } else {
    checks.push({ name: 'alg', status: 'ok', value: header.alg, detail: algRule })
  }

  const keyWords =
    expected === 'HS256'
      ? `the secret from ${options.keySource}`
      : `the public key from ${options.keySource}`
  if (refusal?.code === 'wrong_algorithm') {
    notes.push('The claims above are decoded, not verified: the algorithm is refused.')
    checks.push({
      name: 'signature',
      status: 'skipped',
      detail: 'not checked: the algorithm is refused first',
    })
  } else if (refusal?.code === 'bad_signature') {
    checks.push(failLine('signature', refusal, `${expected} with ${keyWords}`))
    notes.push('The claims above are decoded, not verified: the signature does not match.')
  } else {
    checks.push({ name: 'signature', status: 'ok', detail: `${expected}, matches ${keyWords}` })
  }

  const recorded = recordRules(rules, header, claims, {
    ...verifyOptions,
    nowSeconds: options.now,
  })
  for (const param of recorded.header.reads) {
    const failure = recorded.header.failures.find((f) => f.claim === param)
    const value = header[param]
    checks.push(
      failure
        ? failLine(param, failure, 'header parameter', value)
        : { name: param, status: 'ok', value, detail: 'header parameter' },
    )
  }

  const { claims: rec } = recorded
  const lifetimeFailure = rec.failures.find((f) => f.code === 'lifetime_too_long')
  for (const claim of rec.reads) {
    const value = claims[claim]
    const failure = rec.failures.find((f) => f.claim === claim && f !== lifetimeFailure)
    // Required means the rules refuse this token without the claim: asked, not assumed from
    // how the rules read it (Featurebase needs `email` only when there is no `userId`).
    const required =
      value === undefined
        ? failure?.code === 'missing_claim'
        : requiredByRules(rules, header, claims, claim, {
            ...verifyOptions,
            nowSeconds: options.now,
          })
    const rule = [
      required ? 'required' : 'optional',
      ...(rec.notes.get(claim) ?? []).filter((n) => n !== 'required' && n !== 'optional'),
    ]
    if (claim === 'iat') {
      const age = limitFor('too_old')
      const ahead = limitFor('issued_in_future')
      if (age !== undefined) rule.push(`at most ${duration(age)} old`)
      if (ahead !== undefined) rule.push(`at most ${duration(ahead)} ahead of the vendor's clock`)
    }
    const words = [describeValue(claim, value, options.now), rule.join(', ')]
      .filter(Boolean)
      .join('; ')
    if (failure) checks.push(failLine(claim, failure, words, value))
    else if (value === undefined)
      checks.push({
        name: claim,
        status: 'absent',
        detail: `not set; ${rule.join(', ')}`,
      })
    else checks.push({ name: claim, status: 'ok', value, detail: words })
  }
  const { exp, iat } = claims
  if (typeof exp === 'number' && typeof iat === 'number') {
    const longest = limitFor('lifetime_too_long')
    const detail = `exp is ${relative(exp - iat, 'after')} iat${longest === undefined ? '' : `; at most ${duration(longest)}`}`
    checks.push(
      lifetimeFailure
        ? failLine('lifetime', lifetimeFailure, detail)
        : { name: 'lifetime', status: 'ok', detail },
    )
  }
  if (rec.incomplete || recorded.header.incomplete) {
    notes.push(`Some of ${name}'s checks could not run after the first refusal.`)
  }
  // The verdict is verifyVendorToken's; make sure its refusal is on a line even if the recording
  // missed it.
  if (refusal && !checks.some((c) => c.status === 'fail' && c.code === refusal.code)) {
    checks.push(failLine(refusal.claim ?? 'token', refusal, 'the vendor refused the token'))
  }
  return finish()

  function finish(): TokenReport {
    return {
      vendor,
      vendorName: name,
      ok: refusal === undefined,
      refusal: refusal
        ? {
            code: refusal.code,
            ...(refusal.claim === undefined ? {} : { claim: refusal.claim }),
            message: refusal.message,
          }
        : null,
      ...(header ? { header } : {}),
      ...(claims ? { claims } : {}),
      checks,
      notes,
    }
  }
}
