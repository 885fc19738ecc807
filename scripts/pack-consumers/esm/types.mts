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
import { type Comm100Options, comm100 } from '@sso/middleware/vendors/comm100'
import { komo as komoAlone } from '@sso/middleware/vendors/komo'
import {
  createSigner,
  defineVendor,
  optionKeys,
  type VendorBaseOptions,
  type VendorResult,
} from '@sso/middleware/vendor-kit'
import { createTokenStore as storeAlone, type TokenSnapshot } from '@sso/react/token-store'
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

// The subpaths: a vendor alone, the vendor kit, the token store alone.
const comm100Options: Comm100Options = { secret: 'z'.repeat(32), allowedHosts: ['x.comm100.io'] }
export const alone = [komoAlone({ secret: 'x'.repeat(32) }), comm100(comm100Options)]
interface AcmeOptions extends VendorBaseOptions<'login'> {
  secret: string
}
export const known: readonly string[] = optionKeys<AcmeOptions>({
  secret: true,
  paths: true,
  claims: true,
})
// @ts-expect-error optionKeys lists every option key, no more and no less
optionKeys<AcmeOptions>({ secret: true, paths: true })
const signer = createSigner({ secret: 'k'.repeat(32) }, 'acme()')
export const custom = defineVendor({
  id: 'acme',
  routes: [
    {
      name: 'login',
      method: 'GET',
      path: '/acme/login',
      kind: 'browser',
      sideEffects: false,
      async handle(ctx): Promise<VendorResult> {
        const user = await ctx.requireUser()
        const { token } = await signer.sign({ sub: user.id })
        return {
          kind: 'redirect',
          location: `https://acme.example/sso?jwt=${token}`,
          allow: 'configured',
        }
      },
    },
  ],
})
export const snapshot: TokenSnapshot = storeAlone({ fetchToken: async () => 'a.b.c' }).getSnapshot()
