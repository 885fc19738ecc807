// Type-checked (never run) against the installed tarballs with `moduleResolution: nodenext`: in
// a .cts file every import resolves through the `require` condition, so this checks the .d.cts
// files describe the same API as the ESM ones. (Type-only imports and `typeof import()` keep it
// valid under the workspace's own tsconfig too, which also sees this file.)
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { KomoOptions, SsoMiddleware, SsoUser } from '@sso/middleware'
import type { KomoProviderProps, TokenStore } from '@sso/react'

declare const sso: typeof import('@sso/middleware')
declare const react: typeof import('@sso/react')
declare const testing: typeof import('@sso/testing')
declare const kit: typeof import('@sso/middleware/vendor-kit')
declare const konnecAlone: typeof import('@sso/middleware/vendors/konnec')
declare const tokenStore: typeof import('@sso/react/token-store')

interface AppRequest extends IncomingMessage {
  session?: { user?: SsoUser }
}

const options: KomoOptions = { secret: 'x'.repeat(32), issuer: 'acme-app' }
const middleware: SsoMiddleware<AppRequest> = sso.ssoMiddleware<AppRequest>({
  getUser: (req) => req.session?.user ?? null,
  loginUrl: '/login',
  vendors: [
    sso.komo(options),
    sso.bettermode({ secret: 'y'.repeat(32), communityUrl: 'https://community.acme.com' }),
  ],
})
const handle = (req: AppRequest, res: ServerResponse): void => middleware(req, res, () => {})

// @ts-expect-error komo() takes a secret or a private key
sso.komo({ issuer: 'acme-app' })

const store: TokenStore = react.createTokenStore({
  fetchToken: react.fetchTokenFrom('/sso/komo/token'),
})
const props: KomoProviderProps = { tokenUrl: '/sso/komo/token', user: 'u1' }
const claims: Promise<Record<string, unknown>> = testing.verifyVendorToken(
  'komo',
  'a.b.c',
  'secret',
)
const custom = kit.defineVendor({ id: 'acme', routes: [kit.logoutRoute('/acme/logout', '/')] })
const konnecVendor = konnecAlone.konnec({
  apiBaseUrl: 'https://api.konnec.to',
  orgId: 'org',
  apiKey: 'key',
})
const storeAlone: import('@sso/react/token-store').TokenStore = tokenStore.createTokenStore({
  fetchToken: async () => 'a.b.c',
})
void [handle, store, props, claims, custom, konnecVendor, storeAlone]
