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
void [handle, store, props, claims]
