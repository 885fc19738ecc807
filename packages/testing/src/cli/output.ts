import type { CheckLine, TokenReport } from './check'

/**
 * Characters a terminal would act on rather than show (C0 and C1 controls, DEL, bidirectional
 * overrides, line and paragraph separators): a token's claims are the signer's text, and a claim
 * must not be able to rewrite the lines around it.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g

/** Text with every unsafe character as a `\uXXXX` escape. */
export function safe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return safe(text.length > 200 ? `${text.slice(0, 199)}…` : text)
}

const MARK: Record<CheckLine['status'], string> = { ok: '✓', fail: '✗', absent: '-', skipped: '·' }

/** The report for people: one line per check, each refusal with its message and fix under it. */
export function formatText(report: TokenReport, now: number): string {
  const out: string[] = []
  const failed = report.checks.filter((c) => c.status === 'fail').length
  out.push(
    `sso-check ${report.vendor} at ${new Date(now * 1000).toISOString().replace('.000Z', 'Z')} (${now})`,
  )
  if (report.header) out.push(`  header  ${shown(report.header)}`)
  if (report.claims) out.push(`  claims  ${shown(report.claims)}`)
  for (const check of report.checks) {
    const value = check.value === undefined ? '' : ` ${shown(check.value)}`
    out.push(`${MARK[check.status]} ${safe(check.name)}${value}: ${safe(check.detail)}`)
    if (check.message) out.push(`    ${safe(check.message)}`)
    if (check.fix) out.push(`    fix: ${safe(check.fix)}`)
  }
  for (const note of report.notes) out.push(`  note: ${safe(note)}`)
  out.push(
    report.ok
      ? `OK: ${report.vendorName} accepts this token.`
      : `REFUSED: ${report.vendorName} refuses this token (${failed} check${failed === 1 ? '' : 's'} failed; ${report.vendorName} answers ${report.refusal?.code}).`,
  )
  return `${out.join('\n')}\n`
}

/** The report for scripts: one JSON object (unsafe characters escaped, still valid JSON). */
export function formatJson(report: TokenReport, now: number): string {
  return `${safe(JSON.stringify({ now, ...report }))}\n`
}
