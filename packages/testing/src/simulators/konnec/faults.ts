/**
 * The two Konnec API routes the app calls.
 *
 * @example
 * ```ts
 * const route: KonnecApiRoute = 'generate-token'
 * konnec.calls[route] // 1
 * ```
 */
export type KonnecApiRoute = 'update' | 'generate-token'

/**
 * What goes wrong on an API call. Kinds that replace the answer act before the credentials are
 * checked, as an upstream proxy would (`latency`, `status`, `reset`, `hang`, `redirect`,
 * `malformed`, `endless`, `announce`); kinds that reshape the answer let the call be served first
 * (credentials checked, user saved, token issued) and change only how its answer is written
 * (`body-size`, `plain-token`, `unquoted`, `token-field`). A refused call (bad credentials, unknown
 * user) is answered as usual by a reshaping kind, and still counts towards `times`.
 *
 * @example
 * ```ts
 * const fault: KonnecFault = { kind: 'latency', ms: 6000 }
 * konnec.inject({ kind: 'redirect', status: 307, location: 'http://127.0.0.1:9/elsewhere', on: 'update' })
 * konnec.inject({ kind: 'body-size', bytes: 64 * 1024 + 1, contentLength: false })
 * ```
 */
export type KonnecFault =
  /** The answer is delayed by `ms`, then the call is served normally. */
  | { kind: 'latency'; ms: number }
  /** The call is answered with this status and a JSON error body instead of being served. */
  | { kind: 'status'; status: number }
  /** The connection is destroyed before any answer (the client sees ECONNRESET). */
  | { kind: 'reset' }
  /** A 200 whose `application/json` body is cut off mid-object. */
  | { kind: 'malformed' }
  /**
   * Nothing is ever written: the request stays open until the client gives up (its timeout) or
   * `close()` ends it.
   */
  | { kind: 'hang' }
  /**
   * A redirect with an empty body: `status` (a 3xx; default `302`) and `Location: location`
   * exactly as given (absolute or relative; it must be a valid header value).
   */
  | { kind: 'redirect'; location: string; status?: number }
  /**
   * The call is served, and its JSON answer is padded (a `"pad"` field of `x`s) to exactly `bytes`
   * bytes, written in 16 KiB chunks as fast as the client reads, with `Content-Length` when
   * `contentLength` (default `true`) or chunked otherwise. An answer already longer than `bytes`
   * becomes a 500 `injected_fault_too_small`. On generate-token the token in it is real.
   */
  | { kind: 'body-size'; bytes: number; contentLength?: boolean }
  /**
   * A 200 `application/json` answer, chunked, whose body never ends: 16 KiB chunks of JSON
   * whitespace as fast as the client reads, until the client closes the connection.
   */
  | { kind: 'endless' }
  /**
   * A 200 `application/json` with `Content-Length: contentLength` whose headers are sent and then
   * nothing: no body byte ever follows; the connection stays open until the client closes it.
   */
  | { kind: 'announce'; contentLength: number }
  /**
   * generate-token only: the body is the bare refresh token, labelled `contentType` (default
   * `application/json; charset=utf-8`, i.e. mislabelled; pass `text/plain; charset=utf-8` for
   * Konnec's plain-text form). The token is `rt_` and `tokenBytes` random bytes in base64url
   * (default `32`); starting with letters, a short one (e.g. `12`) is quoted whole in V8's
   * `JSON.parse` error message, the leak to test for.
   */
  | { kind: 'plain-token'; contentType?: string; tokenBytes?: number }
  /** generate-token only: `{"refreshToken": <token>}` with the token not quoted (invalid JSON). */
  | { kind: 'unquoted' }
  /** generate-token only: the token under another JSON field, `{ [field]: token }`. */
  | { kind: 'token-field'; field: string }

/**
 * When a fault applies.
 */
export interface KonnecFaultOptions {
  /** Hit this many calls, then the fault clears itself. (default: until `clearFaults()`) */
  times?: number
  /**
   * The fraction of matching calls hit, 0..1, deterministically: the n-th matching call is hit
   * when `floor(n * rate)` grows, so `0.5` hits the 2nd, 4th, 6th... (default: `1`)
   */
  rate?: number
  /**
   * Which API route it applies to. (default: `'any'`; `'generate-token'` for `plain-token`,
   * `unquoted` and `token-field`, which only that route's answer can carry)
   */
  on?: KonnecApiRoute | 'any'
}

/**
 * A fault and when it applies, for `inject`.
 *
 * @example
 * ```ts
 * konnec.inject({ kind: 'status', status: 503, rate: 0.5, on: 'generate-token' })
 * ```
 */
export type KonnecFaultSpec = KonnecFault & KonnecFaultOptions

/** The kinds that reshape a served generate-token answer. */
const TOKEN_KINDS: ReadonlySet<KonnecFault['kind']> = new Set([
  'plain-token',
  'unquoted',
  'token-field',
])

interface ActiveFault {
  fault: KonnecFault
  on: KonnecApiRoute | 'any'
  rate: number
  remaining: number
  seen: number
}

