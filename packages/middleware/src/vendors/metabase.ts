import {
  defineVendor,
  dropPrivilegedClaims,
  type VendorBaseOptions,
  withClaimsHook,
} from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkBaseUrl,
  checkLifetime,
  optionKeys,
} from '../core/options'
import { isSafeRelativePath } from '../core/redirect'
import { compileAllowedOrigins } from '../core/same-origin'
import { sdkTokenRoute } from '../core/sdk-token'
import { createSigner, type SecretKeyOptions } from '../core/token'
import type { SsoUser, Vendor, VendorContext } from '../core/types'
import { compact, requireTrustedEmail, splitName } from '../core/user'

/** Options of `metabase()`: JWT SSO for the full app, and tokens for the embedding SDK. */
export interface MetabaseOptions extends SecretKeyOptions, VendorBaseOptions<'login' | 'token'> {
  /** Your Metabase's URL, e.g. `https://metabase.acme.com`. The login route sends tokens only there. */
  metabaseUrl: string
  /** Token lifetime in seconds, at most 3600. (default: `600`, as in Metabase's example) */
  expiresIn?: number
  /**
   * Pass `groups` from the `claims` hook through. Metabase syncs groups, which can include
   * Administrators, so they are removed unless this is set. (default: `false`)
   */
  allowGroupClaims?: boolean
  /**
   * Origins besides the request's own `Host` that may call the token endpoint, e.g. the public
   * origin when a proxy rewrites `Host`. (default: none)
   */
  allowedOrigins?: string[]
}

const KNOWN = optionKeys<MetabaseOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  metabaseUrl: true,
  expiresIn: true,
  allowGroupClaims: true,
  allowedOrigins: true,
  paths: true,
  claims: true,
})
const GROUP_CLAIMS = ['groups'] as const
// Metabase takes a login JWT for 180 s after `iat`; a longer `exp` only helps a leaked token.
const MAX_LIFETIME = 3600

/**
 * Metabase JWT SSO. Flow A (the full app): Metabase sends users to
 * `GET {basePath}/metabase/login?return_to=/path` (its "JWT Identity Provider URI"); we redirect
 * to `{metabaseUrl}/auth/sso?jwt=…&return_to=/path`. Flow B (the embedding SDK): the page's
 * `fetchRequestToken` POSTs to `{basePath}/metabase/token` and gets `{ jwt, expiresAt }`.
 *
 * @example
 * metabase({ secret: process.env.METABASE_JWT_SECRET!, metabaseUrl: 'https://metabase.acme.com' })
 * // groups Metabase should sync, from the app's own roles (opt-in: they can grant Administrators):
 * metabase({ secret, metabaseUrl, allowGroupClaims: true, claims: (user) => ({ groups: user.teams }) })
 */
export function metabase(options: MetabaseOptions): Vendor {
  const where = 'metabase()'
  assertOptionsObject(options, where, '`{ secret, metabaseUrl }`')
  assertKnownOptions(options, KNOWN, where)
  const signer = createSigner(options, where)
  const metabaseUrl = checkBaseUrl(
    options.metabaseUrl,
    'metabase({ metabaseUrl })',
    'https://metabase.acme.com',
  )
  const expiresIn = checkLifetime(options.expiresIn, 600, MAX_LIFETIME, where)
  const allowedOrigins = compileAllowedOrigins(options.allowedOrigins, where)
  const { claims: hook, allowGroupClaims = false } = options

  async function sign(user: SsoUser, ctx: VendorContext) {
    const email = requireTrustedEmail(user, 'metabase')
    const { firstName, lastName } = splitName(user)
    const base = compact({ email, first_name: firstName, last_name: lastName })
    const claims = dropPrivilegedClaims(
      await withClaimsHook(base, hook, user, ctx),
      GROUP_CLAIMS,
      allowGroupClaims,
      ctx,
      user.id,
    )
    return signer.sign(claims, { expiresIn })
  }

  return defineVendor(
    {
      id: 'metabase',
      notes: configurationNotes(options, {
        allowGroupClaims:
          '`groups` from the claims hook are sent: Metabase syncs them, Administrators included',
      }),
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/metabase/login',
          kind: 'browser',
          async handle(ctx: VendorContext) {
            const returnTo = ctx.query.get('return_to')
            const user = await ctx.requireUser()
            const signed = await sign(user, ctx)
            const location = new URL(`${metabaseUrl}/auth/sso`)
            location.searchParams.set('jwt', signed.token)
            // SECURITY.md rule 2: anything but a safe relative path is dropped (Metabase then
            // lands on its home page); the token still goes only to metabaseUrl.
            if (returnTo !== undefined && isSafeRelativePath(returnTo)) {
              location.searchParams.set('return_to', returnTo)
            }
            ctx.emit({ type: 'token.issued', userId: user.id })
            return { kind: 'redirect', location: location.href, allow: 'configured', token: true }
          },
        },
        sdkTokenRoute({
          vendor: 'metabase',
          path: '/metabase/token',
          field: 'jwt',
          allowedOrigins,
          async issue(user, ctx) {
            const signed = await sign(user, ctx)
            return { value: signed.token, exp: signed.exp }
          },
        }),
      ],
    },
    options.paths,
  )
}
