import { vendorsFromEnv } from '@sso/example-vendors'
import { ssoHandler } from '@sso/middleware/fetch'
import { inspectorAllowed } from './inspector'
import { CLEAR_SESSION_COOKIE, currentUser } from './session'

/** What Next.js hands a route handler of `app/sso/[...path]` as its second argument. */
export interface SsoRouteContext {
  params: Promise<{ path: string[] }>
}

/**
 * Options as a function: called (and checked) on the first request, so `next build`, which
 * evaluates this module, needs none of the vendors' secrets.
 */
export const sso = ssoHandler<Request, SsoRouteContext>(() => ({
  // The session through Next's cookies API; `ctx` (the route context) is there when you need it.
  getUser: async () => {
    const user = await currentUser()
    return user ? { ...user, emailVerified: true } : null
  },
  loginUrl: '/login',
  // Comm100, Bettermode and Discourse sign people out of the app: the sealed cookie is cleared
  // on the response the handler returns.
  onLogout: (_request, response) => {
    response.headers.append('Set-Cookie', CLEAR_SESSION_COOKIE)
  },
  onEvent: (event) => console.log('[sso]', JSON.stringify(event)),
  vendors: vendorsFromEnv(process.env),
  // The development inspector at /sso/_inspect, with `next dev` only (not mounted under
  // NODE_ENV=production). The route handler cannot see the client's address: `inspectorAllowed`
  // trusts the loopback address the dev server listens on, and says why in ./inspector.ts.
  inspector: { allow: (request) => inspectorAllowed(request) },
}))
