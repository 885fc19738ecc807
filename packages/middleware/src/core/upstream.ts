import { SsoError } from './errors'
import type { VendorId } from './types'

// The one module for server-to-server calls that carry a secret (an API key in a header): how a
// value becomes a path segment of the upstream URL, and how the call is made (timeout, no
// redirects, a bounded body, one retry). Messages and causes name the call, never the URL (it
// holds user values), a header (the key) or the body (a token).

/**
 * Why `value` cannot be sent as one path segment of an upstream URL, or `undefined` when it can.
 * `.` and `..` would be collapsed by the URL parser, sending the call to another endpoint, and
 * encoding the dots cannot save them (WHATWG URL treats `%2e` as a dot too), so they are refused.
 * The problem never quotes the value.
 *
 * @example
 * pathSegmentProblem('..') // 'must not be "." or ".." (the URL parser would collapse it)'
 */
export function pathSegmentProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string'
  if (value.length === 0) return 'must not be empty'
  if (value === '.' || value === '..') {
    return 'must not be "." or ".." (the URL parser would collapse it)'
  }
  if (!WELL_FORMED.test(value)) return 'must be well-formed Unicode (it holds a lone surrogate)'
  return undefined
}

/** No lone surrogate: `encodeURIComponent` throws a URIError on one. */
const WELL_FORMED = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/

/**
 * `value` percent-encoded as exactly one path segment: everything but `A-Z a-z 0-9 - . _ ~` is
 * encoded, including `! ' ( ) *`, which `encodeURIComponent` leaves and some servers treat
 * specially. A value that cannot be one segment (see `pathSegmentProblem`) is refused with the
 * error `refuse(problem)` returns, so each caller picks its code (config or user error).
 *
 * @example
 * pathSegment('alice l', (p) => new Error(`username ${p}`)) // 'alice%20l'
 */
export function pathSegment(value: unknown, refuse: (problem: string) => Error): string {
  const problem = pathSegmentProblem(value)
  if (problem !== undefined) throw refuse(problem)
  return encodeURIComponent(value as string).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** One encoded path segment: unreserved characters and `%XX` escapes, and not a dot segment. */
const SAFE_SEGMENT = /^(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+$/
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i

/**
 * `base` (an absolute URL checked at construction, without a trailing slash) followed by the
 * segments: literals such as `'api'`, and values through `pathSegment`. A segment that is not
 * already safe (a raw value slipped in unencoded) is a bug here, refused before any call.
 *
 * @example
 * upstreamUrl('https://api.konnec.to', ['api', 'organization', pathSegment(orgId, refuse)])
 */
export function upstreamUrl(base: string, segments: readonly string[]): string {
  for (const segment of segments) {
    if (!SAFE_SEGMENT.test(segment) || DOT_SEGMENT.test(segment)) {
      throw new SsoError('ERR_SSO_INTERNAL', 'An upstream URL segment was not encoded.')
    }
  }
  return `${base}/${segments.join('/')}`
}

/**
 * Why `value` cannot be sent as an HTTP header value (an API key, an org id), or `undefined` when
 * it can. fetch would throw on it at every call, quoting the value in its message, or trim it
 * silently; check configured values at construction instead. The problem never quotes the value.
 *
 * @example
 * headerValueProblem('key\n') // 'must not hold control characters or line breaks'
 */
export function headerValueProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return 'must not hold control characters or line breaks'
    if (code > 0xff) return 'must hold only Latin-1 characters'
  }
  if (value.startsWith(' ') || value.endsWith(' ')) return 'must not start or end with a space'
  return undefined
}

/** One server-to-server call. */
export interface UpstreamRequest {
  /** From `upstreamUrl`. */
  url: string
  /** (default: `'POST'`) */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  headers: Record<string, string>
  body?: string
}

/** How calls to one upstream are made and reported. */
export interface UpstreamPolicy {
  vendor: VendorId
  /** Names the call in messages, e.g. `"Konnec's update"`: never a URL nor a value. */
  label: string
  /** Shown to the end user on failure. */
  userMessage: string
  /** Timeout of each attempt, answer body included, in ms. */
  timeoutMs: number
  /** Wait before the one retry of a connection error or 502/503/504, in ms. */
  retryDelayMs: number
  /** The largest answer body read, in bytes; a larger one is refused while it streams. */
  maxBodyBytes: number
}

