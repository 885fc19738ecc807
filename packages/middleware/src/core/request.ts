import { SsoError } from './errors'
import type { QueryReader } from './types'

/** Longest query string the middleware reads at all. */
export const MAX_QUERY_LENGTH = 16_384
const DEFAULT_VALUE_LENGTH = 4096

const badRequest = (message: string, vendor?: string) =>
  new SsoError('ERR_SSO_BAD_REQUEST', message, {
    vendor,
    userMessage: 'The link you followed is malformed.',
  })

/**
 * Parses a query string strictly: `+` is a space, percent-encoding must be valid UTF-8, and the
 * whole string is bounded. URLSearchParams silently replaces bad encodings with U+FFFD; a
 * security boundary should refuse them instead.
 */
export function parseQuery(search: string, vendor?: string): Map<string, string[]> {
  const params = new Map<string, string[]>()
  if (search.length === 0) return params
  if (search.length > MAX_QUERY_LENGTH) throw badRequest('The query string is too long.', vendor)
  for (const pair of search.split('&')) {
    if (pair.length === 0) continue
    const eq = pair.indexOf('=')
    const rawKey = eq === -1 ? pair : pair.slice(0, eq)
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1)
    let key: string
    let value: string
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '))
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '))
    } catch {
      throw badRequest('The query string is not validly encoded.', vendor)
    }
    const list = params.get(key)
    if (list) list.push(value)
    else params.set(key, [value])
  }
  return params
}

/**
 * A QueryReader over a raw query string. Parsed at once: a malformed query is a 400 on every
 * route, even one that reads no parameter (SECURITY.md rule 8).
 */
export function createQueryReader(search: string, vendor?: string): QueryReader {
  const parsed = parseQuery(search, vendor)
  const values = (name: string) => parsed.get(name)
  const reader: QueryReader = {
    get(name, maxLength = DEFAULT_VALUE_LENGTH) {
      const list = values(name)
      if (list === undefined) return undefined
      if (list.length > 1) throw badRequest(`The parameter ${name} is repeated.`, vendor)
      const value = list[0] as string
      if (value.length > maxLength) {
        throw badRequest(`The parameter ${name} is longer than ${maxLength} characters.`, vendor)
      }
      return value
    },
    require(name, maxLength) {
      const value = reader.get(name, maxLength)
      if (value === undefined || value === '') {
        throw badRequest(`The parameter ${name} is required.`, vendor)
      }
      return value
    },
    has(name) {
      return values(name) !== undefined
    },
  }
  return reader
}

/**
 * Splits a request target into path and query. Absolute-form targets
 * (`GET http://host/sso/x HTTP/1.1`) are reduced to their path, so nothing downstream ever sees
 * a scheme or host taken from the request line.
 */
export function splitTarget(target: string): { path: string; search: string } {
  let rest = target
  if (rest.charCodeAt(0) !== 0x2f) {
    const scheme = rest.indexOf('://')
    if (scheme === -1) return { path: '/', search: '' }
    const slash = rest.indexOf('/', scheme + 3)
    const query = rest.indexOf('?', scheme + 3)
    if (slash === -1 || (query !== -1 && query < slash)) {
      rest = `/${query === -1 ? '' : rest.slice(query)}`
    } else {
      rest = rest.slice(slash)
    }
  }
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  const q = rest.indexOf('?')
  return q === -1
    ? { path: rest, search: '' }
    : { path: rest.slice(0, q), search: rest.slice(q + 1) }
}
