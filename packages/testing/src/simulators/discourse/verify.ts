import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Why Discourse refuses a DiscourseConnect payload before reading it.
 *
 * @example
 * ```ts
 * const code: DiscoursePayloadErrorCode = 'bad_signature'
 * ```
 */
export type DiscoursePayloadErrorCode = 'invalid_base64' | 'bad_signature' | 'invalid_payload'

/**
 * A DiscourseConnect payload Discourse would refuse (422), with a stable `code`. The message never
 * contains the expected signature.
 *
 * @example
 * ```ts
 * try {
 *   verifyDiscoursePayload(sso, sig, secret)
 * } catch (err) {
 *   if (err instanceof DiscoursePayloadError) console.log(err.code) // 'bad_signature'
 * }
 * ```
 */
export class DiscoursePayloadError extends Error {
  readonly code: DiscoursePayloadErrorCode

  constructor(code: DiscoursePayloadErrorCode, message: string) {
    super(message)
    this.name = 'DiscoursePayloadError'
    this.code = code
  }
}

/**
 * The fields of a verified DiscourseConnect payload, as strings (`admin=true` stays `'true'`).
 *
 * @example
 * ```ts
 * const fields: DiscoursePayload = verifyDiscoursePayload(sso, sig, secret)
 * fields.external_id // 'u_1'
 * ```
 */
export type DiscoursePayload = Readonly<Record<string, string>>

/** Discourse's check on the `sso` parameter: Base64 characters and line breaks only. */
const BASE64_PATTERN = /^[A-Za-z0-9=\r\n/+]+$/

function hexSignature(payload: string, secret: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(payload, 'utf8').digest('hex')
}

function requireSecret(secret: unknown): string {
  if (typeof secret !== 'string' || secret === '') {
    throw new TypeError('discourse: the discourse_connect_secret must be a non-empty string')
  }
  return secret
}

/**
 * Builds a signed DiscourseConnect payload as Discourse does: the fields as a query string
 * (UTF-8), standard Base64 with padding, and `sig` = lowercase hex HMAC-SHA256 of that Base64
 * with the secret's UTF-8 bytes.
 *
 * @example
 * ```ts
 * const { sso, sig } = signDiscoursePayload({ nonce, return_sso_url: `${forum}/session/sso_login` }, secret)
 * await fetch(`${app}/sso/discourse/login?sso=${encodeURIComponent(sso)}&sig=${sig}`)
 * ```
 */
export function signDiscoursePayload(
  fields: Readonly<Record<string, string>>,
  secret: string,
): { sso: string; sig: string } {
  const sso = Buffer.from(new URLSearchParams(fields).toString(), 'utf8').toString('base64')
  return { sso, sig: hexSignature(sso, requireSecret(secret)) }
}

/**
 * Checks a DiscourseConnect payload the way Discourse's `/session/sso_login` does before it looks
 * at the fields: `sso` only Base64 characters and line breaks, `sig` the hex HMAC-SHA256 of
 * `sso` (compared in constant time), then Base64, UTF-8 and query-string decoding. A field given
 * twice is refused too (Discourse would keep the last one; a test should not rely on that).
 * Throws `DiscoursePayloadError`; the nonce and user rules are the simulator's.
 *
 * @example
 * ```ts
 * const location = new URL(res.headers.get('location')!)
 * const fields = verifyDiscoursePayload(location.searchParams.get('sso')!, location.searchParams.get('sig')!, secret)
 * expect(fields).toMatchObject({ nonce, external_id: 'u_1', email: 'ada@example.com' })
 * ```
 */
export function verifyDiscoursePayload(sso: string, sig: string, secret: string): DiscoursePayload {
  const key = requireSecret(secret)
  if (typeof sso !== 'string' || !BASE64_PATTERN.test(sso)) {
    throw new DiscoursePayloadError(
      'invalid_base64',
      'The sso parameter must be Base64 (A-Z, a-z, 0-9, +, / and =).',
    )
  }
  const expected = Buffer.from(hexSignature(sso, key), 'utf8')
  const given = Buffer.from(typeof sig === 'string' ? sig : '', 'utf8')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new DiscoursePayloadError(
      'bad_signature',
      'The sig parameter does not match the payload signed with the DiscourseConnect secret.',
    )
  }
  let text: string
  try {
    // Node's Base64 decoder skips the line breaks Discourse tolerates.
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(sso, 'base64'))
  } catch {
    throw new DiscoursePayloadError('invalid_payload', 'The payload is not UTF-8 text.')
  }
  const fields: Record<string, string> = {}
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, name)) {
      throw new DiscoursePayloadError(
        'invalid_payload',
        `The payload has the field "${name.slice(0, 40)}" more than once.`,
      )
    }
    fields[name] = value
  }
  return fields
}
