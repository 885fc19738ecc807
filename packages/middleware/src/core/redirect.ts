import { configError, SsoError } from './errors'

/**
 * A compiled allow-list of redirect targets (SECURITY.md rule 1). Entries:
 * - `acme.kustomer.help`: exactly that host, `https:` on the default port;
 * - `*.kustomer.help`: one or more labels before `.kustomer.help`, never the bare suffix;
 * - `http://127.0.0.1:4001` (an origin): exactly that scheme, host and port. `http:` origins
 *   are accepted only for loopback hosts (demo and tests).
 */
export interface HostAllowList {
  readonly entries: readonly string[]
  /** Does this parsed URL's origin match an entry? (Caller has already vetted the raw string.) */
  matches(url: URL): boolean
}

export const MAX_URL_LENGTH = 4096
export const MAX_PATH_LENGTH = 2048

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/

function isHostname(host: string): boolean {
  if (host.length > 253 || IPV4.test(host)) return false
  return host.split('.').every((label) => HOST_LABEL.test(label))
}

/** localhost, 127.0.0.0/8 and [::1]: the only hosts that may be reached over `http:`. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    (IPV4.test(hostname) && hostname.startsWith('127.'))
  )
}

function isIpLiteral(hostname: string): boolean {
  return hostname.startsWith('[') || IPV4.test(hostname)
}

/** Only printable ASCII, no space, no backslash: anything else is refused before parsing. */
export function hasForbiddenChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f || c === 0x5c) return true
  }
  return false
}

/**
 * Compiles an allow-list once, at construction; a malformed entry throws ERR_SSO_CONFIG naming
 * `where` (e.g. `kustomer({ allowedHosts })`).
 */
export function compileAllowList(entries: readonly string[], where: string): HostAllowList {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw configError(where, 'needs at least one host, e.g. ["acme.example.com"].')
  }
  const exact = new Set<string>()
  const suffixes: string[] = []
  const origins = new Set<string>()
  for (const raw of entries) {
    if (typeof raw !== 'string' || raw.length === 0 || hasForbiddenChars(raw)) {
      throw configError(where, `${JSON.stringify(raw)} is not a host name.`)
    }
    const entry = raw.toLowerCase()
    if (entry.includes('://')) {
      let url: URL
      try {
        url = new URL(entry)
      } catch {
        throw configError(where, `${JSON.stringify(raw)} is not a valid origin.`)
      }
      if (url.origin !== entry.replace(/\/$/, '') || url.username || url.password) {
        throw configError(
          where,
          `${JSON.stringify(raw)} must be a bare origin such as "http://127.0.0.1:4001".`,
        )
      }
      if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        throw configError(
          where,
          `${JSON.stringify(raw)}: http is allowed only for loopback hosts; use https.`,
        )
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw configError(where, `${JSON.stringify(raw)} must be an http(s) origin.`)
      }
      origins.add(url.origin)
    } else if (entry.startsWith('*.')) {
      const suffix = entry.slice(2)
      if (!isHostname(suffix) || !suffix.includes('.')) {
        throw configError(
          where,
          `${JSON.stringify(raw)}: a wildcard needs a registrable suffix such as "*.kustomer.help".`,
        )
      }
      suffixes.push(`.${suffix}`)
    } else {
      if (!isHostname(entry)) {
        throw configError(
          where,
          `${JSON.stringify(raw)} is not a host name (IP addresses and ports go in an origin entry such as "http://127.0.0.1:4001").`,
        )
      }
      exact.add(entry)
    }
  }
  return {
    entries: [...entries],
    matches(url) {
      if (origins.has(url.origin)) return true
      if (url.protocol !== 'https:' || url.port !== '' || isIpLiteral(url.hostname)) return false
      const host = url.hostname
      if (exact.has(host)) return true
      for (const suffix of suffixes) {
        // `x.suffix` at least, every label a real one: the bare suffix never matches.
        if (host.length > suffix.length && host.endsWith(suffix)) {
          const labels = host.slice(0, -suffix.length).split('.')
          if (labels.every((label) => HOST_LABEL.test(label))) return true
        }
      }
      return false
    },
  }
}

