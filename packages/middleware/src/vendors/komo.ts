import { defineVendor, type VendorBaseOptions, withClaimsHook } from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkLifetime,
  checkOptionalString,
  optionKeys,
} from '../core/options'
import { compileAllowedOrigins } from '../core/same-origin'
import { sdkTokenRoute } from '../core/sdk-token'
import { createSigner, type PrivateKeyOptions, type SecretKeyOptions } from '../core/token'
import type { Vendor } from '../core/types'
import { compact, requireTrustedEmail, splitName } from '../core/user'

interface KomoCommonOptions extends VendorBaseOptions<'token'> {
  /** `iss` claim, as configured in the Komo portal. (default: none) */
  issuer?: string
  /** Token lifetime in seconds, at most 24 h. (default: `3600`, as in Komo's example) */
  expiresIn?: number
  /**
   * Origins besides the request's own `Host` that may call the token endpoint, e.g. the public
   * origin when a proxy rewrites `Host`. (default: none)
   */
  allowedOrigins?: string[]
  /**
   * The `kid` header, naming the key the Komo portal verifies with: add the new key in the portal
   * first, then switch the app to it, and no token is refused during a rotation. (default: none)
   */
  kid?: string
}

/** Options of `komo()`: the shared secret (HS256), or a private key whose public key is in the Komo portal. */
export type KomoOptions = KomoCommonOptions &
  (SecretKeyOptions | (Omit<PrivateKeyOptions, 'algorithm'> & { algorithm: 'RS256' | 'ES256' }))

const KNOWN = optionKeys<KomoOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  privateKey: true,
  algorithm: true,
  issuer: true,
  expiresIn: true,
  allowedOrigins: true,
  kid: true,
  paths: true,
  claims: true,
})
const MAX_LIFETIME = 24 * 60 * 60

/**
 * Komo: the page hosting a Komo card asks `POST {basePath}/komo/token` for a JWT and hands it to
 * Komo's embed SDK (`komoEmbed.setAuthRequestHandler`). Identity comes from the session only.
 *
 * @example
 * ssoMiddleware({ getUser, vendors: [komo({ secret: process.env.KOMO_SSO_SECRET!, issuer: 'acme-app' })] })
 * // or with a key pair, the public key set in the Komo portal:
 * komo({ privateKey: process.env.KOMO_PRIVATE_KEY_PEM!, algorithm: 'ES256' })
 */
export function komo(options: KomoOptions): Vendor {
  const where = 'komo()'
  assertOptionsObject(options, where, '`{ secret }` or `{ privateKey, algorithm }`')
  assertKnownOptions(options, KNOWN, where)
  checkOptionalString(options.issuer, 'issuer', where)
  const expiresIn = checkLifetime(options.expiresIn, 3600, MAX_LIFETIME, where)
  const signer = createSigner(options, where, ['HS256', 'RS256', 'ES256'], { kid: options.kid })
  const allowedOrigins = compileAllowedOrigins(options.allowedOrigins, where)
  const { issuer, claims: hook } = options

  return defineVendor(
    {
      id: 'komo',
      notes: configurationNotes(options),
      ready: signer.ready,
      routes: [
        sdkTokenRoute({
          vendor: 'komo',
          path: '/komo/token',
          allowedOrigins,
          async issue(user, ctx) {
            const email = requireTrustedEmail(user, 'komo')
            const { firstName, lastName } = splitName(user)
            const claims = await withClaimsHook(
              compact({
                sub: user.id,
                email,
                first_name: firstName,
                last_name: lastName,
                iss: issuer,
              }),
              hook,
              user,
              ctx,
            )
            const signed = await signer.sign(claims, { expiresIn })
            return { value: signed.token, exp: signed.exp }
          },
        }),
      ],
    },
    options.paths,
  )
}
