import { configError } from './errors'
import { isLoopbackHost, isSafeRelativePath } from './redirect'
import type { VendorContext, VendorResult, VendorRoute } from './types'

/**
 * A vendor's "logout URL" route: runs the app's `onLogout`, then sends the browser to a local
 * path checked at construction.
 */
export function logoutRoute(path: string, afterLogout: string): VendorRoute {
  return {
    name: 'logout',
    method: 'GET',
    path,
    kind: 'browser',
    sideEffects: true,
    async handle(ctx: VendorContext): Promise<VendorResult> {
      // Read before onLogout, which usually destroys the session the user comes from.
      const user = await ctx.user().catch(() => null)
      await ctx.logout()
      ctx.emit({ type: 'logout', ...(user ? { userId: user.id } : {}) })
      return { kind: 'redirect', location: afterLogout, allow: 'relative' }
    },
  }
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

/** `true` for an absolute http(s) URL (Bettermode `picture`). */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}
