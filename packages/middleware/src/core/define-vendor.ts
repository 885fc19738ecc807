import { configError } from './errors'
import type { MaybePromise, SsoUser, Vendor, VendorContext, VendorId, VendorRoute } from './types'

/** What `defineVendor` takes: an id, its routes, and optionally a key-import promise. */
export interface VendorDefinition<Req = unknown> {
  id: VendorId
  routes: readonly VendorRoute<Req>[]
  ready?: Promise<void>
}

/** Options every vendor factory takes. */
export interface VendorBaseOptions<RouteName extends string = string> {
  /** Rename routes, relative to `basePath`, e.g. `{ login: '/kb/login' }`. (default: the vendor's) */
  paths?: Partial<Record<RouteName, string>>
  /**
   * Adds or overrides claims after the vendor's own mapping. It cannot change the algorithm, nor
   * `iat`/`exp`/`nbf`/`jti`, which the signer owns. (default: none)
   */
  claims?: (user: SsoUser, ctx: VendorContext) => MaybePromise<Record<string, unknown>>
}

const ID = /^[a-z][a-z0-9-]{0,39}$/

/**
 * Defines a vendor: the interface the built-in vendors implement, and yours. Checks the shape
 * once and applies path overrides.
 *
 * @example
 * const acme = defineVendor({
 *   id: 'acme',
 *   routes: [{
 *     name: 'login', method: 'GET', path: '/acme/login', kind: 'browser',
 *     async handle(ctx) {
 *       const user = await ctx.requireUser()
 *       const { token } = await signer.sign({ sub: user.id }, { expiresIn: 60 })
 *       return { kind: 'redirect', location: `https://acme.example/sso?jwt=${token}`, allow: 'configured', token: true }
 *     },
 *   }],
 * })
 */
export function defineVendor<Req = unknown>(
  definition: VendorDefinition<Req>,
  paths?: Partial<Record<string, string>>,
): Vendor<Req> {
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
  const routes = definition.routes.map((route) => {
    const path = overrides[route.name]
    return Object.freeze(path ? { ...route, path } : { ...route })
  })
  return Object.freeze({ id: definition.id, routes, ready: definition.ready })
}

/** Runs the vendor's `claims` hook, if any, over the vendor's own claims. */
export async function withClaimsHook(
  base: Record<string, unknown>,
  hook: VendorBaseOptions['claims'],
  user: SsoUser,
  ctx: VendorContext,
): Promise<Record<string, unknown>> {
  if (!hook) return base
  const extra = await hook(user, ctx)
  if (extra === null || typeof extra !== 'object') return base
  return { ...base, ...extra }
}

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
