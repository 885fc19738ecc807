import {
  defineVendor,
  dropPrivilegedClaims,
  type VendorBaseOptions,
  withClaimsHook,
} from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import { configError, SsoError } from '../core/errors'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkBaseUrl,
  checkInstanceId,
  checkRelativeOption,
  optionKeys,
} from '../core/options'
import {
  checkRedirectUrl,
  compileAllowList,
  type HostAllowList,
  isSafeRelativePath,
} from '../core/redirect'
import { createSigner, type SecretKeyOptions } from '../core/token'
import type { Vendor, VendorContext } from '../core/types'
import { compact, displayName, requireTrustedEmail } from '../core/user'
import { logoutRoute } from '../core/vendor-helpers'

/** Options of `zendesk()`: one Zendesk JWT SSO configuration (end users, or team members). */
export interface ZendeskOptions extends SecretKeyOptions, VendorBaseOptions<'login' | 'logout'> {
  /** Your Zendesk subdomain: `acme` for `https://acme.zendesk.com`. */
  subdomain: string
  /**
   * Host-mapped brand domains (`help.acme.com`) that `return_to` may point at and the form may
   * post to. (default: none)
   */
  brandHosts?: string[]
  /**
   * The instance id: names the routes (`/{id}/login`) and the vendor in events. Each Zendesk SSO
   * configuration (end users, team members) is one adapter with its own secret, e.g.
   * `id: 'zendesk-agents'`. (default: `'zendesk'`)
   */
  id?: string
  /** Who signs in through this configuration: selects `locale_id` or `locale`. (default: `'end-user'`) */
  audience?: 'end-user' | 'team'
  /** Send `external_id` (the user id as a string). (default: `true`) */
  externalId?: boolean
  /** Also send `exp` = `iat` + 180 s. (default: `false`) */
  includeExp?: boolean
  /**
   * Pass `role` and `custom_role_id` from the `claims` hook through. They change what a user may
   * do in Zendesk, so they are removed unless this is set. (default: `false`)
   */
  allowRoleClaims?: boolean
  /** Where the "Remote logout URL" sends the browser after `onLogout`. (default: `'/'`) */
  afterLogout?: string
  /**
   * The account URL, for a stand-in on loopback in tests and the demo. (default:
   * `https://{subdomain}.zendesk.com`)
   */
  accountUrl?: string
}

const KNOWN = optionKeys<ZendeskOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  subdomain: true,
  brandHosts: true,
  id: true,
  audience: true,
  externalId: true,
  includeExp: true,
  allowRoleClaims: true,
  afterLogout: true,
  accountUrl: true,
  paths: true,
  claims: true,
})
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/
const DIGITS = /^\d{1,20}$/
const ID_PARAM_LENGTH = 256
const ROLE_CLAIMS = ['role', 'custom_role_id'] as const
const MAX_LIFETIME = 180

/**
 * Zendesk JWT SSO: Zendesk sends users to `GET {basePath}/zendesk/login?return_to=…&brand_id=…`
 * (its "Remote login URL"); the answer is a page that POSTs the token to
 * `https://{subdomain}.zendesk.com/access/jwt` (Zendesk no longer takes it in a GET).
 * `GET {basePath}/zendesk/logout` is the "Remote logout URL"; `?kind=error` there is Zendesk
 * reporting a refused token, and does not sign the user out.
 *
 * @example
 * zendesk({ subdomain: 'acme', secret: process.env.ZENDESK_JWT_SECRET! })
 * // team members through their own SSO configuration:
 * zendesk({ id: 'zendesk-agents', audience: 'team', subdomain: 'acme', secret: process.env.ZENDESK_AGENT_JWT_SECRET! })
 */
