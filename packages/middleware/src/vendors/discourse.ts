import {
  defineVendor,
  dropPrivilegedClaims,
  type VendorBaseOptions,
  withClaimsHook,
} from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import { configError, SsoError } from '../core/errors'
import {
  createHmacKey,
  decodeBase64Utf8,
  encodeBase64Utf8,
  type HmacKeyOptions,
} from '../core/hmac'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkBaseUrl,
  checkInstanceId,
  checkRelativeOption,
  optionKeys,
} from '../core/options'
import type { SsoUser, Vendor, VendorContext } from '../core/types'
import { displayName, requireTrustedEmail } from '../core/user'
import { isHttpUrl, logoutRoute } from '../core/vendor-helpers'

/** Options of `discourse()`: DiscourseConnect, with your app as the identity source. */
export interface DiscourseOptions extends HmacKeyOptions, VendorBaseOptions<'login' | 'logout'> {
  /** Your forum's URL, e.g. `https://forum.acme.com`. */
  discourseUrl: string
  /**
   * Every `return_sso_url` accepted, for several forums sharing one secret (each a full URL such
   * as `https://forum.acme.com/session/sso_login`). (default: `{discourseUrl}/session/sso_login`)
   */
  allowedReturnUrls?: string[]
  /** The instance id: names the routes (`/{id}/login`) and the vendor in events. (default: `'discourse'`) */
  id?: string
  /**
   * A user whose email is not verified: `'refuse'` (403), or `'requireActivation'`, which sends
   * `require_activation=true` so Discourse confirms the address itself. (default: `'refuse'`)
   */
  unverifiedEmail?: 'refuse' | 'requireActivation'
  /**
   * Pass `admin`, `moderator`, `groups`, `add_groups`, `remove_groups` and `title` from the
   * `claims` hook through; they are removed otherwise. (default: `false`)
   */
  allowPrivilegeClaims?: boolean
  /** Where Discourse's `logout_redirect` sends the browser after `onLogout`. (default: `'/'`) */
  afterLogout?: string
}

const KNOWN = optionKeys<DiscourseOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  discourseUrl: true,
  allowedReturnUrls: true,
  id: true,
  unverifiedEmail: true,
  allowPrivilegeClaims: true,
  afterLogout: true,
  paths: true,
  claims: true,
})
const PRIVILEGED = ['admin', 'moderator', 'groups', 'add_groups', 'remove_groups', 'title'] as const
const BANNED_EXTERNAL_IDS = new Set(['none', 'nil', 'blank', 'null'])
const SSO_CHARS = /^[A-Za-z0-9+/=\r\n]{1,2048}$/
const SIG = /^[0-9a-fA-F]{64}$/

const bad = (id: string, message: string) =>
  new SsoError('ERR_SSO_BAD_REQUEST', message, {
    vendor: id,
    userMessage: 'The sign-in link from the forum is not valid. Start again from the forum.',
  })

/**
 * Discourse (DiscourseConnect): the forum sends users to `GET {basePath}/discourse/login?sso=…&sig=…`
 * (its `discourse_connect_url`). The request is verified before anything else; the answer is a
 * 302 to the forum's `return_sso_url` with a signed payload echoing its nonce. No JWT.
 *
 * @example
 * discourse({ secret: process.env.DISCOURSE_CONNECT_SECRET!, discourseUrl: 'https://forum.acme.com' })
 */
