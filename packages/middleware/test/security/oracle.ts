// Independent judges of what the middleware answered. Written from DESIGN's security rules,
// not from the middleware's code, so a shared mistake does not pass silently.
import { unescape as lenientUnescape } from 'node:querystring'

/** Query parameters a vendor token travels in (`sso`: Discourse's signed payload; Canny's `ssoToken`). */
export const TOKEN_PARAMS = ['externalToken', 'jwt', 'refresh-token', 'sso', 'ssoToken'] as const

/** Anything that looks like a JWT (`eyJ` is base64url for `{"`). */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/

/** Every error code DESIGN names, plus those the code base adds; pages and JSON carry one. */
export const ERROR_CODE = /ERR_SSO_[A-Z_]+/

/** The error code in an error page or JSON body, if any. */
export function errorCode(body: string): string | undefined {
  return ERROR_CODE.exec(body)?.[0]
}

/** The values of token parameters in a URL, and whether any value looks like a JWT. */
export function tokensIn(url: URL): { name: string; value: string }[] {
  const found: { name: string; value: string }[] = []
  for (const [name, value] of url.searchParams) {
    if ((TOKEN_PARAMS as readonly string[]).includes(name) || JWT_PATTERN.test(value)) {
      found.push({ name, value })
    }
  }
  if (JWT_PATTERN.test(url.hash)) found.push({ name: '#', value: url.hash })
  return found
}

/**
 * Is `url` a place the allow-list `entries` names (DESIGN rule 1)? `host` entries: `https:`,
 * default port, that host; `*.suffix`: `https:`, default port, one or more DNS labels before
 * the suffix; origins: exactly that origin. Never userinfo.
 */
export function isAllowedDestination(url: URL, entries: readonly string[]): boolean {
  if (url.username !== '' || url.password !== '') return false
  return entries.some((entry) => {
    if (entry.includes('://')) return url.origin === new URL(entry).origin
    if (url.protocol !== 'https:' || url.port !== '') return false
    if (entry.startsWith('*.')) {
      const suffix = entry.slice(1).toLowerCase()
      if (!url.hostname.endsWith(suffix) || url.hostname.length <= suffix.length) return false
      // One or more real DNS labels before the suffix.
      return url.hostname
        .slice(0, -suffix.length)
        .split('.')
        .every((label) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(label))
    }
    return url.hostname === entry.toLowerCase()
  })
}

/**
 * The Location string must mean the same host to every reader: a plain `scheme://host[:port]`
 * authority, no backslash, no whitespace, no `@`, re-serialised as the WHATWG parser sees it.
 */
export function isUnambiguousAbsolute(location: string): boolean {
  const m = /^(https?):\/\/([^/?#\\@\s]+)(?:[/?#]|$)/.exec(location)
  if (!m) return false
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  if (/[\s\u0000-\u001f\u007f-\uffff\\]/.test(location)) return false
  const url = new URL(location)
  return (m[2] as string).toLowerCase() === url.host
}

/**
 * Why a relative return path is unsafe, or `undefined` when it is safe (DESIGN rule 2): one
 * leading `/` (not `//`, `/\`), printable ASCII only, at most 2,048 characters, resolving to
 * `origin` — also for whoever rebuilds a URL from its normalised `pathname` (dot segments), and
 * after each of up to three more rounds of percent-decoding, which consumers may well apply.
 * Decoding is lenient, as Node's `querystring.unescape` is: a malformed escape is kept as it is
 * and never ends the judgement (a trailing `%` once hid `/%09/evil.com/%`).
 */
export function unsafeReturnPath(value: unknown, origin: string): string | undefined {
  if (typeof value !== 'string') return 'not a string'
  if (value.length === 0 || value.length > 2048) return 'empty or over 2,048 characters'
  if (value[0] !== '/' || value[1] === '/' || value[1] === '\\') return 'not exactly one leading /'
  if (!/^[\x21-\x7e]*$/.test(value)) return 'holds a control, space or non-ASCII character'
  let current = value
  for (let round = 0; round <= 3; round++) {
    const why = leavesOrigin(current, origin)
    if (why) {
      return round === 0
        ? why
        : `${why} once percent-decoded ${round}× (${JSON.stringify(current.slice(0, 40))})`
    }
    const decoded = lenientUnescape(current)
    if (decoded === current) break
    current = decoded
  }
  return undefined
}

function leavesOrigin(value: string, origin: string): string | undefined {
  const url = new URL(value, origin)
  if (url.origin !== origin) return 'resolves to another origin'
  // Rebuilt from its normalised path (dot segments removed), does it still stay here?
  if (new URL(url.pathname, origin).origin !== origin) {
    return `normalises to another origin (${JSON.stringify(url.pathname.slice(0, 40))})`
  }
  return undefined
}

/**
 * May a tenant resolver see `value`? DESIGN ("a tenant id is validated before any app code sees
 * it") and the documented shape: 1 to 128 characters, each an ASCII letter, digit, `.`, `_` or
 * `-`, the first and last a letter or digit (so never `.`, `..`, or a path).
 */
export function isTenantIdShape(value: unknown): boolean {
  if (typeof value !== 'string' || value.length < 1 || value.length > 128) return false
  const alnum = (ch: string) =>
    (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
  for (const ch of value) if (!alnum(ch) && ch !== '.' && ch !== '_' && ch !== '-') return false
  return alnum(value[0] as string) && alnum(value[value.length - 1] as string)
}

const ATTRIBUTE_ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
}
const unescapeAttribute = (value: string) =>
  value.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ATTRIBUTE_ENTITIES[e] as string)

/**
 * The tokens of an HTML body, read as a form-POST page (Zendesk): every JWT-shaped string, the
 * action of the one POST form, and `stray` when a token is anywhere but the single `jwt` hidden
 * field of that one form (another field, the action URL, the text, a second form).
 */
export function formPost(body: string): { tokens: string[]; action?: URL; stray: boolean } {
  const tokens = [...body.matchAll(new RegExp(JWT_PATTERN.source, 'g'))].map((m) => m[0])
  if (tokens.length === 0) return { tokens, stray: false }
  const forms = [...body.matchAll(/<form method="post" action="([^"]*)">/g)]
  const fields = [...body.matchAll(/<input type="hidden" name="jwt" value="([^"]*)">/g)]
  const raw = forms[0]?.[1]
  let action: URL | undefined
  try {
    action = raw === undefined ? undefined : new URL(unescapeAttribute(raw))
  } catch {
    action = undefined
  }
  const stray =
    forms.length !== 1 ||
    fields.length !== 1 ||
    tokens.length !== 1 ||
    fields[0]?.[1] !== tokens[0] ||
    action === undefined ||
    JWT_PATTERN.test(action.href)
  return { tokens, action, stray }
}
