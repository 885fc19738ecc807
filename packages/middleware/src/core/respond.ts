// The only module that decides what goes on the wire: status, headers, body. Every security
// header (SECURITY.md rules 3 and 7) and the last redirect check live here and nowhere else.
import { isSsoError, SsoError } from './errors'
import { checkRedirectUrl, hasForbiddenChars, isSafeRelativePath, MAX_URL_LENGTH } from './redirect'
import type { CoreOutcome, VendorResult } from './types'

type Headers = [string, string][]

/**
 * Set on every response of the middleware, not only those carrying a token: a response that
 * does not carry one today may tomorrow, and none of them should be cached or leak a Referer.
 */
const BASE_HEADERS: Headers = [
  ['Cache-Control', 'no-store'],
  ['Pragma', 'no-cache'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Content-Type-Options', 'nosniff'],
]

const HTML_HEADERS: Headers = [
  ...BASE_HEADERS,
  ['Content-Type', 'text/html; charset=utf-8'],
  [
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  ],
  ['X-Frame-Options', 'DENY'],
]

const JSON_HEADERS: Headers = [...BASE_HEADERS, ['Content-Type', 'application/json; charset=utf-8']]

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

/** A small, self-contained HTML page (no scripts, no external resources). */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(
    title,
  )}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .25em}pre{white-space:pre-wrap;overflow-wrap:anywhere}</style></head><body>${body}</body></html>`
}

/** The one script of a form-POST page. Its CSP hash is computed from it, never typed by hand. */
export const FORM_SCRIPT = 'document.forms[0].submit()'
let formScriptHash: Promise<string> | undefined

/** `'sha256-…'` of FORM_SCRIPT, computed once with WebCrypto (every runtime has it). */
export function formScriptSource(script = FORM_SCRIPT): Promise<string> {
  const digest = async () => {
    const bytes = new Uint8Array(
      await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(script)),
    )
    let binary = ''
    for (const byte of bytes) binary += String.fromCharCode(byte)
    return `'sha256-${btoa(binary)}'`
  }
  if (script !== FORM_SCRIPT) return digest()
  formScriptHash ??= digest()
  return formScriptHash
}

/**
 * A form-POST page (SECURITY.md rule 3 and its one exception): the token travels in the POST
 * body to a configured origin; the page's own URL carries none, so its referrer policy is
 * `strict-origin` (under `no-referrer` browsers send `Origin: null` on the cross-site POST).
 */
async function formOutcome(
  result: Extract<VendorResult, { kind: 'form' }>,
  vendor: string,
): Promise<CoreOutcome> {
  const broken = (message: string) =>
    errorOutcome(new SsoError('ERR_SSO_INTERNAL', message, { vendor }), 'html', false)
  const { action, fields, formAction, vendorName } = result
  let url: URL
  try {
    url = new URL(action)
  } catch {
    return broken('A form result has no valid action URL.')
  }
  const origins = Array.isArray(formAction) ? formAction : []
  if (
    hasForbiddenChars(action) ||
    !origins.includes(url.origin) ||
    origins.some((origin) => typeof origin !== 'string' || hasForbiddenChars(origin))
  ) {
    return broken('A form result posts somewhere its configuration does not name.')
  }
  const inputs = Object.entries(fields ?? {})
  if (inputs.some(([name, value]) => typeof name !== 'string' || typeof value !== 'string')) {
    return broken('A form result has a field that is not a string.')
  }
  const hidden = inputs
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('')
  const label = `Continue to ${typeof vendorName === 'string' ? vendorName : 'the service'}`
  const body = htmlPage(
    label,
    `<form method="post" action="${escapeHtml(url.href)}">${hidden}<noscript><p>Sign-in continues at the service.</p><button type="submit">${escapeHtml(label)}</button></noscript></form><script>${FORM_SCRIPT}</script>`,
  )
  // 'self': a vendor that refuses the token sends the browser back to the app (Zendesk's
  // remote logout URL with kind=error), and browsers hold form redirects to form-action too.
  const csp = `default-src 'none'; script-src ${await formScriptSource()}; style-src 'unsafe-inline'; form-action ${origins.join(' ')} 'self'; base-uri 'none'; frame-ancestors 'none'`
  return {
    type: 'response',
    status: 200,
    headers: [
      ['Cache-Control', 'no-store'],
      ['Pragma', 'no-cache'],
      ['Referrer-Policy', 'strict-origin'],
      ['X-Content-Type-Options', 'nosniff'],
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Content-Security-Policy', csp],
      ['X-Frame-Options', 'DENY'],
    ],
    body,
  }
}

/**
 * Turns a vendor's result into the response, re-checking any redirect target. A result that
 * cannot be written as it is (a status outside 200–599, a body that is no string or cannot be
 * serialised, a Location a header cannot hold) is a 500, never a throw in the adapter.
 */
export function respondResult(
  result: VendorResult,
  vendor: string,
): CoreOutcome | Promise<CoreOutcome> {
  const broken = (message: string, cause?: unknown) =>
    errorOutcome(new SsoError('ERR_SSO_INTERNAL', message, { vendor, cause }), 'html', false)
  if (result === null || typeof result !== 'object') {
    return broken('A vendor route returned no result.')
  }
  if (result.kind === 'form') return formOutcome(result, vendor)
  if (result.kind === 'redirect') {
    const { location, allow } = result
    if (typeof location !== 'string') return broken('A redirect result has no location.')
    if (allow === 'relative') {
      if (!isSafeRelativePath(location)) {
        return errorOutcome(
          new SsoError('ERR_SSO_REDIRECT_NOT_ALLOWED', 'A relative redirect was not a safe path.', {
            vendor,
          }),
          'html',
          false,
        )
      }
    } else if (allow !== 'configured') {
      try {
        // The target was checked against 4,096 characters before the token was added to it.
        checkRedirectUrl(location, allow, 'redirect target', vendor, 4 * MAX_URL_LENGTH)
      } catch (error) {
        return errorOutcome(error as SsoError, 'html', false)
      }
    }
    return redirectOutcome(location)
  }
  const status = result.status ?? 200
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    return broken(`A vendor route returned the status ${String(status).slice(0, 20)}.`)
  }
  if (result.kind === 'json') {
    let body: string | undefined
    try {
      body = JSON.stringify(result.body)
    } catch (cause) {
      return broken('A vendor route returned a JSON body that cannot be serialised.', cause)
    }
    if (typeof body !== 'string') return broken('A vendor route returned no JSON body.')
    return { type: 'response', status, headers: JSON_HEADERS, body }
  }
  if (result.kind === 'html') {
    if (typeof result.body !== 'string') return broken('A vendor route returned no HTML body.')
    return { type: 'response', status, headers: HTML_HEADERS, body: result.body }
  }
  return broken('A vendor route returned a result of no known kind.')
}

/**
 * A 302 to a location already checked (a vendor's, or the app's login page built by the core).
 * A location with characters no header may hold (non-ASCII, CR, LF) is a 500: encode them.
 */
export function redirectOutcome(location: string): CoreOutcome {
  if (location.length === 0 || hasForbiddenChars(location)) {
    return errorOutcome(
      new SsoError(
        'ERR_SSO_INTERNAL',
        'A redirect location holds characters a Location header cannot (non-ASCII, spaces or controls); percent-encode them.',
      ),
      'html',
      false,
    )
  }
  return {
    type: 'response',
    status: 302,
    headers: [...BASE_HEADERS, ['Location', location], ['Content-Length', '0']],
    body: '',
  }
}

const TITLES: Record<number, string> = {
  400: 'This sign-in link is not valid',
  401: 'Please sign in first',
  403: 'Sign-in refused',
  404: 'This sign-in link leads nowhere',
  405: 'Method not allowed',
  422: 'Your profile cannot be sent',
  500: 'Something went wrong',
  502: 'The service is unavailable',
  503: 'Sign-in is unavailable right now',
  504: 'The service did not answer in time',
}

/** Titles that say more than the status does. */
const CODE_TITLES: Partial<Record<string, string>> = {
  ERR_SSO_VENDOR_REFUSED: 'The service could not sign you in',
}

const ADVICE: Record<number, string> = {
  400: 'Go back and start the sign-in again from the service.',
  401: 'Sign in to this site, then try again.',
  403: 'Your account cannot be signed in to this service.',
  404: 'Check the link, or start the sign-in again from the service.',
  405: 'Open the link in your browser.',
  422: 'Complete your profile and try again.',
  500: 'Try again later.',
  502: 'Try again in a moment.',
  503: 'Try again in a moment.',
  504: 'Try again in a moment.',
}

/**
 * An error as an HTML page (browser routes) or JSON (API routes). The body says what happened
 * and what to do; code, vendor and the developer message only when `expose` is on. Messages are
 * written never to hold a token, secret or email, and are escaped all the same.
 */
export function errorOutcome(error: unknown, kind: 'html' | 'json', expose: boolean): CoreOutcome {
  const err = isSsoError(error)
    ? error
    : new SsoError('ERR_SSO_INTERNAL', 'An unexpected error occurred.', { cause: error })
  const status = err.status
  const headers: Headers = kind === 'json' ? [...JSON_HEADERS] : [...HTML_HEADERS]
  if (err.code === 'ERR_SSO_METHOD_NOT_ALLOWED' && err.allow) headers.push(['Allow', err.allow])
  if (kind === 'json') {
    const body: Record<string, unknown> = { code: err.code }
    if (expose) {
      body.message = err.message
      if (err.vendor) body.vendor = err.vendor
    }
    return { type: 'response', status, headers, body: JSON.stringify({ error: body }) }
  }
  const title =
    CODE_TITLES[err.code] ??
    TITLES[status] ??
    (status >= 500 ? TITLES[500] : TITLES[400]) ??
    'Error'
  const advice = err.userMessage ?? ADVICE[status] ?? ''
  const details = expose
    ? `${err.detail ? `<blockquote>${escapeHtml(err.detail)}</blockquote>` : ''}<p><small>${escapeHtml(err.message)}</small></p><p><small>Code <code>${escapeHtml(err.code)}</code>${
        err.vendor ? `, vendor <code>${escapeHtml(err.vendor)}</code>` : ''
      }</small></p>`
    : `<p><small>Code <code>${escapeHtml(err.code)}</code></small></p>`
  return {
    type: 'response',
    status,
    headers,
    body: htmlPage(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(advice)}</p>${details}`),
  }
}