/** A 2xx answer, its body read whole (within `maxBodyBytes`). */
export interface UpstreamAnswer {
  status: number
  text: string
  contentType: string
}

const RETRY_STATUSES = new Set([502, 503, 504])

/**
 * Makes one call: a timeout per attempt (504), redirects never followed (any 3xx is a 502 and
 * the target receives nothing), one retry after `retryDelayMs` on a connection error or a
 * 502/503/504 (other statuses and timeouts are not retried), and the body read chunk by chunk,
 * cancelled as soon as it passes `maxBodyBytes` (or refused unread when `Content-Length`
 * announces more). Every failure is `ERR_SSO_VENDOR_UNAVAILABLE`.
 *
 * @example
 * const answer = await callUpstream(
 *   { url, headers: { 'x-api-key': apiKey }, body: '{}' },
 *   { vendor: 'acme', label: "Acme's update", userMessage: 'Acme is not answering.', timeoutMs: 5000, retryDelayMs: 100, maxBodyBytes: 65536 },
 * )
 */
export async function callUpstream(
  request: UpstreamRequest,
  policy: UpstreamPolicy,
): Promise<UpstreamAnswer> {
  const fail = (message: string, status = 502, cause?: unknown) =>
    new SsoError('ERR_SSO_VENDOR_UNAVAILABLE', `${policy.label} ${message}`, {
      status,
      vendor: policy.vendor,
      cause,
      userMessage: policy.userMessage,
    })
  for (let attempt = 1; ; attempt++) {
    const last = attempt === 2
    const signal = AbortSignal.timeout(policy.timeoutMs)
    let response: Response
    try {
      response = await fetch(request.url, {
        method: request.method ?? 'POST',
        headers: request.headers,
        body: request.body,
        // A redirect would resend the key (and the body) to wherever Location says.
        redirect: 'manual',
        signal,
      })
    } catch (error) {
      if (isTimeout(error)) throw fail(`call timed out after ${policy.timeoutMs} ms.`, 504)
      if (!last) {
        await delay(policy.retryDelayMs)
        continue
      }
      throw fail('call failed to connect.', 502, redact(error))
    }
    const { status } = response
    if (status < 200 || status > 299) {
      discard(response)
      if (RETRY_STATUSES.has(status) && !last) {
        await delay(policy.retryDelayMs)
        continue
      }
      if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
        throw fail(`call answered a redirect (${status}); redirects are not followed.`)
      }
      throw fail(`call answered ${status}.`)
    }
    const text = await readBody(response, policy.maxBodyBytes, fail, policy.timeoutMs)
    return { status, text, contentType: response.headers.get('content-type') ?? '' }
  }
}

/** Reads the body as UTF-8 text, never holding more than `max` bytes of it. */
async function readBody(
  response: Response,
  max: number,
  fail: (message: string, status?: number, cause?: unknown) => SsoError,
  timeoutMs: number,
): Promise<string> {
  const announced = response.headers.get('content-length')
  if (announced !== null && /^\d+$/.test(announced.trim()) && Number(announced) > max) {
    discard(response)
    throw fail('answer is too large.')
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > max) {
        reader.cancel().catch(() => {})
        throw fail('answer is too large.')
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof SsoError) throw error
    if (isTimeout(error)) throw fail(`answer timed out after ${timeoutMs} ms.`, 504)
    throw fail('answer was cut off.', 502, redact(error))
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  // As Response.text() decodes: UTF-8, a leading BOM dropped, bad bytes replaced.
  return new TextDecoder().decode(bytes)
}

/** Drops an answer's body unread, closing the connection if it is still streaming. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => {})
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
}

/** Keeps a connection error's kind, never the URL (it holds user values) nor headers. */
function redact(error: unknown): Error {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code
  return new Error(typeof code === 'string' ? code : 'connection failed')
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
