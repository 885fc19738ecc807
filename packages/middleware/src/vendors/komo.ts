import {
  assertKnownOptions,
  defineVendor,
  type VendorBaseOptions,
  withClaimsHook,
} from '../core/define-vendor'
import { configError, SsoError } from '../core/errors'
import {
  checkLifetime,
  createSigner,
  type PrivateKeyOptions,
  type SecretKeyOptions,
} from '../core/token'
import type { SsoRequest, Vendor, VendorContext } from '../core/types'
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
}

/** Options of `komo()`: the shared secret (HS256), or a private key whose public key is in the Komo portal. */
export type KomoOptions = KomoCommonOptions &
  (SecretKeyOptions | (Omit<PrivateKeyOptions, 'algorithm'> & { algorithm: 'RS256' | 'ES256' }))

const KNOWN = [
  'secret',
  'dangerouslyAllowShortSecret',
  'privateKey',
  'algorithm',
  'issuer',
  'expiresIn',
  'allowedOrigins',
  'paths',
  'claims',
]
const MAX_LIFETIME = 24 * 60 * 60

/**
 * Rule 4: the token endpoint serves same-origin browsers and server-side callers only. A request
 * is cross-site when `Sec-Fetch-Site` says so, or when its `Origin` is not the whole origin
 * (scheme, host and port) it was sent to, nor one of `allowedOrigins`.
 */
function assertSameOrigin(request: SsoRequest, allowedOrigins: ReadonlySet<string>): void {
  const refuse = (message: string) =>
    new SsoError('ERR_SSO_FORBIDDEN', message, {
      vendor: 'komo',
      userMessage: 'Cross-site requests are not allowed.',
    })
  const site = request.header('sec-fetch-site')
  if (site !== undefined && site !== 'same-origin')
    throw refuse(`Sec-Fetch-Site is "${site.slice(0, 20)}".`)
  const origin = request.header('origin')
  if (origin === undefined) return
  let parsed: string
  try {
    parsed = new URL(origin).origin
  } catch {
    throw refuse('The Origin header is not an origin.')
  }
  if (parsed === 'null' || (parsed !== request.origin && !allowedOrigins.has(parsed))) {
    throw refuse(
      'The Origin is not this site (scheme, host and port); behind a proxy that rewrites them, list the public origin in `allowedOrigins`.',
    )
  }
}

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
  if (!options || typeof options !== 'object')
    throw configError(where, 'takes `{ secret }` or `{ privateKey, algorithm }`.')
  assertKnownOptions(options, KNOWN, where)
  if (
    options.issuer !== undefined &&
    (typeof options.issuer !== 'string' || options.issuer === '')
  ) {
    throw configError(where, '`issuer` must be a non-empty string.')
  }
  const expiresIn = checkLifetime(options.expiresIn, 3600, MAX_LIFETIME, where)
  const signer = createSigner(options, where, ['HS256', 'RS256', 'ES256'])
  const allowedOrigins = new Set<string>()
  for (const origin of options.allowedOrigins ?? []) {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {}
    if (!parsed || parsed.origin !== origin.replace(/\/$/, '').toLowerCase()) {
      throw configError(
        where,
        `\`allowedOrigins\` entries must be origins such as "https://app.example.com"; got ${JSON.stringify(origin)}.`,
      )
    }
    allowedOrigins.add(parsed.origin)
  }
  const { issuer, claims: hook } = options

  return defineVendor(
    {
      id: 'komo',
      ready: signer.ready,
      routes: [
        {
          name: 'token',
          method: 'POST',
          path: '/komo/token',
          kind: 'api',
          async handle(ctx: VendorContext) {
            assertSameOrigin(ctx.request, allowedOrigins)
            const user = await ctx.requireUser()
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
            ctx.emit({ type: 'token.issued', userId: user.id })
            return {
              kind: 'json',
              body: { token: signed.token, expiresAt: signed.exp },
              token: true,
            }
          },
        },
      ],
    },
    options.paths,
  )
}
