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
