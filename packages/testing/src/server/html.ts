/** HTML that is already safe to embed (built by `html`). */
export interface SafeHtml {
  readonly __html: string
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch)
}

/** Marks a string as HTML that must not be escaped (only for constants). */
export function raw(value: string): SafeHtml {
  return { __html: value }
}

/**
 * Tagged template that escapes every interpolated value unless it is `SafeHtml`; arrays are
 * joined; `null`, `undefined` and `false` render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((value, i) => {
    out += renderValue(value) + (strings[i + 1] ?? '')
  })
  return { __html: out }
}

function renderValue(value: unknown): string {
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) return value.map(renderValue).join('')
  if (typeof value === 'object' && '__html' in value) return String((value as SafeHtml).__html)
  return escapeHtml(String(value))
}
