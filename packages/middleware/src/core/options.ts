// Every construction-time check: the middleware's own options, a vendor definition's shape, and
// the option checks every vendor factory shares. A bad configuration throws ERR_SSO_CONFIG here,
// naming the factory, the option and the fix; nothing is checked again per request.
import type { VendorDefinition } from './define-vendor'
import { isProduction } from './env'
import { configError } from './errors'
import { isLoopbackHost, isSafeRelativePath } from './redirect'
import type { InspectorOptions } from './inspect'
import type { ResolvedTenantOptions } from './tenants'
import type { SsoOptions, TenantOptions, Vendor } from './types'

type KeysOfUnion<T> = T extends unknown ? keyof T : never

/**
 * The option names of `T` as a list the compiler keeps true: a key `T` does not have, or one it
 * has that the list leaves out, is a compile error. For {@link assertKnownOptions}.
 *
 * @example
 * const KNOWN = optionKeys<AcmeOptions>({ secret: true, dangerouslyAllowShortSecret: true, paths: true, claims: true })
 */
export function optionKeys<T>(keys: { [K in KeysOfUnion<T> & string]-?: true }): readonly string[] {
  return Object.freeze(Object.keys(keys))
}

const KNOWN = optionKeys<SsoOptions>({
  getUser: true,
  vendors: true,
  loginUrl: true,
  basePath: true,
  onLogout: true,
  onEvent: true,
  onError: true,
  exposeErrors: true,
  inspector: true,
  tenants: true,
})

const TENANT_KEYS = optionKeys<TenantOptions>({
  id: true,
  resolve: true,
  authorize: true,
  maxTenants: true,
  ttlMs: true,
  timeoutMs: true,
})

export interface ResolvedOptions<Req, Ctx = unknown> {
  getUser: SsoOptions<Req, Ctx>['getUser']
  vendors: readonly Vendor<Req>[]
  tenants: ResolvedTenantOptions<Req, Ctx> | undefined
  loginUrl: SsoOptions<Req, Ctx>['loginUrl']
  basePath: string
  onLogout: SsoOptions<Req, Ctx>['onLogout']
  onEvent: SsoOptions<Req, Ctx>['onEvent']
  onError: 'respond' | 'next'
  exposeErrors: boolean
  /** The inspector, when it is mounted: on, and not in production unless forced. */
  inspector: { allow: InspectorOptions<Req, Ctx>['allow'] } | undefined
}

/** Every check of the middleware's own options, once, at construction. */
export function resolveOptions<Req, Ctx = unknown>(
  options: SsoOptions<Req, Ctx>,
  WHERE = 'ssoMiddleware()',
): ResolvedOptions<Req, Ctx> {
  if (options === null || typeof options !== 'object') {
    throw configError(
      WHERE,
      `takes an options object: ${WHERE.slice(0, -2)}({ getUser, vendors: [...] }).`,
    )
  }
  assertKnownOptions(options, KNOWN, WHERE)
  if (typeof options.getUser !== 'function') {
    throw configError(
      WHERE,
      '`getUser` must be a function returning the signed-in user or null, e.g. (req) => req.session?.user ?? null.',
    )
  }
  if (options.vendors !== undefined && options.tenants !== undefined) {
    throw configError(
      WHERE,
      'takes `vendors` (the same for every request) or `tenants` (each request its own), not both.',
    )
  }
  const tenants = options.tenants === undefined ? undefined : checkTenants(options, WHERE)
  if (!tenants) checkVendors(options.vendors, WHERE)
  const loginUrl = options.loginUrl
  if (loginUrl !== undefined && typeof loginUrl !== 'function') {
    if (typeof loginUrl !== 'string' || !/^(\/(?![/\\])|https?:\/\/)/.test(loginUrl)) {
      throw configError(
        WHERE,
        '`loginUrl` must be a path such as "/login", an absolute http(s) URL, or a function (returnTo, req) => string.',
      )
    }
  }
  for (const name of ['onLogout', 'onEvent'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw configError(WHERE, `\`${name}\` must be a function.`)
    }
  }
  if (
    options.onError !== undefined &&
    options.onError !== 'respond' &&
    options.onError !== 'next'
  ) {
    throw configError(WHERE, '`onError` must be "respond" (the default) or "next".')
  }
  return {
    getUser: options.getUser,
    vendors: options.vendors ?? [],
    tenants,
    loginUrl,
    basePath: checkBasePath(options.basePath, WHERE),
    onLogout: options.onLogout,
    onEvent: options.onEvent,
    onError: options.onError ?? 'respond',
    exposeErrors: options.exposeErrors ?? !isProduction(),
    inspector: checkInspector(options.inspector, WHERE),
  }
}

