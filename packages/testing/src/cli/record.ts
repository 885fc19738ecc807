import { ClaimChecker } from '../claims'
import type { Fail, TokenRules } from '../claims'
import type { VendorClaims, VendorTokenErrorCode, VerifyVendorTokenOptions } from '../verify'

/** One refusal a vendor's rules reported, with the claim (or header parameter) it names. */
export interface RecordedFailure {
  readonly code: VendorTokenErrorCode
  readonly detail: string
  readonly claim: string | undefined
}

/** What running a vendor's rules over a payload showed: every claim they read, in order. */
export interface Recording {
  /** Claims (or header parameters) the rules read, first read first. */
  readonly reads: string[]
  /** What the rules said about each claim through `ClaimChecker` (required, limits). */
  readonly notes: Map<string, string[]>
  /** Every refusal, in the order the rules reached them (the first is the vendor's answer). */
  readonly failures: RecordedFailure[]
  /** The rules stopped early: code after a refusal expected it to have thrown. */
  incomplete: boolean
}

function newRecording(): Recording {
  return { reads: [], notes: new Map(), failures: [], incomplete: false }
}

function note(recording: Recording, claim: string, text: string): void {
  const notes = recording.notes.get(claim) ?? []
  if (!notes.includes(text)) notes.push(text)
  recording.notes.set(claim, notes)
}

/** A view of `target` that records the name of every property read. */
function watched(target: VendorClaims, recording: Recording): VendorClaims {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      if (typeof prop === 'string' && !recording.reads.includes(prop)) recording.reads.push(prop)
      return Reflect.get(obj, prop, receiver)
    },
  })
}

/**
 * The simulator's own `ClaimChecker`, run so that a refusal is recorded instead of thrown: the
 * vendor's rules go on, and every check they make (and every claim they read) is seen. The rules
 * are the vendor's (`simulators/<id>/verify.ts`); nothing here knows what they are.
 */
class RecordingChecker extends ClaimChecker {
  constructor(
    claims: VendorClaims,
    fail: Fail,
    now: number,
    tolerance: number,
    private readonly recording: Recording,
  ) {
    super(claims, fail, now, tolerance)
  }

  /** Runs one of the checker's checks; a check that breaks after a recorded refusal stops there. */
  private guarded<T>(run: () => T): T | undefined {
    try {
      return run()
    } catch {
      return undefined
    }
  }

  override string(name: string, opts: { required?: boolean; max?: number } = {}) {
    note(this.recording, name, opts.required ? 'required' : 'optional')
    if (opts.max !== undefined) note(this.recording, name, `at most ${opts.max} characters`)
    return this.guarded(() => super.string(name, opts))
  }

  override email(opts: { max?: number } = {}) {
    note(this.recording, 'email', 'an email address')
    return this.guarded(() => super.email(opts)) as string
  }

  override time(name: 'exp' | 'iat' | 'nbf', required: boolean) {
    note(this.recording, name, required ? 'required' : 'optional')
    return this.guarded(() => super.time(name, required))
  }

  override lifetime(opts: { exp: boolean; iat: boolean; nbf: boolean; maxAgeSeconds?: number }) {
    note(this.recording, 'exp', 'must be in the future')
    note(this.recording, 'nbf', 'must have passed')
    note(this.recording, 'iat', 'not in the future')
    const times = this.guarded(() => super.lifetime(opts))
    return times ?? {}
  }
}

/**
 * Runs a vendor's header rules and claim rules over a decoded token, recording instead of
 * throwing. `verifyVendorToken` stays the verdict; this shows every check behind it.
 */
export function recordRules(
  rules: TokenRules,
  header: Record<string, unknown>,
  claims: VendorClaims,
  options: VerifyVendorTokenOptions & { nowSeconds: number },
): { header: Recording; claims: Recording } {
  const headerRec = newRecording()
  const claimsRec = newRecording()
  const recorder =
    (recording: Recording): Fail =>
    (code, detail, claim) => {
      recording.failures.push({ code, detail, claim })
      return undefined as never
    }
  try {
    rules.header?.(watched(header, headerRec), recorder(headerRec))
  } catch {
    headerRec.incomplete = true
  }
  const checker = new RecordingChecker(
    watched(claims, claimsRec),
    recorder(claimsRec),
    options.nowSeconds,
    options.clockToleranceSeconds ?? 5,
    claimsRec,
  )
  try {
    rules.check(checker, options)
  } catch {
    claimsRec.incomplete = true
  }
  return { header: headerRec, claims: claimsRec }
}

/**
 * Whether the vendor's rules require `claim`: they are run again without it, and a
 * `missing_claim` naming it means it is required (this finds rules written outside
 * `ClaimChecker`, such as Comm100's `aud`).
 */
export function requiredByRules(
  rules: TokenRules,
  header: Record<string, unknown>,
  claims: VendorClaims,
  claim: string,
  options: VerifyVendorTokenOptions & { nowSeconds: number },
): boolean {
  const { [claim]: _dropped, ...without } = claims
  const { claims: rec } = recordRules(rules, header, without, options)
  return rec.failures.some((f) => f.code === 'missing_claim' && f.claim === claim)
}

/**
 * The largest `x` (whole seconds, up to 30 days) for which the vendor's rules do not refuse
 * `shape(x)` with `code`: the limit behind a refusal, found by asking the rules rather than
 * copying their numbers. `undefined` when even `x = 0` is refused.
 */
export function limitByRules(
  rules: TokenRules,
  header: Record<string, unknown>,
  shape: (x: number) => VendorClaims,
  code: VendorTokenErrorCode,
  options: VerifyVendorTokenOptions & { nowSeconds: number },
): number | undefined {
  const refused = (x: number) =>
    recordRules(rules, header, shape(x), options).claims.failures.some((f) => f.code === code)
  if (refused(0)) return undefined
  let lo = 0
  let hi = 30 * 86_400
  if (!refused(hi)) return undefined
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (refused(mid)) hi = mid
    else lo = mid
  }
  return lo
}
