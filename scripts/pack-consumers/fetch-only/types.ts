// Types only, with no @types/node: what a Next.js route handler or a Worker writes against
// `@sso/middleware/fetch`, the vendor subpaths and the React token store.
import {
  type SsoFetchHandler,
  type SsoUser,
  canny,
  intercom,
  komo,
  metabase,
  ssoHandler,
} from '@sso/middleware/fetch'
import { featurebase } from '@sso/middleware/vendors/featurebase'

interface HonoLikeContext {
  var: { user: SsoUser | null }
}

const sso: SsoFetchHandler<Request, HonoLikeContext> = ssoHandler<Request, HonoLikeContext>(() => ({
  getUser: (_request, c) => c.var.user,
  onLogout: (_request, response) => {
    response.headers.append('Set-Cookie', 'sid=; Max-Age=0; Path=/')
  },
  vendors: [
    komo({ secret: 'x'.repeat(32) }),
    intercom({ secret: 'x'.repeat(32) }),
    canny({ secret: 'x'.repeat(32) }),
    featurebase({ secret: 'x'.repeat(32), portalUrl: 'https://acme.featurebase.app' }),
    metabase({ secret: 'x'.repeat(32), metabaseUrl: 'https://metabase.acme.com' }),
  ],
  inspector: false,
}))

export async function POST(request: Request): Promise<Response> {
  return (await sso(request, { var: { user: null } })) ?? new Response(null, { status: 404 })
}