/** The injected faults, first injected first; each call takes at most one. */
export class FaultQueue {
  #faults: ActiveFault[] = []

  add(spec: KonnecFaultSpec): void {
    this.#faults.push(normaliseFault(spec))
  }

  clear(): void {
    this.#faults = []
  }

  /** The fault that hits this call, counting it, or `undefined`. */
  take(apiRoute: KonnecApiRoute): KonnecFault | undefined {
    for (const active of this.#faults) {
      if (active.on !== 'any' && active.on !== apiRoute) continue
      active.seen += 1
      if (Math.floor(active.seen * active.rate) === Math.floor((active.seen - 1) * active.rate))
        continue
      active.remaining -= 1
      if (active.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== active)
      return active.fault
    }
    return undefined
  }
}

const KINDS =
  'latency, status, reset, malformed, hang, redirect, body-size, endless, announce, plain-token, unquoted or token-field'

/** Checks a spec at `inject`, so a bad one fails in the test that wrote it, not mid-request. */
function normaliseFault(spec: KonnecFaultSpec): ActiveFault {
  const fault = faultOf(spec)
  const { times, rate = 1 } = spec
  const on = spec.on ?? (TOKEN_KINDS.has(fault.kind) ? 'generate-token' : 'any')
  if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
    throw new RangeError('konnec inject: `times` must be a whole number >= 1')
  }
  if (!(rate >= 0 && rate <= 1))
    throw new RangeError('konnec inject: `rate` must be between 0 and 1')
  if (on !== 'any' && on !== 'update' && on !== 'generate-token') {
    throw new TypeError("konnec inject: `on` must be 'update', 'generate-token' or 'any'")
  }
  if (TOKEN_KINDS.has(fault.kind) && on !== 'generate-token') {
    throw new TypeError(
      `konnec inject: a ${fault.kind} fault shapes the refresh token, which only generate-token answers; use on: 'generate-token'`,
    )
  }
  return { fault, on, rate, remaining: times ?? Number.POSITIVE_INFINITY, seen: 0 }
}

function faultOf(spec: KonnecFaultSpec): KonnecFault {
  switch (spec.kind) {
    case 'latency':
      if (!Number.isFinite(spec.ms) || spec.ms < 0) {
        throw new RangeError('konnec inject: latency `ms` must be a number >= 0')
      }
      return { kind: 'latency', ms: spec.ms }
    case 'status':
      if (!Number.isInteger(spec.status) || spec.status < 200 || spec.status > 599) {
        throw new RangeError('konnec inject: `status` must be an HTTP status between 200 and 599')
      }
      return { kind: 'status', status: spec.status }
    case 'reset':
    case 'malformed':
    case 'hang':
    case 'endless':
    case 'unquoted':
      return { kind: spec.kind }
    case 'redirect': {
      const status = spec.status ?? 302
      if (!Number.isInteger(status) || status < 300 || status > 399) {
        throw new RangeError('konnec inject: a redirect `status` must be a 3xx')
      }
      if (!isHeaderValue(spec.location) || spec.location === '') {
        throw new TypeError(
          'konnec inject: a redirect needs a `location` that is a valid header value',
        )
      }
      return { kind: 'redirect', status, location: spec.location }
    }
    case 'body-size':
      if (!Number.isSafeInteger(spec.bytes) || spec.bytes < 0) {
        throw new RangeError('konnec inject: body-size `bytes` must be a whole number >= 0')
      }
      return { kind: 'body-size', bytes: spec.bytes, contentLength: spec.contentLength ?? true }
    case 'announce':
      if (!Number.isSafeInteger(spec.contentLength) || spec.contentLength < 1) {
        throw new RangeError('konnec inject: announce `contentLength` must be a whole number >= 1')
      }
      return { kind: 'announce', contentLength: spec.contentLength }
    case 'plain-token': {
      const contentType = spec.contentType ?? 'application/json; charset=utf-8'
      const tokenBytes = spec.tokenBytes ?? 32
      if (!isHeaderValue(contentType) || contentType === '') {
        throw new TypeError('konnec inject: plain-token `contentType` must be a valid header value')
      }
      if (!Number.isInteger(tokenBytes) || tokenBytes < 1 || tokenBytes > 1024) {
        throw new RangeError('konnec inject: plain-token `tokenBytes` must be between 1 and 1024')
      }
      return { kind: 'plain-token', contentType, tokenBytes }
    }
    case 'token-field':
      if (typeof spec.field !== 'string' || spec.field === '') {
        throw new TypeError('konnec inject: token-field needs a non-empty `field`')
      }
      return { kind: 'token-field', field: spec.field }
    default:
      throw new TypeError(
        `konnec inject: unknown fault kind ${JSON.stringify((spec as { kind: unknown }).kind)}; use ${KINDS}`,
      )
  }
}

/** What Node accepts as a header value (it throws on anything else at `writeHead`). */
function isHeaderValue(value: unknown): value is string {
  return typeof value === 'string' && !/[^\t\u0020-\u007e\u0080-\u00ff]/.test(value)
}
