import { defineVendor, type VendorBaseOptions, withClaimsHook } from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import { configError, SsoError } from '../core/errors'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkBaseUrl,
  checkLifetime,
  optionKeys,
} from '../core/options'
import { checkRedirectUrl, compileAllowList, isLoopbackHost } from '../core/redirect'
import { compileAllowedOrigins } from '../core/same-origin'
import { sdkTokenRoute } from '../core/sdk-token'
import { createSigner, type SecretKeyOptions } from '../core/token'
import type { SsoUser, Vendor, VendorContext } from '../core/types'
import { compact, displayName, requireTrustedEmail } from '../core/user'

/** Options of `canny()`: Canny's SSO redirect (hosted board) and the widget's token endpoint. */
export interface CannyOptions extends SecretKeyOptions, VendorBaseOptions<'login' | 'token'> {
  /**
   * Your Canny company id. When set, a request whose `companyID` differs is refused (403), and a
   * request without one (a link of your own) uses it. (default: none: any well-formed
   * `companyID` is taken)
   */
  companyId?: string
  /**
   * Hosts `redirect` may point at: exact hosts, `*.suffix`, or a loopback origin; add your
   * custom board domain here. (default: `['*.canny.io']`)
   */
  allowedHosts?: string[]
  /**
   * Where Canny sends the user after sign-in when `redirect` is missing or not allowed: an
   * `https:` URL on `allowedHosts`. Without it, such a request is a 400. (default: none)
   */
  defaultRedirect?: string
  /**
   * Token lifetimes in seconds, by route: `login` (the SSO redirect; the token travels in a URL,
   * at most 3600) and `token` (the widget, at most 86400). (default: `{ login: 600, token: 3600 }`)
   */
  expiresIn?: { login?: number; token?: number }
  /**
   * Origins besides the request's own that may call the widget's token endpoint, e.g. the public
   * origin when a proxy rewrites `Host`. (default: none)
   */
  allowedOrigins?: string[]
  /**
   * Canny's origin, for a stand-in on loopback in tests and the demo: `https://canny.io` or an
   * `http(s)` loopback origin, nothing else. (default: `https://canny.io`)
   */
  cannyUrl?: string
}

const KNOWN = optionKeys<CannyOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  companyId: true,
  allowedHosts: true,
  defaultRedirect: true,
  expiresIn: true,
  allowedOrigins: true,
  cannyUrl: true,
  paths: true,
  claims: true,
})
const CANNY_URL = 'https://canny.io'
const COMPANY_ID = /^[A-Za-z0-9]{1,64}$/
const LIFETIMES = { login: [600, 60 * 60], token: [60 * 60, 24 * 60 * 60] } as const

/**
 * Canny SSO. Flow A (hosted board): Canny's "SSO redirect" sends users to
 * `GET {basePath}/canny/login?companyID=…&redirect=…`; we answer a 302 to
 * `https://canny.io/api/redirects/sso` with `companyID`, `ssoToken` and `redirect`. Flow B
 * (widget): the page asks `POST {basePath}/canny/token` for `{ token, expiresAt }` and calls
 * `Canny('render', { boardToken, basePath, ssoToken: token })`. No logout.
 *
 * @example
 * canny({ secret: process.env.CANNY_SSO_KEY!, companyId: process.env.CANNY_COMPANY_ID!,
 *   allowedHosts: ['acme.canny.io', 'feedback.acme.com'], defaultRedirect: 'https://acme.canny.io/' })
 */
export function canny(options: CannyOptions): Vendor {
  const where = 'canny()'
  assertOptionsObject(options, where, '`{ secret }`')
  assertKnownOptions(options, KNOWN, where)
  const signer = createSigner(options, where)
  const companyId = options.companyId
  if (companyId !== undefined && (typeof companyId !== 'string' || !COMPANY_ID.test(companyId))) {
    throw configError(
      where,
      '`companyId` must be 1 to 64 letters and digits, as Canny shows it under Settings › SSO.',
    )
  }
  const allowList = compileAllowList(
    options.allowedHosts ?? ['*.canny.io'],
    'canny({ allowedHosts })',
  )
  let defaultRedirect: string | undefined
  if (options.defaultRedirect !== undefined) {
    try {
      defaultRedirect = checkRedirectUrl(options.defaultRedirect, allowList, 'defaultRedirect').href
    } catch {
      throw configError(
        where,
        '`defaultRedirect` must be an https URL on `allowedHosts`, such as "https://acme.canny.io/".',
      )
    }
  }
  const sso = ssoEndpoint(options.cannyUrl)
  const lifetimes = checkLifetimes(options.expiresIn, where)
  const allowedOrigins = compileAllowedOrigins(options.allowedOrigins, where)
  const hook = options.claims

  async function sign(user: SsoUser, ctx: VendorContext, expiresIn: number) {
    const email = requireTrustedEmail(user, 'canny')
    const picture = user.picture
    const base = compact({
      id: String(user.id),
      email,
      name: displayName(user) ?? email.slice(0, email.indexOf('@')),
      avatarURL:
        typeof picture === 'string' && picture.startsWith('https://') ? picture : undefined,
      created: createdOf(user),
    })
    return signer.sign(await withClaimsHook(base, hook, user, ctx), { expiresIn })
  }

  return defineVendor(
    {
      id: 'canny',
      notes: configurationNotes(options),
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/canny/login',
          kind: 'browser',
          async handle(ctx: VendorContext) {
            // Checked before the user is looked up: a bad link never reaches the login page.
            const company = companyOf(ctx.query.get('companyID', 256), companyId)
            const redirect = redirectOf(ctx.query.get('redirect'), allowList, defaultRedirect)
            const user = await ctx.requireUser()
            const signed = await sign(user, ctx, lifetimes.login)
            // Built from configuration: the token only ever goes to Canny's SSO endpoint.
            const target = new URL(sso.href)
            target.searchParams.set('companyID', company)
            target.searchParams.set('ssoToken', signed.token)
            target.searchParams.set('redirect', redirect)
            ctx.emit({ type: 'token.issued', userId: user.id })
            return { kind: 'redirect', location: target.href, allow: sso.allow, token: true }
          },
        },
        sdkTokenRoute({
          vendor: 'canny',
          path: '/canny/token',
          allowedOrigins,
          async issue(user, ctx) {
            const signed = await sign(user, ctx, lifetimes.token)
            return { value: signed.token, exp: signed.exp }
          },
        }),
      ],
    },
    options.paths,
  )
}