/**
 * Parses a redirect target that came from the request and returns it only if it may receive a
 * token: printable ASCII, at most 4,096 characters, absolute, no userinfo, and matching the
 * allow-list. Anything else throws ERR_SSO_REDIRECT_NOT_ALLOWED (the value is never echoed).
 */
export function checkRedirectUrl(
  raw: string,
  allowList: HostAllowList,
  param: string,
  vendor?: string,
  maxLength = MAX_URL_LENGTH,
): URL {
  const refuse = (why: string) =>
    new SsoError('ERR_SSO_REDIRECT_NOT_ALLOWED', `${param} ${why}`, {
      vendor,
      userMessage: 'The link you followed points somewhere this site does not send sign-ins to.',
    })
  if (typeof raw !== 'string' || raw.length === 0) throw refuse('is missing.')
  if (raw.length > maxLength) throw refuse(`is longer than ${maxLength} characters.`)
  if (hasForbiddenChars(raw)) throw refuse('holds characters a URL may not hold.')
  // Parsers disagree about authorities with these; no legitimate vendor URL has them.
  if (!/^https?:\/\/[^/?#@%]+(?:[/?#]|$)/i.test(raw)) {
    throw refuse('is not an absolute http(s) URL with a plain host.')
  }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw refuse('is not a valid URL.')
  }
  if (url.username || url.password) throw refuse('holds credentials.')
  if (!allowList.matches(url)) throw refuse('is not on the allow-list.')
  return url
}

/**
 * Is this a same-site relative path (SECURITY.md rule 2)? Exactly one leading `/` (not `//` or `/\`),
 * printable ASCII only, at most 2,048 characters, and no dot segment (`.`, `..`, also as `%2e`)
 * in its path. The same holds for the path decoded once and twice more: whoever receives it (a
 * vendor, the app's login page) may decode it again, and URL parsers drop tabs and newlines, so
 * `/%09/evil.com` is `//evil.com` one decoding away, and `/.//evil.com` is `//evil.com` to anyone
 * who rebuilds a URL from its normalised `pathname`. Decoding is lenient, as the decoders
 * downstream are: a malformed escape stays as it is and never ends the check.
 */
export function isSafeRelativePath(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PATH_LENGTH)
    return false
  if (hasForbiddenChars(value) || !startsWithOneSlash(value)) return false
  let current = value
  for (let round = 0; ; round++) {
    // What a URL parser reads of it: tabs and newlines are dropped anywhere.
    const parsed = round === 0 ? current : current.replace(/[\t\n\r]/g, '')
    if (!startsWithOneSlash(parsed) || hasDotSegment(parsed)) return false
    if (round === 3 || !current.includes('%')) return true
    const decoded = decodeLeniently(current)
    if (decoded === current) return true
    current = decoded
  }
}

function startsWithOneSlash(value: string): boolean {
  const second = value.charCodeAt(1)
  return value.charCodeAt(0) === 0x2f && second !== 0x2f && second !== 0x5c
}

const ESCAPE_RUN = /(?:%[0-9a-f]{2})+/gi
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i

/**
 * Percent-decodes every valid escape; an escape that is not valid UTF-8 (or a lone `%`) stays as
 * it is, as WHATWG URL and most servers leave it, so a trailing `%` cannot stop the next round.
 */
export function decodeLeniently(value: string): string {
  return value.replace(ESCAPE_RUN, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      // Decode what is ASCII byte by byte; a broken multi-byte sequence stays encoded.
      return run.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      )
    }
  })
}

/** A `.` or `..` segment (also `%2e`, and `\` as a separator, as WHATWG URL reads them) in the path. */
function hasDotSegment(value: string): boolean {
  const end = value.search(/[?#]/)
  const path = end === -1 ? value : value.slice(0, end)
  if (!path.includes('.') && !/%2e/i.test(path)) return false
  return path.split(/[/\\]/).some((segment) => DOT_SEGMENT.test(segment))
}
