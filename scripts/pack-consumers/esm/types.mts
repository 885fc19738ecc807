// Type-checked (never run) against the installed tarballs with `moduleResolution: nodenext`:
// the `import` condition's .d.ts must describe the API the README shows.
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  type KomoOptions,
  komo,
  kustomer,
  type SsoMiddleware,
  type SsoUser,
  ssoMiddleware,
} from '@sso/middleware'
import {
  createTokenStore,
  fetchTokenFrom,
  type KomoProviderProps,
  type TokenStore,
} from '@sso/react'
import { komoSimulator, verifyVendorToken } from '@sso/testing'

interface AppRequest extends IncomingMessage {
  session?: { user?: SsoUser }
}

const options: KomoOptions = { secret: 'x'.repeat(32), issuer: 'acme-app' }
export const middleware: SsoMiddleware<AppRequest> = ssoMiddleware<AppRequest>({
  getUser: (req) => req.session?.user ?? null,
  loginUrl: '/login',
  vendors: [
    komo(options),
    kustomer({ secret: 'y'.repeat(32), allowedHosts: ['acme.kustomer.help'] }),
  ],
})
export const handle = (req: AppRequest, res: ServerResponse): void => middleware(req, res, () => {})
export const ready: Promise<void> = middleware.ready

// @ts-expect-error komo() takes a secret or a private key
komo({ issuer: 'acme-app' })

export const store: TokenStore = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })
export const token: Promise<string> = store.getToken()
export const props: KomoProviderProps = { tokenUrl: '/sso/komo/token', user: { id: 'u1' } }
export const claims: Promise<Record<string, unknown>> = verifyVendorToken('komo', 'a.b.c', 'secret')
export const sim = komoSimulator({ secret: 'x'.repeat(32) })