export function discourse(options: DiscourseOptions): Vendor {
  const where = 'discourse()'
  assertOptionsObject(options, where, '`{ secret, discourseUrl }`')
  assertKnownOptions(options, KNOWN, where)
  const id = checkInstanceId(options.id, 'discourse', where)
  const key = createHmacKey(options, where)
  const discourseUrl = checkBaseUrl(
    options.discourseUrl,
    'discourse({ discourseUrl })',
    'https://forum.acme.com',
  )
  const returnUrls = new Map<string, string>()
  for (const raw of options.allowedReturnUrls ?? [`${discourseUrl}/session/sso_login`]) {
    const url = checkBaseUrl(
      raw,
      'discourse({ allowedReturnUrls })',
      'https://forum.acme.com/session/sso_login',
    )
    returnUrls.set(url, url)
  }
  if (
    options.unverifiedEmail !== undefined &&
    options.unverifiedEmail !== 'refuse' &&
    options.unverifiedEmail !== 'requireActivation'
  ) {
    throw configError(where, '`unverifiedEmail` must be "refuse" or "requireActivation".')
  }
  const requireActivation = options.unverifiedEmail === 'requireActivation'
  const afterLogout = checkRelativeOption(options.afterLogout, '/', 'discourse({ afterLogout })')
  const { claims: hook, allowPrivilegeClaims = false } = options

  return defineVendor(
    {
      id,
      notes: configurationNotes(options, {
        allowPrivilegeClaims:
          '`admin`, `moderator`, groups and `title` from the claims hook are sent: they can make the user a Discourse admin',
      }),
      ready: key.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: `/${id}/login`,
          kind: 'browser',
          async handle(ctx: VendorContext) {
            // 1–4: verified before anything else, so a bad request fails alike logged in or out.
            const sso = ctx.query.require('sso', 2048)
            const sig = ctx.query.require('sig', 64)
            if (!SSO_CHARS.test(sso))
              throw bad(id, 'The `sso` payload holds characters Base64 does not.')
            if (!SIG.test(sig)) throw bad(id, 'The `sig` is not 64 hex digits.')
            if (!(await key.verifyHex(sso, sig))) {
              throw new SsoError(
                'ERR_SSO_BAD_REQUEST',
                'The `sig` does not match the `sso` payload.',
                {
                  vendor: id,
                  userMessage:
                    'The sign-in link from the forum is not valid. Start again from the forum.',
                },
              )
            }
            const decoded = decodeBase64Utf8(sso)
            if (decoded === undefined)
              throw bad(id, 'The `sso` payload is not Base64 of UTF-8 text.')
            const payload = new URLSearchParams(decoded)
            const nonces = payload.getAll('nonce')
            const nonce = nonces[0]
            if (nonces.length !== 1 || !nonce || nonce.length > 128) {
              throw bad(
                id,
                'The `sso` payload needs exactly one non-empty nonce of at most 128 characters.',
              )
            }
            const returns = payload.getAll('return_sso_url')
            if (returns.length !== 1)
              throw bad(id, 'The `sso` payload needs exactly one return_sso_url.')
            const returnUrl = returnUrls.get(normalise(returns[0] as string))
            if (!returnUrl) {
              throw new SsoError(
                'ERR_SSO_REDIRECT_NOT_ALLOWED',
                'The return_sso_url is not this forum’s (set `discourseUrl` or `allowedReturnUrls`).',
                {
                  vendor: id,
                  userMessage:
                    'The link you followed points somewhere this site does not send sign-ins to.',
                },
              )
            }

            const user = await ctx.requireUser()
            let activation = false
            if (user.emailVerified === false && requireActivation) {
              activation = true
              requireTrustedEmail({ ...user, emailVerified: true }, id)
            } else {
              requireTrustedEmail(user, id)
            }
            const externalId = String(user.id)
            if (
              externalId.trim() === '' ||
              BANNED_EXTERNAL_IDS.has(externalId.trim().toLowerCase())
            ) {
              throw new SsoError(
                'ERR_SSO_USER_INVALID',
                'The user id cannot be a Discourse `external_id` (empty, "none", "nil", "blank" and "null" are banned).',
                { vendor: id, userMessage: 'Your account cannot be used with the forum as it is.' },
              )
            }
            const claims = dropPrivilegedClaims(
              await withClaimsHook(baseClaims(user, externalId), hook, user, ctx),
              PRIVILEGED,
              allowPrivilegeClaims,
              ctx,
              user.id,
            )
            const out = new URLSearchParams()
            for (const [name, value] of Object.entries(claims)) appendClaim(out, name, value)
            // The nonce and the identity fields are ours, whatever the hook returned.
            out.set('nonce', nonce)
            out.set('external_id', externalId)
            out.set('email', user.email)
            if (activation) out.set('require_activation', 'true')
            const signed = encodeBase64Utf8(out.toString())
            const location = new URL(returnUrl)
            location.searchParams.set('sso', signed)
            location.searchParams.set('sig', await key.signHex(signed))
            ctx.emit({ type: 'token.issued', userId: user.id })
            return { kind: 'redirect', location: location.href, allow: 'configured', token: true }
          },
        },
        logoutRoute(`/${id}/logout`, afterLogout),
      ],
    },
    options.paths,
  )
}

function baseClaims(user: SsoUser, externalId: string): Record<string, unknown> {
  const claims: Record<string, unknown> = { external_id: externalId, email: user.email }
  if (user.username) claims.username = user.username
  const name = displayName(user)
  if (name) claims.name = name
  if (isHttpUrl(user.picture)) claims.avatar_url = user.picture
  return claims
}

/** Booleans as `true`/`false`, lists comma-joined (groups), `custom` as `custom.<key>`. */
function appendClaim(out: URLSearchParams, name: string, value: unknown): void {
  if (value === undefined || value === null) return
  if (name === 'custom' && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      appendClaim(out, `custom.${key}`, inner)
    }
    return
  }
  if (Array.isArray(value)) out.set(name, value.map(String).join(','))
  else if (typeof value === 'boolean') out.set(name, value ? 'true' : 'false')
  else if (typeof value === 'string' || typeof value === 'number') out.set(name, String(value))
}

/** A return_sso_url as `checkBaseUrl` keeps configured ones: no trailing slash, no query. */
function normalise(raw: string): string {
  try {
    const url = new URL(raw)
    if (url.username || url.password || url.search || url.hash) return ''
    return url.href.replace(/\/+$/, '')
  } catch {
    return ''
  }
}
