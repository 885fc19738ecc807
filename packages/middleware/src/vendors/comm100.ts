import { defineVendor, type VendorBaseOptions, withClaimsHook } from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkBaseUrl,
  checkLifetime,
  checkOptionalString,
  checkRelativeOption,
  optionKeys,
} from '../core/options'
import { checkRedirectUrl, compileAllowList } from '../core/redirect'
import { createSigner, type SecretKeyOptions } from '../core/token'
import type { Vendor, VendorContext } from '../core/types'
import { compact, displayName, requireTrustedEmail } from '../core/user'
import { logoutRoute } from '../core/vendor-helpers'

/** Options of `comm100()`. */
export interface Comm100Options extends SecretKeyOptions, VendorBaseOptions<'login' | 'logout'> {
  /**
   * Hosts `redirect_url` may point at: exact hosts or `*.suffix`; add white-label domains here.
   * (default: `['*.comm100.com', '*.comm100.io']`)
   */
  allowedHosts?: string[]
  /** Redirect to this Comm100 JWT endpoint with `jwt` and `redirect_url`, instead of to `redirect_url`. (default: none) */
  endpoint?: string
  /** Token lifetime in seconds, at most 1800. (default: `300`) */
  expiresIn?: number
  /** `iss` claim. (default: none) */
  issuer?: string
  /** Where the "Remote Logout URL" sends the browser after `onLogout`. (default: `'/'`) */
  afterLogout?: string
}

const KNOWN = optionKeys<Comm100Options>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  allowedHosts: true,
  endpoint: true,
  expiresIn: true,
  issuer: true,
  afterLogout: true,
  paths: true,
  claims: true,
})

/**
 * Comm100 agent SSO: Comm100 sends the agent to `GET {basePath}/comm100/login?redirect_url=…`
 * (its "Remote Login URL"); we send it back with `jwt`. `GET {basePath}/comm100/logout` is the
 * "Remote Logout URL".
 *
 * @example
 * comm100({ secret: process.env.COMM100_SSO_SECRET!, allowedHosts: ['dash11.comm100.io'] })
 */
export function comm100(options: Comm100Options): Vendor {
  const where = 'comm100()'
  assertOptionsObject(options, where, '`{ secret }`')
  assertKnownOptions(options, KNOWN, where)
  const signer = createSigner(options, where)
  const allowList = compileAllowList(
    options.allowedHosts ?? ['*.comm100.com', '*.comm100.io'],
    'comm100({ allowedHosts })',
  )
  const expiresIn = checkLifetime(options.expiresIn, 300, 1800, where)
  const endpoint =
    options.endpoint === undefined
      ? undefined
      : checkBaseUrl(options.endpoint, 'comm100({ endpoint })', 'https://sso.comm100.io/jwt')
  checkOptionalString(options.issuer, 'issuer', where)
  const afterLogout = checkRelativeOption(options.afterLogout, '/', 'comm100({ afterLogout })')
  const { issuer, claims: hook } = options

  return defineVendor(
    {
      id: 'comm100',
      notes: configurationNotes(options),
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/comm100/login',
          kind: 'browser',
          async handle(ctx: VendorContext) {
            const target = checkRedirectUrl(
              ctx.query.require('redirect_url'),
              allowList,
              'redirect_url',
              'comm100',
            )
            const relayState = ctx.query.get('RelayState', 1024)
            const user = await ctx.requireUser()
            const email = requireTrustedEmail(user, 'comm100')
            const claims = await withClaimsHook(
              compact({ email, name: displayName(user), aud: 'Comm100', iss: issuer }),
              hook,
              user,
              ctx,
            )
            const signed = await signer.sign(claims, { expiresIn, notBefore: true, jti: true })
            ctx.emit({ type: 'token.issued', userId: user.id, jti: signed.jti })
            if (endpoint) {
              const location = new URL(endpoint)
              location.searchParams.set('jwt', signed.token)
              location.searchParams.set('redirect_url', target.href)
              if (relayState !== undefined) location.searchParams.set('relayState', relayState)
              return { kind: 'redirect', location: location.href, allow: 'configured', token: true }
            }
            target.searchParams.set('jwt', signed.token)
            if (relayState !== undefined) target.searchParams.set('relayState', relayState)
            return { kind: 'redirect', location: target.href, allow: allowList, token: true }
          },
        },
        logoutRoute('/comm100/logout', afterLogout),
      ],
    },
    options.paths,
  )
}
