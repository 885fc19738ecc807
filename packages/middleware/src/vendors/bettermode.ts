import { defineVendor, type VendorBaseOptions, withClaimsHook } from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkBaseUrl,
  checkLifetime,
  checkRelativeOption,
  optionKeys,
} from '../core/options'
import { configError, SsoError } from '../core/errors'
import { isSafeRelativePath } from '../core/redirect'
import { createSigner, type SecretKeyOptions } from '../core/token'
import type { Vendor, VendorContext } from '../core/types'
import { compact, displayName, requireTrustedEmail } from '../core/user'
import { isHttpUrl, logoutRoute } from '../core/vendor-helpers'

/** Options of `bettermode()`. */
export interface BettermodeOptions extends SecretKeyOptions, VendorBaseOptions<'login' | 'logout'> {
  /** Your community's URL, e.g. `https://community.acme.com`. */
  communityUrl: string
  /** Where members land when no valid `referrer_uri` came in (a relative path). (default: none) */
  defaultRedirect?: string
  /** Token lifetime in seconds, at most 3600. (default: `60`) */
  expiresIn?: number
  /** Space ids to add the member to. (default: none) */
  spaceIds?: string[]
  /** Whether `spaceIds` are added to or replace the member's spaces. (default: none: Bettermode's `ADD`) */
  spacesOperation?: 'ADD' | 'REPLACE'
  /** Where the "Logout URL" sends the browser after `onLogout`. (default: `'/'`) */
  afterLogout?: string
}

const KNOWN = optionKeys<BettermodeOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  communityUrl: true,
  defaultRedirect: true,
  expiresIn: true,
  spaceIds: true,
  spacesOperation: true,
  afterLogout: true,
  paths: true,
  claims: true,
})
const MAX_SUB = 50
const MAX_EMAIL = 200

const invalid = (field: string, message: string) =>
  new SsoError('ERR_SSO_USER_INVALID', `Bettermode: \`${field}\` ${message}`, {
    vendor: 'bettermode',
    userMessage: 'Your profile cannot be sent to the community as it is.',
  })

/**
 * Bettermode community SSO: the community's Login button sends members to
 * `GET {basePath}/bettermode/login?referrer_uri=/path`; we redirect to
 * `{communityUrl}/api/auth/sso?jwt=…&redirect_uri=/path`.
 *
 * @example
 * bettermode({ secret: process.env.BETTERMODE_SSO_KEY!, communityUrl: 'https://community.acme.com' })
 */
export function bettermode(options: BettermodeOptions): Vendor {
  const where = 'bettermode()'
  assertOptionsObject(options, where, '`{ secret, communityUrl }`')
  assertKnownOptions(options, KNOWN, where)
  const signer = createSigner(options, where)
  const communityUrl = checkBaseUrl(
    options.communityUrl,
    'bettermode({ communityUrl })',
    'https://community.acme.com',
  )
  const expiresIn = checkLifetime(options.expiresIn, 60, 3600, where)
  const defaultRedirect =
    options.defaultRedirect === undefined
      ? undefined
      : checkRelativeOption(options.defaultRedirect, '/', 'bettermode({ defaultRedirect })')
  const afterLogout = checkRelativeOption(options.afterLogout, '/', 'bettermode({ afterLogout })')
  if (
    options.spacesOperation !== undefined &&
    !['ADD', 'REPLACE'].includes(options.spacesOperation)
  ) {
    throw configError(where, '`spacesOperation` must be "ADD" or "REPLACE".')
  }
  if (
    options.spaceIds !== undefined &&
    (!Array.isArray(options.spaceIds) || options.spaceIds.some((s) => typeof s !== 'string'))
  ) {
    throw configError(where, '`spaceIds` must be an array of strings.')
  }
  const { spaceIds, spacesOperation, claims: hook } = options

  return defineVendor(
    {
      id: 'bettermode',
      notes: configurationNotes(options),
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/bettermode/login',
          kind: 'browser',
          async handle(ctx: VendorContext) {
            const referrer = ctx.query.get('referrer_uri')
            // SECURITY.md rule 2: an unsafe path is dropped, not refused; the token still goes only to communityUrl.
            const redirectUri =
              referrer !== undefined && isSafeRelativePath(referrer) ? referrer : defaultRedirect
            const user = await ctx.requireUser()
            const email = requireTrustedEmail(user, 'bettermode')
            const base = compact({
              sub: user.id,
              email,
              name: displayName(user) ?? user.username ?? email.slice(0, email.indexOf('@')),
              tagline: user.tagline || undefined,
              picture: isHttpUrl(user.picture) ? user.picture : undefined,
              spaceIds,
              spacesOperation,
            })
            const claims = await withClaimsHook(base, hook, user, ctx)
            if (typeof claims.sub !== 'string' || claims.sub.length === 0)
              throw invalid('sub', 'is required.')
            if (claims.sub.length > MAX_SUB)
              throw invalid('sub', `is longer than ${MAX_SUB} characters.`)
            if (typeof claims.email !== 'string' || claims.email.length === 0)
              throw invalid('email', 'is required.')
            if (claims.email.length > MAX_EMAIL)
              throw invalid('email', `is longer than ${MAX_EMAIL} characters.`)
            if (typeof claims.name !== 'string' || claims.name.length === 0)
              throw invalid('name', 'is required.')
            if (claims.picture !== undefined && !isHttpUrl(claims.picture))
              throw invalid('picture', 'must be an http(s) URL.')
            const signed = await signer.sign(claims, { expiresIn })
            const location = new URL(`${communityUrl}/api/auth/sso`)
            location.searchParams.set('jwt', signed.token)
            if (redirectUri !== undefined) location.searchParams.set('redirect_uri', redirectUri)
            ctx.emit({ type: 'token.issued', userId: user.id })
            return { kind: 'redirect', location: location.href, allow: 'configured', token: true }
          },
        },
        logoutRoute('/bettermode/logout', afterLogout),
      ],
    },
    options.paths,
  )
}
