import { defineVendor, type VendorBaseOptions, withClaimsHook } from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkBaseUrl,
  checkLifetime,
  optionKeys,
} from '../core/options'
import { checkRedirectUrl, compileAllowList, type HostAllowList } from '../core/redirect'
import { compileAllowedOrigins } from '../core/same-origin'
import { sdkTokenRoute } from '../core/sdk-token'
import { createSigner, type SecretKeyOptions } from '../core/token'
import type { SsoUser, Vendor, VendorContext } from '../core/types'
import { compact, displayName, requireTrustedEmail } from '../core/user'

/** Options of `featurebase()`: portal SSO (a redirect) and a token for the Featurebase SDK. */
export interface FeaturebaseOptions extends SecretKeyOptions, VendorBaseOptions<'login' | 'token'> {
  /**
   * Your portal's URL, e.g. `https://acme.featurebase.app` or a custom domain such as
   * `https://feedback.acme.com`. The token is only ever sent to `{portalUrl}/api/v1/auth/access/jwt`.
   */
  portalUrl: string
  /**
   * Hosts besides `portalUrl`'s that `return_to` may point at: exact hosts or `*.suffix`.
   * (default: `['*.featurebase.app']`)
   */
  allowedHosts?: string[]
  /** Token lifetime in seconds, at most 3600. (default: `600`) */
  expiresIn?: number
  /**
   * Origins besides the request's own that may call the token endpoint, e.g. the public origin
   * when a proxy rewrites `Host`. (default: none)
   */
  allowedOrigins?: string[]
}

const KNOWN = optionKeys<FeaturebaseOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  portalUrl: true,
  allowedHosts: true,
  expiresIn: true,
  allowedOrigins: true,
  paths: true,
  claims: true,
})
/** Featurebase documents no limit; ours keeps a token that travels in a URL short-lived. */
const MAX_LIFETIME = 3600
const MAX_LOCALE = 35

/**
 * Featurebase: the portal's "SSO URL" is `GET {basePath}/featurebase/login?return_to=…`, which
 * redirects to `{portalUrl}/api/v1/auth/access/jwt?jwt=…&return_to=…`; a `return_to` that is not
 * an https URL on the portal or `allowedHosts` becomes `portalUrl`. The page hosting the SDK or
 * a widget asks `POST {basePath}/featurebase/token` for `{ token, expiresAt }` and passes the
 * token as `featurebaseJwt` to `Featurebase('boot', …)` (or `jwtToken` to a widget).
 *
 * @example
 * featurebase({ secret: process.env.FEATUREBASE_JWT_SECRET!, portalUrl: 'https://acme.featurebase.app' })
 * // a custom portal domain:
 * featurebase({ secret, portalUrl: 'https://feedback.acme.com', allowedHosts: ['feedback.acme.com'] })
 */
export function featurebase(options: FeaturebaseOptions): Vendor {
  const where = 'featurebase()'
  assertOptionsObject(options, where, '`{ secret, portalUrl }`')
  assertKnownOptions(options, KNOWN, where)
  const signer = createSigner(options, where)
  const portalUrl = checkBaseUrl(
    options.portalUrl,
    'featurebase({ portalUrl })',
    'https://acme.featurebase.app',
  )
  const portal = new URL(portalUrl)
  // The portal's own host (or, on loopback or a non-default port, its origin) and allowedHosts.
  const returnTargets = compileAllowList(
    [
      portal.protocol === 'https:' && portal.port === '' ? portal.hostname : portal.origin,
      ...(options.allowedHosts ?? ['*.featurebase.app']),
    ],
    'featurebase({ allowedHosts })',
  )
  const expiresIn = checkLifetime(options.expiresIn, 600, MAX_LIFETIME, where)
  const allowedOrigins = compileAllowedOrigins(options.allowedOrigins, where)
  const hook = options.claims

  async function sign(user: SsoUser, ctx: VendorContext) {
    const email = requireTrustedEmail(user, 'featurebase')
    const base = compact({
      userId: String(user.id),
      email,
      name: displayName(user) ?? user.username ?? email.slice(0, email.indexOf('@')),
      profilePicture:
        typeof user.picture === 'string' && user.picture.startsWith('https://')
          ? user.picture
          : undefined,
      locale:
        typeof user.locale === 'string' && user.locale !== '' && user.locale.length <= MAX_LOCALE
          ? user.locale
          : undefined,
    })
    const claims = await withClaimsHook(base, hook, user, ctx)
    return signer.sign(claims, { expiresIn })
  }

  return defineVendor(
    {
      id: 'featurebase',
      notes: configurationNotes(options),
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/featurebase/login',
          kind: 'browser',
          async handle(ctx: VendorContext) {
            const returnTo = returnTarget(ctx.query.get('return_to'), returnTargets, portalUrl)
            const user = await ctx.requireUser()
            const signed = await sign(user, ctx)
            const location = new URL(`${portalUrl}/api/v1/auth/access/jwt`)
            location.searchParams.set('jwt', signed.token)
            location.searchParams.set('return_to', returnTo)
            ctx.emit({ type: 'token.issued', userId: user.id })
            return { kind: 'redirect', location: location.href, allow: 'configured', token: true }
          },
        },
        sdkTokenRoute({
          vendor: 'featurebase',
          path: '/featurebase/token',
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

/**
 * `return_to`: an https URL on the portal or `allowedHosts`, as the WHATWG parser writes it (so
 * Featurebase reads the host that was checked); anything else, or none, is `portalUrl`.
 */
function returnTarget(
  value: string | undefined,
  targets: HostAllowList,
  portalUrl: string,
): string {
  if (value === undefined) return portalUrl
  try {
    return checkRedirectUrl(value, targets, 'return_to').href
  } catch {
    return portalUrl
  }
}