const INSPECTOR_KEYS = optionKeys<InspectorOptions>({
  allow: true,
  dangerouslyEnableInProduction: true,
})

/** `inspector`: off by default, and not mounted in production unless forced. */
function checkInspector<Req, Ctx>(
  inspector: SsoOptions<Req, Ctx>['inspector'],
  WHERE: string,
): ResolvedOptions<Req, Ctx>['inspector'] {
  if (inspector === undefined || inspector === false) return undefined
  const where = `${WHERE.slice(0, -2)}({ inspector })`
  if (inspector !== true) {
    assertOptionsObject(inspector, where, '`true` or `{ allow, dangerouslyEnableInProduction }`')
    assertKnownOptions(inspector, INSPECTOR_KEYS, where)
    if (inspector.allow !== undefined && typeof inspector.allow !== 'function') {
      throw configError(where, '`allow` must be a function (req, context) => boolean.')
    }
  }
  const options: InspectorOptions<Req, Ctx> = inspector === true ? {} : inspector
  if (isProduction() && options.dangerouslyEnableInProduction !== true) return undefined
  return { allow: options.allow }
}

/** Normalises and checks `basePath` (default `/sso`). */
export function checkBasePath(basePath: unknown, where = 'ssoMiddleware()'): string {
  const value = basePath ?? '/sso'
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) {
    throw configError(
      `${where.slice(0, -2)}({ basePath })`,
      `must be a path starting with one "/", such as "/sso"; got ${JSON.stringify(value)}.`,
    )
  }
  return value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value === '/' ? '' : value
}

/** Checks what `defineVendor` was given: an id, routes of a known shape, path overrides. */
export function checkVendorDefinition(
  definition: VendorDefinition<unknown>,
  paths: Partial<Record<string, string>> | undefined,
): void {
  const where = `defineVendor(${JSON.stringify(definition?.id ?? '?')})`
  if (!definition || typeof definition !== 'object') {
    throw configError('defineVendor()', 'takes an object `{ id, routes }`.')
  }
  if (typeof definition.id !== 'string' || !ID.test(definition.id)) {
    throw configError(where, '`id` must be lower-case letters, digits and dashes, e.g. "acme".')
  }
  if (!Array.isArray(definition.routes) || definition.routes.length === 0) {
    throw configError(where, '`routes` must be a non-empty array.')
  }
  const names = new Set<string>()
  for (const route of definition.routes) {
    if (!route || typeof route.name !== 'string' || route.name.length === 0) {
      throw configError(where, 'every route needs a `name`.')
    }
    if (names.has(route.name)) throw configError(where, `route name "${route.name}" is used twice.`)
    names.add(route.name)
    if (route.method !== 'GET' && route.method !== 'POST') {
      throw configError(where, `route "${route.name}": \`method\` must be "GET" or "POST".`)
    }
    if (route.kind !== 'browser' && route.kind !== 'api') {
      throw configError(where, `route "${route.name}": \`kind\` must be "browser" or "api".`)
    }
    if (typeof route.path !== 'string' || !route.path.startsWith('/')) {
      throw configError(where, `route "${route.name}": \`path\` must start with "/".`)
    }
    if (route.sideEffects !== undefined && typeof route.sideEffects !== 'boolean') {
      throw configError(where, `route "${route.name}": \`sideEffects\` must be a boolean.`)
    }
    if (typeof route.handle !== 'function') {
      throw configError(where, `route "${route.name}": \`handle\` must be a function.`)
    }
  }
  const { notes } = definition
  if (notes !== undefined && (!Array.isArray(notes) || notes.some((n) => typeof n !== 'string'))) {
    throw configError(where, '`notes` must be an array of strings.')
  }
  const overrides = paths ?? {}
  for (const [name, path] of Object.entries(overrides)) {
    if (!names.has(name)) {
      throw configError(
        `${definition.id}({ paths })`,
        `has no route "${name}"; its routes are ${[...names].map((n) => `"${n}"`).join(', ')}.`,
      )
    }
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw configError(
        `${definition.id}({ paths })`,
        `"${name}" must be a path starting with "/".`,
      )
    }
  }
}

