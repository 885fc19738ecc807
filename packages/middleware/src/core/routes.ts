// The only module that imports path-to-regexp: if it changes, this file changes.
import { type MatchFunction, match, PathError, parse } from 'path-to-regexp'
import { configError, SsoError } from './errors'

export interface RouteSpec<T> {
  method: string
  /** Path relative to `basePath`. */
  path: string
  /** A GET route also answers HEAD. (default: `true`) */
  head?: boolean
  value: T
}

export type RouteLookup<T> =
  | { type: 'match'; value: T; params: Record<string, string> }
  | { type: 'method-not-allowed'; allow: string[] }
  | { type: 'none' }

export interface RouteTable<T> {
  /** The literal start of `basePath` (up to its first parameter): the one string comparison. */
  readonly prefix: string
  /** Finds the route for a path (already without query); compiled once, at construction. */
  find(method: string, path: string): RouteLookup<T>
}

interface Compiled<T> {
  method: string
  head: boolean
  fullPath: string
  match: MatchFunction<Record<string, string | string[]>>
  value: T
}

/** The literal text of a path up to its first parameter, wildcard or group. */
function staticPrefix(path: string): string {
  const tokens = parse(path).tokens
  let prefix = ''
  for (const token of tokens) {
    if (token.type !== 'text') break
    prefix += token.value
  }
  return prefix
}

/**
 * The literal start of `basePath` (all of it when it has no parameter): a request whose path does
 * not start with it is not ours, at the cost of one string comparison.
 */
export function basePrefix(basePath: string, where = 'ssoMiddleware()'): string {
  if (!basePath.includes(':') && !basePath.includes('*') && !basePath.includes('{')) return basePath
  try {
    return staticPrefix(basePath || '/')
  } catch (cause) {
    throw configError(`${where.slice(0, -2)}({ basePath })`, describePathError(basePath, cause))
  }
}

/**
 * Compiles `basePath` + every route once. Throws ERR_SSO_CONFIG on a path path-to-regexp
 * cannot parse or on two routes that would answer the same method and path.
 *
 * @example
 * const table = compileRoutes('/t/:tenant/sso', [{ method: 'GET', path: '/komo/token', value: 1 }])
 * table.find('GET', '/t/acme/sso/komo/token') // { type: 'match', value: 1, params: { tenant: 'acme' } }
 */
/**
 * Compiled path matchers by full path. Tenants mostly share their routes' paths: their tables
 * share one matcher (and one compiled regular expression) per path instead of one per tenant.
 */
export type MatcherCache = Map<string, MatchFunction<Record<string, string | string[]>>>

export function compileRoutes<T>(
  basePath: string,
  specs: readonly RouteSpec<T>[],
  where = 'ssoMiddleware()',
  matchers?: MatcherCache,
): RouteTable<T> {
  const factory = where.slice(0, -2)
  const compiled: Compiled<T>[] = []
  const seen = new Set<string>()
  const prefix = basePrefix(basePath, where)
  for (const spec of specs) {
    if (!spec.path.startsWith('/')) {
      throw configError('route path', `${JSON.stringify(spec.path)} must start with "/".`)
    }
    const fullPath = `${basePath}${spec.path}`
    const key = `${spec.method} ${fullPath}`
    if (seen.has(key)) {
      throw configError(
        `${factory}({ vendors })`,
        `two routes answer ${spec.method} ${fullPath}; rename one with the vendor's \`paths\` option, or mount each vendor once.`,
      )
    }
    seen.add(key)
    try {
      compiled.push({
        method: spec.method,
        head: spec.method === 'GET' && spec.head !== false,
        fullPath,
        match: matcherFor(fullPath, matchers),
        value: spec.value,
      })
    } catch (cause) {
      throw configError('route path', describePathError(fullPath, cause))
    }
  }
  return {
    prefix,
    find(method, path) {
      let allow: string[] | undefined
      for (const route of compiled) {
        let result: ReturnType<typeof route.match>
        try {
          result = route.match(path)
        } catch (cause) {
          throw new SsoError('ERR_SSO_BAD_REQUEST', 'The request path is not validly encoded.', {
            cause,
            userMessage: 'The link you followed is malformed.',
          })
        }
        if (!result) continue
        if (route.method !== method && !(route.head && method === 'HEAD')) {
          allow = [...(allow ?? []), ...(route.head ? ['GET', 'HEAD'] : [route.method])]
          continue
        }
        const params: Record<string, string> = {}
        for (const [name, value] of Object.entries(result.params)) {
          if (value !== undefined) params[name] = Array.isArray(value) ? value.join('/') : value
        }
        return { type: 'match', value: route.value, params }
      }
      return allow ? { type: 'method-not-allowed', allow } : { type: 'none' }
    },
  }
}

function describePathError(path: string, cause: unknown): string {
  const detail =
    cause instanceof PathError || cause instanceof Error ? cause.message : String(cause)
  return `${JSON.stringify(path)} is not a valid path-to-regexp path (${detail}).`
}

function matcherFor(fullPath: string, cache: MatcherCache | undefined) {
  let matcher = cache?.get(fullPath)
  if (!matcher) {
    matcher = match(fullPath, { sensitive: true })
    cache?.set(fullPath, matcher)
  }
  return matcher
}

/**
 * Matches the start of a path against `basePath` alone (with its parameters), for finding the
 * tenant before the tenant's routes are known. Compiled once; `null` when the path is not under
 * `basePath`. A parameter that is not validly encoded is a 400.
 */
export function compileBasePath(
  basePath: string,
  where = 'ssoMiddleware()',
): (path: string) => Record<string, string> | null {
  let matcher: MatchFunction<Record<string, string | string[]>>
  try {
    matcher = match(basePath || '/', { sensitive: true, end: false })
  } catch (cause) {
    throw configError(`${where.slice(0, -2)}({ basePath })`, describePathError(basePath, cause))
  }
  return (path) => {
    let result: ReturnType<typeof matcher>
    try {
      result = matcher(path)
    } catch (cause) {
      throw new SsoError('ERR_SSO_BAD_REQUEST', 'The request path is not validly encoded.', {
        cause,
        userMessage: 'The link you followed is malformed.',
      })
    }
    if (!result) return null
    const params: Record<string, string> = {}
    for (const [name, value] of Object.entries(result.params)) {
      if (value !== undefined) params[name] = Array.isArray(value) ? value.join('/') : value
    }
    return params
  }
}
