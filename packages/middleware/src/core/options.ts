import { assertKnownOptions } from './define-vendor'
import { isProduction } from './env'
import { configError } from './errors'
import { normaliseBasePath } from './routes'
import type { SsoOptions, Vendor } from './types'

const KNOWN = [
  'getUser',
  'vendors',
  'loginUrl',
  'basePath',
  'onLogout',
  'onEvent',
  'onError',
  'exposeErrors',
] as const

export interface ResolvedOptions<Req> {
  getUser: SsoOptions<Req>['getUser']
  vendors: readonly Vendor<Req>[]
  loginUrl: SsoOptions<Req>['loginUrl']
  basePath: string
  onLogout: SsoOptions<Req>['onLogout']
  onEvent: SsoOptions<Req>['onEvent']
  onError: 'respond' | 'next'
  exposeErrors: boolean
}

/** Every check of the middleware's own options, once, at construction. */
export function resolveOptions<Req>(
  options: SsoOptions<Req>,
  WHERE = 'ssoMiddleware()',
): ResolvedOptions<Req> {
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
  if (!Array.isArray(options.vendors) || options.vendors.length === 0) {
    throw configError(WHERE, '`vendors` must be a non-empty array, e.g. [komo({ secret })].')
  }
  const ids = new Set<string>()
  options.vendors.forEach((vendor, i) => {
    if (typeof vendor === 'function') {
      const name = (vendor as { name?: string }).name || 'vendor'
      throw configError(
        WHERE,
        `\`vendors[${i}]\` is the factory \`${name}\` itself; call it with its options: ${name}({ ... }).`,
      )
    }
    if (!vendor || typeof vendor !== 'object' || !Array.isArray(vendor.routes)) {
      throw configError(WHERE, `\`vendors[${i}]\` is not a vendor; build one with defineVendor().`)
    }
    if (ids.has(vendor.id)) {
      throw configError(
        WHERE,
        `vendor "${vendor.id}" is mounted twice; mount it once, or give one a different basePath in another ${WHERE}.`,
      )
    }
    ids.add(vendor.id)
  })
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
    vendors: options.vendors,
    loginUrl,
    basePath: normaliseBasePath(options.basePath),
    onLogout: options.onLogout,
    onEvent: options.onEvent,
    onError: options.onError ?? 'respond',
    exposeErrors: options.exposeErrors ?? !isProduction(),
  }
}