const ID = /^[a-z][a-z0-9-]{0,39}$/

/** Rejects unknown option keys at construction, suggesting the closest known one. */
export function assertKnownOptions(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const hint = closest(key, known)
    throw configError(
      where,
      `unknown option \`${key}\`${hint ? `; did you mean \`${hint}\`?` : `; known options are ${known.join(', ')}.`}`,
    )
  }
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      prev = tmp
    }
  }
  return row[b.length] as number
}

/**
 * Checks a lifetime option at construction: a positive whole number of seconds, at most `max`.
 */
export function checkLifetime(
  value: number | undefined,
  fallback: number,
  max: number,
  where: string,
): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0) {
    throw configError(
      where,
      `\`expiresIn\` must be a positive whole number of seconds; got ${String(value)}.`,
    )
  }
  if (value > max) {
    throw configError(
      where,
      `\`expiresIn\` is capped at ${max} seconds by the vendor; got ${value}.`,
    )
  }
  return value
}

/** Checks a relative-path option such as `afterLogout` at construction. */
export function checkRelativeOption(
  value: string | undefined,
  fallback: string,
  where: string,
): string {
  if (value === undefined) return fallback
  if (!isSafeRelativePath(value)) {
    throw configError(
      where,
      `must be a path on your site starting with one "/", such as "/"; got ${JSON.stringify(value)}.`,
    )
  }
  return value
}

/**
 * Checks a configured base URL (a vendor API, a community): `https:`, or `http:` on a loopback
 * host for the demo and tests; no credentials, query or fragment. Returns it without a trailing slash.
 */
export function checkBaseUrl(value: unknown, where: string, example: string): string {
  if (typeof value !== 'string') throw configError(where, `is required, e.g. "${example}".`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw configError(
      where,
      `must be an absolute URL such as "${example}"; got ${JSON.stringify(value)}.`,
    )
  }
  const loopbackHttp = url.protocol === 'http:' && isLoopbackHost(url.hostname)
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw configError(
      where,
      `must use https (http only for localhost/127.0.0.1); got ${JSON.stringify(url.protocol)}.`,
    )
  }
  if (url.username || url.password || url.search || url.hash) {
    throw configError(where, 'must not hold credentials, a query or a fragment.')
  }
  return url.href.replace(/\/+$/, '')
}

/** Throws unless `options` is an object; `shape` shows the required options, e.g. "`{ secret }`". */
export function assertOptionsObject(options: unknown, where: string, shape: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw configError(where, `takes ${shape}.`)
  }
}

/** An optional option that must be a non-empty string when given (e.g. `issuer`). */
export function checkOptionalString(
  value: unknown,
  name: string,
  where: string,
): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    throw configError(where, `\`${name}\` must be a non-empty string.`)
  }
  return value
}

/**
 * Checks a list of vendors: a non-empty array of vendors (not their factories), each id once.
 * `where` names the factory, or the tenant whose resolver returned them.
 */