/** `https://canny.io/api/redirects/sso`, or a loopback stand-in's; with its allow-list for the re-check. */
function ssoEndpoint(value: string | undefined) {
  const base = checkBaseUrl(value ?? CANNY_URL, 'canny({ cannyUrl })', CANNY_URL)
  const url = new URL(base)
  if (url.pathname !== '/' || (url.href !== `${CANNY_URL}/` && !isLoopbackHost(url.hostname))) {
    throw configError(
      'canny({ cannyUrl })',
      `must be "${CANNY_URL}" (or a loopback origin for a stand-in such as "http://127.0.0.1:4110"); the token goes nowhere else.`,
    )
  }
  const entry = url.protocol === 'https:' && url.port === '' ? url.hostname : url.origin
  return {
    href: `${url.origin}/api/redirects/sso`,
    allow: compileAllowList([entry], 'canny({ cannyUrl })'),
  }
}

function checkLifetimes(value: CannyOptions['expiresIn'], where: string) {
  if (
    value !== undefined &&
    (value === null || typeof value !== 'object' || Array.isArray(value))
  ) {
    throw configError(
      where,
      '`expiresIn` takes seconds by route, e.g. `{ login: 300, token: 1800 }`.',
    )
  }
  const given = value ?? {}
  assertKnownOptions(given, ['login', 'token'], 'canny({ expiresIn })')
  return {
    login: checkLifetime(
      given.login,
      LIFETIMES.login[0],
      LIFETIMES.login[1],
      'canny({ expiresIn.login })',
    ),
    token: checkLifetime(
      given.token,
      LIFETIMES.token[0],
      LIFETIMES.token[1],
      'canny({ expiresIn.token })',
    ),
  }
}

/** `companyID`: 1–64 letters and digits (400), and the configured company's (403). */
function companyOf(value: string | undefined, configured: string | undefined): string {
  if (value === undefined && configured !== undefined) return configured
  if (value === undefined || !COMPANY_ID.test(value)) {
    throw new SsoError('ERR_SSO_BAD_REQUEST', 'companyID must be 1 to 64 letters and digits.', {
      vendor: 'canny',
      userMessage: 'The link you followed is incomplete or malformed.',
    })
  }
  if (configured !== undefined && value !== configured) {
    throw new SsoError('ERR_SSO_FORBIDDEN', 'companyID is not the configured company.', {
      vendor: 'canny',
      userMessage: 'This site does not sign you in to that Canny company.',
    })
  }
  return value
}

/**
 * `redirect`: an https URL on the allow-list, as the URL parser writes it (so Canny reads the
 * host we checked); missing or refused → `defaultRedirect`, else the refusal (400).
 */
function redirectOf(
  value: string | undefined,
  allowList: ReturnType<typeof compileAllowList>,
  fallback: string | undefined,
): string {
  if (value === undefined) {
    if (fallback !== undefined) return fallback
    throw new SsoError('ERR_SSO_BAD_REQUEST', 'redirect is missing.', {
      vendor: 'canny',
      userMessage: 'The link you followed is incomplete.',
    })
  }
  try {
    return checkRedirectUrl(value, allowList, 'redirect', 'canny').href
  } catch (error) {
    if (fallback !== undefined) return fallback
    throw error
  }
}

/**
 * `created`: the user's `createdAt` (a Date, milliseconds since the epoch, or a date string) as
 * an ISO 8601 string; absent when the user has none; a value that is no date is a 422.
 */
function createdOf(user: SsoUser): string | undefined {
  const value = user.createdAt
  if (value === undefined || value === null) return undefined
  const time =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? Date.parse(value)
          : Number.NaN
  if (!Number.isFinite(time) || Math.abs(time) > 8.64e15) {
    throw new SsoError('ERR_SSO_USER_INVALID', "The user's `createdAt` is not a date.", {
      vendor: 'canny',
      userMessage: 'Your profile is missing something this service needs.',
    })
  }
  return new Date(time).toISOString()
}