export function zendesk(options: ZendeskOptions): Vendor {
  const where = 'zendesk()'
  assertOptionsObject(options, where, '`{ subdomain, secret }`')
  assertKnownOptions(options, KNOWN, where)
  const id = checkInstanceId(options.id, 'zendesk', where)
  if (typeof options.subdomain !== 'string' || !DNS_LABEL.test(options.subdomain)) {
    throw configError(
      where,
      `\`subdomain\` must be one DNS label, such as "acme" for acme.zendesk.com; got ${JSON.stringify(options.subdomain)}.`,
    )
  }
  const signer = createSigner(options, where)
  const accountUrl = checkBaseUrl(
    options.accountUrl ?? `https://${options.subdomain}.zendesk.com`,
    'zendesk({ accountUrl })',
    'https://acme.zendesk.com',
  )
  const account = new URL(accountUrl)
  const brandHosts = options.brandHosts ?? []
  if (!Array.isArray(brandHosts))
    throw configError(where, '`brandHosts` must be an array of host names.')
  // return_to may point at the account or a brand; the form may post to the same origins.
  const returnTargets = compileAllowList(
    [account.protocol === 'https:' ? account.host : account.origin, ...brandHosts],
    'zendesk({ brandHosts })',
  )
  // A brand may be written as a host or as an origin (the allow-list takes both).
  const formAction = [
    account.origin,
    ...brandHosts.map((host) =>
      host.includes('://') ? new URL(host).origin : `https://${host.toLowerCase()}`,
    ),
  ]
  if (
    options.audience !== undefined &&
    options.audience !== 'end-user' &&
    options.audience !== 'team'
  ) {
    throw configError(where, '`audience` must be "end-user" or "team".')
  }
  const localeParam = options.audience === 'team' ? 'locale' : 'locale_id'
  const afterLogout = checkRelativeOption(options.afterLogout, '/', 'zendesk({ afterLogout })')
  const { claims: hook, externalId = true, includeExp = false, allowRoleClaims = false } = options

  const logout = logoutRoute(`/${id}/logout`, afterLogout)
  return defineVendor(
    {
      id,
      notes: configurationNotes(options, {
        allowRoleClaims:
          '`role` and `custom_role_id` from the claims hook are sent: they can make the user an agent or an admin in Zendesk',
      }),
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: `/${id}/login`,
          kind: 'browser',
          async handle(ctx: VendorContext) {
            const action = new URL(`${accountUrl}/access/jwt`)
            const returnTo = ctx.query.get('return_to')
            const target =
              returnTo === undefined ? undefined : returnTarget(returnTo, returnTargets)
            if (target !== undefined) action.searchParams.set('return_to', target)
            // Bounded well above 20 so a 21-digit id is dropped, as the spec says, not refused.
            const brand = ctx.query.get('brand_id', ID_PARAM_LENGTH)
            if (brand !== undefined && DIGITS.test(brand))
              action.searchParams.set('brand_id', brand)
            const locale = ctx.query.get('locale_id', ID_PARAM_LENGTH)
            if (locale !== undefined && DIGITS.test(locale)) {
              action.searchParams.set(localeParam, locale)
            }
            ctx.query.get('timestamp', 32) // sent by Zendesk, bounded, ignored
            const user = await ctx.requireUser()
            const email = requireTrustedEmail(user, id)
            const base = compact({
              email,
              name: displayName(user) ?? email.slice(0, email.indexOf('@')),
              external_id: externalId ? String(user.id) : undefined,
              remote_photo_url:
                typeof user.picture === 'string' && user.picture.startsWith('https://')
                  ? user.picture
                  : undefined,
            })
            const claims = dropPrivilegedClaims(
              await withClaimsHook(base, hook, user, ctx),
              ROLE_CLAIMS,
              allowRoleClaims,
              ctx,
              user.id,
            )
            const signed = await signer.sign(claims, {
              jti: true,
              expiresIn: includeExp ? MAX_LIFETIME : undefined,
            })
            ctx.emit({ type: 'token.issued', userId: user.id, jti: signed.jti })
            return {
              kind: 'form',
              action: action.href,
              fields: { jwt: signed.token },
              formAction,
              vendorName: 'Zendesk',
            }
          },
        },
        {
          ...logout,
          async handle(ctx: VendorContext) {
            // Zendesk never sends these anywhere we keep them: read (bounded) and dropped.
            ctx.query.get('email', 320)
            ctx.query.get('external_id', 256)
            ctx.query.get('brand_id', ID_PARAM_LENGTH)
            if (ctx.query.get('kind', 16) === 'error') {
              // Zendesk refused the token: the user stays signed in to the app.
              const message = ctx.query.get('message', 4096) ?? ''
              ctx.emit({ type: 'vendor_error' })
              throw new SsoError(
                'ERR_SSO_VENDOR_REFUSED',
                'Zendesk reported that it could not sign the user in (kind=error).',
                {
                  vendor: id,
                  detail: message.slice(0, 200),
                  userMessage: 'Zendesk could not sign you in. Try again, or contact support.',
                },
              )
            }
            return logout.handle(ctx)
          },
        },
      ],
    },
    options.paths,
  )
}

/**
 * `return_to`: a relative path (SECURITY.md rule 2) as sent, or an https URL on the account or a
 * brand, forwarded as the WHATWG parser writes it (`HTTPS://…:443/` → `https://…/`), so Zendesk
 * reads the same host we checked; anything else → undefined (dropped).
 */
function returnTarget(value: string, targets: HostAllowList): string | undefined {
  if (isSafeRelativePath(value)) return value
  try {
    return checkRedirectUrl(value, targets, 'return_to').href
  } catch {
    return undefined
  }
}
