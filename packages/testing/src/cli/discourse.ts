import { DiscoursePayloadError, verifyDiscoursePayload } from '../simulators/discourse/verify'
import type { CheckLine, TokenReport } from './check'

const FIXES: Record<string, string> = {
  invalid_base64:
    'Send sso exactly as signed, percent-encoded in the URL (a "+" left raw in a query string is read as a space).',
  bad_signature:
    "Sign sso (the Base64 text, as sent) with HMAC-SHA256 and the forum's discourse_connect_secret as UTF-8 bytes, as lowercase hex; check this check's secret is the same value.",
  invalid_payload:
    'Build the payload with URLSearchParams from UTF-8 text, each field once, then Base64 it.',
}

/**
 * Checks a DiscourseConnect `sso` + `sig` pair with `verifyDiscoursePayload`, the simulator's
 * own check, and lists the payload's fields. The nonce (one use, 10 minutes, one browser
 * session) and the user rules are the simulator's request-time checks and are not run here.
 */
export function checkDiscourse(
  sso: string,
  sig: string,
  secret: string,
  keySource: string,
): TokenReport {
  const checks: CheckLine[] = []
  let fields: Record<string, string> | undefined
  let refusal: TokenReport['refusal'] = null
  try {
    fields = { ...verifyDiscoursePayload(sso, sig, secret) }
  } catch (err) {
    if (!(err instanceof DiscoursePayloadError)) throw err
    refusal = { code: err.code, message: err.message }
  }
  const at = (code: string) => (refusal?.code === code ? refusal : undefined)
  const line = (name: string, code: string, detail: string): CheckLine => {
    const failed = at(code)
    const reached =
      !refusal ||
      ['invalid_base64', 'bad_signature', 'invalid_payload'].indexOf(refusal.code) >=
        ['invalid_base64', 'bad_signature', 'invalid_payload'].indexOf(code)
    if (failed)
      return { name, status: 'fail', detail, code, message: failed.message, fix: FIXES[code] ?? '' }
    return reached
      ? { name, status: 'ok', detail }
      : { name, status: 'skipped', detail: `not checked: ${detail}` }
  }
  checks.push(
    line(
      'sso',
      'invalid_base64',
      `Base64 characters and line breaks only (${sso.length} characters)`,
    ),
  )
  checks.push(
    line('sig', 'bad_signature', `hex HMAC-SHA256 of sso with the secret from ${keySource}`),
  )
  checks.push(line('payload', 'invalid_payload', 'UTF-8 query string, each field once'))
  for (const [name, value] of Object.entries(fields ?? {})) {
    checks.push({ name, status: 'ok', value, detail: 'payload field' })
  }
  return {
    vendor: 'discourse',
    vendorName: 'Discourse',
    ok: refusal === null,
    refusal,
    ...(fields ? { claims: fields } : {}),
    checks,
    notes: [
      "Not checked here: the nonce (it is Discourse's own, one use per browser session) and the user fields (external_id, email), which the simulator checks per request.",
    ],
  }
}
