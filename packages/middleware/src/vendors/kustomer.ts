import { defineVendor, type VendorBaseOptions, withClaimsHook } from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import { assertKnownOptions, assertOptionsObject, checkLifetime, optionKeys } from '../core/options'
import { configError } from '../core/errors'
import { checkRedirectUrl, compileAllowList } from '../core/redirect'
import { createSigner, type SecretKeyOptions } from '../core/token'
import type { Vendor, VendorContext } from '../core/types'
import { requireTrustedEmail } from '../core/user'

/** Options of `kustomer()`. */
export interface KustomerOptions extends SecretKeyOptions, VendorBaseOptions<'login'> {
  /**
   * Hosts `kustomerRedirectUri` may point at: exact hosts or `*.suffix`; add your custom KB
   * domain here. (default: `['*.kustomer.help']`)
   */
  allowedHosts?: string[]
  /** Also send `exp` (Kustomer accepts tokens for 15 minutes from `iat` either way). (default: `false`) */
  includeExp?: boolean
  /** With `includeExp`: lifetime in seconds, at most 900. (default: `900`) */
  expiresIn?: number
}

const KNOWN = optionKeys<KustomerOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  allowedHosts: true,
  includeExp: true,
  expiresIn: true,
  paths: true,
  claims: true,
})
const KUSTOMER_MAX_AGE = 15 * 60

/**
 * Kustomer knowledge-base portal custom sign on: the portal's Login button sends the browser to
 * `GET {basePath}/kustomer/login?kustomerRedirectUri=…`; we send it back with `externalToken`.
 *
 * @example
 * kustomer({ secret: process.env.KUSTOMER_KB_SECRET!, allowedHosts: ['acme.kustomer.help', 'help.acme.com'] })
 */
export function kustomer(options: KustomerOptions): Vendor {
  const where = 'kustomer()'
  assertOptionsObject(options, where, '`{ secret }`')
  assertKnownOptions(options, KNOWN, where)
  const signer = createSigner(options, where)
  const allowList = compileAllowList(
    options.allowedHosts ?? ['*.kustomer.help'],
    'kustomer({ allowedHosts })',
  )
  if (options.expiresIn !== undefined && !options.includeExp) {
    throw configError(
      where,
      '`expiresIn` only applies with `includeExp: true`; set both, or neither.',
    )
  }
  const expiresIn = options.includeExp
    ? checkLifetime(options.expiresIn, KUSTOMER_MAX_AGE, KUSTOMER_MAX_AGE, where)
    : undefined
  const hook = options.claims

  return defineVendor(
    {
      id: 'kustomer',
      notes: configurationNotes(options),
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/kustomer/login',
          kind: 'browser',
          async handle(ctx: VendorContext) {
            // Read, bounded and unrepeated, but never trusted: Kustomer's own docs say to ignore it.
            ctx.query.get('trackingToken', 8192)
            const target = checkRedirectUrl(
              ctx.query.require('kustomerRedirectUri'),
              allowList,
              'kustomerRedirectUri',
              'kustomer',
            )
            const user = await ctx.requireUser()
            const email = requireTrustedEmail(user, 'kustomer')
            const claims = await withClaimsHook({ email }, hook, user, ctx)
            const signed = await signer.sign(claims, { expiresIn })
            target.searchParams.set('externalToken', signed.token)
            ctx.emit({ type: 'token.issued', userId: user.id })
            return { kind: 'redirect', location: target.href, allow: allowList, token: true }
          },
        },
      ],
    },
    options.paths,
  )
}