export function checkVendors(
  vendors: unknown,
  where: string,
): asserts vendors is readonly Vendor[] {
  if (!Array.isArray(vendors) || vendors.length === 0) {
    throw configError(where, '`vendors` must be a non-empty array, e.g. [komo({ secret })].')
  }
  const ids = new Set<string>()
  vendors.forEach((vendor: unknown, i) => {
    if (typeof vendor === 'function') {
      const name = (vendor as { name?: string }).name || 'vendor'
      throw configError(
        where,
        `\`vendors[${i}]\` is the factory \`${name}\` itself; call it with its options: ${name}({ ... }).`,
      )
    }
    if (!vendor || typeof vendor !== 'object' || !Array.isArray((vendor as Vendor).routes)) {
      throw configError(where, `\`vendors[${i}]\` is not a vendor; build one with defineVendor().`)
    }
    const id = (vendor as Vendor).id
    if (ids.has(id)) {
      throw configError(
        where,
        where.startsWith('tenant ')
          ? `vendor "${id}" is in the tenant's vendors twice; return each vendor once.`
          : `vendor "${id}" is mounted twice; mount it once, or give one a different basePath in another ${where}.`,
      )
    }
    ids.add(id)
  })
}

/** Checks `tenants`: how the id is found, the resolver, and the cache bounds. */
function checkTenants<Req, Ctx>(
  options: SsoOptions<Req, Ctx>,
  WHERE: string,
): ResolvedTenantOptions<Req, Ctx> {
  const where = `${WHERE.slice(0, -2)}({ tenants })`
  const tenants = options.tenants as TenantOptions<Req, Ctx>
  assertOptionsObject(tenants, where, '`{ resolve: async (tenant) => [...vendors] }`')
  assertKnownOptions(tenants, TENANT_KEYS, where)
  if (typeof tenants.resolve !== 'function') {
    throw configError(
      where,
      "`resolve` must be a function returning the tenant's vendors (or null for an unknown tenant), e.g. async (tenant) => [komo({ secret: await secretOf(tenant) })].",
    )
  }
  if (tenants.authorize !== undefined && typeof tenants.authorize !== 'function') {
    throw configError(where, '`authorize` must be a function (user, tenant, req) => boolean.')
  }
  const id = tenants.id ?? 'tenant'
  const basePath = checkBasePath(options.basePath, WHERE)
  if (typeof id === 'string') {
    if (!new RegExp(`:${id}(?![A-Za-z0-9_$])`).test(basePath)) {
      throw configError(
        where,
        `\`id\` is the basePath parameter "${id}", but basePath ${JSON.stringify(basePath)} has none; use e.g. basePath: '/t/:${id}/sso', or pass \`id: (req) => tenantOf(req)\`.`,
      )
    }
  } else if (typeof id !== 'function') {
    throw configError(
      where,
      '`id` must be the name of a basePath parameter or a function of the request.',
    )
  }
  const whole = (name: 'maxTenants' | 'ttlMs' | 'timeoutMs', fallback: number) => {
    const value = tenants[name] ?? fallback
    if (!Number.isInteger(value) || value <= 0) {
      throw configError(where, `\`${name}\` must be a positive whole number; got ${String(value)}.`)
    }
    return value
  }
  return {
    id,
    resolve: tenants.resolve,
    authorize: tenants.authorize,
    maxTenants: whole('maxTenants', 1000),
    ttlMs: whole('ttlMs', 300_000),
    timeoutMs: whole('timeoutMs', 5000),
  }
}

/**
 * The instance id of a vendor that may be mounted more than once (two Zendesk configurations,
 * several forums): it names the routes (`/{id}/login`) and the vendor in events.
 */
export function checkInstanceId(value: unknown, fallback: string, where: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !ID.test(value)) {
    throw configError(
      where,
      `\`id\` must be lower-case letters, digits and dashes, such as "${fallback}-agents"; got ${JSON.stringify(value)}.`,
    )
  }
  return value
}
