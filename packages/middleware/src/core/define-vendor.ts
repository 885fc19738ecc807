import { checkVendorDefinition } from './options'
import type { MaybePromise, SsoUser, Vendor, VendorContext, VendorId, VendorRoute } from './types'

/** What `defineVendor` takes: an id, its routes, and optionally a key-import promise. */
export interface VendorDefinition<Req = unknown> {
  id: VendorId
  routes: readonly VendorRoute<Req>[]
  ready?: Promise<void>
  /**
   * What this configuration risks, in words, shown as warnings by the development inspector
   * (`configurationNotes` words the short-secret escape hatch and privilege opt-ins). Never a
   * secret. (default: none)
   */
  notes?: readonly string[]
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
  checkVendorDefinition(definition, paths)
  const overrides = paths ?? {}
  const routes = definition.routes.map((route) => {
    const path = overrides[route.name]
    return Object.freeze(path ? { ...route, path } : { ...route })
  })
  const notes = Object.freeze([...(definition.notes ?? [])])
  return Object.freeze({ id: definition.id, routes, ready: definition.ready, notes })
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

/**
 * Removes privilege-bearing claims (a role, admin flags, groups) unless the app opted in: they
 * are never defaulted, and a `claims` hook that returns them by accident grants nothing. An
 * event records the names removed, never the values.
 */
export function dropPrivilegedClaims(
  claims: Record<string, unknown>,
  privileged: readonly string[],
  allowed: boolean,
  ctx: VendorContext,
  userId: string,
): Record<string, unknown> {
  if (allowed) return claims
  const removed = privileged.filter((name) => claims[name] !== undefined)
  if (removed.length === 0) return claims
  const kept = { ...claims }
  for (const name of removed) delete kept[name]
  ctx.emit({ type: 'claims.removed', userId, claims: removed })
  return kept
}
