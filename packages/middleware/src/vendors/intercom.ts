import { defineVendor, type VendorBaseOptions, withClaimsHook } from '../core/define-vendor'
import { configurationNotes } from '../core/notes'
import { configError, SsoError } from '../core/errors'
import { createHmacKey } from '../core/hmac'
import { assertKnownOptions, assertOptionsObject, checkLifetime, optionKeys } from '../core/options'
import { compileAllowedOrigins } from '../core/same-origin'
import { type SdkTokenRouteOptions, sdkTokenRoute } from '../core/sdk-token'
import { createSigner, type SecretKeyOptions } from '../core/token'
import type { Vendor } from '../core/types'
import { compact, displayName } from '../core/user'

/** A user attribute the Messenger JWT can sign besides `user_id`. */
export type IntercomSignedField = 'email' | 'name'

/** Options of `intercom()`: Messenger security with the workspace's Messenger API secret. */
export interface IntercomOptions extends SecretKeyOptions, VendorBaseOptions<'token'> {
  /**
   * `'jwt'`: answer `{ token, expiresAt }`, an HS256 JWT for `intercom_user_jwt`. `'userHash'`:
   * Intercom's legacy identity verification, answer `{ userHash }` (hex HMAC-SHA256 of
   * `user_id`) for `user_hash`. (default: `'jwt'`)
   */
  mode?: 'jwt' | 'userHash'
  /**
   * JWT lifetime in seconds, at most 24 h. Intercom suggests matching your session length; the
   * page asks again before `exp`. (default: `3600`)
   */
  expiresIn?: number
  /**
   * The user attributes signed in the JWT besides `user_id`; a signed attribute cannot be
   * changed from the page. `[]` signs `user_id` alone. (default: `['email', 'name']`)
   */
  signedFields?: readonly IntercomSignedField[]
  /**
   * Origins besides the request's own `Host` that may call the token endpoint, e.g. the public
   * origin when a proxy rewrites `Host`. (default: none)
   */
  allowedOrigins?: string[]
}

const KNOWN = optionKeys<IntercomOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  mode: true,
  expiresIn: true,
  signedFields: true,
  allowedOrigins: true,
  paths: true,
  claims: true,
})
const SIGNABLE: readonly IntercomSignedField[] = ['email', 'name']
const MAX_LIFETIME = 24 * 60 * 60
/** Claims the signer owns: a hook's values for them are replaced, so they are not checked. */
const SIGNER_CLAIMS = new Set(['iat', 'exp', 'nbf', 'jti'])
/** userHash mode: hashes kept per user id (the secret is fixed per instance); oldest dropped first. */
const HASH_CACHE_SIZE = 1024

/**
 * Intercom Messenger security: the page asks `POST {basePath}/intercom/token` for a JWT and boots
 * the Messenger with `Intercom('boot', { app_id, intercom_user_jwt: token })`, never with
 * `user_id` or `email` in the settings. Intercom identifies the user by `user_id`, not by email,
 * so `emailVerified` is not checked. `mode: 'userHash'` answers the legacy `user_hash` instead.
 *
 * @example
 * ssoMiddleware({ getUser, vendors: [intercom({ secret: process.env.INTERCOM_MESSENGER_SECRET! })] })
 * // in the page: const { token } = await (await fetch('/sso/intercom/token', { method: 'POST' })).json()
 * //              Intercom('boot', { app_id: 'abc123', intercom_user_jwt: token })
 */
export function intercom(options: IntercomOptions): Vendor {
  const where = 'intercom()'
  assertOptionsObject(options, where, '`{ secret }` (the Messenger API secret)')
  assertKnownOptions(options, KNOWN, where)
  const mode = options.mode ?? 'jwt'
  if (mode !== 'jwt' && mode !== 'userHash') {
    throw configError(where, '`mode` must be "jwt" (the default) or "userHash".')
  }
  const allowedOrigins = compileAllowedOrigins(options.allowedOrigins, where)
  const { ready, issue } =
    mode === 'userHash' ? userHashMode(options, where) : jwtMode(options, where)
  return defineVendor(
    {
      id: 'intercom',
      notes: configurationNotes(options),
      ready,
      routes: [
        sdkTokenRoute({
          vendor: 'intercom',
          path: '/intercom/token',
          field: mode === 'userHash' ? 'userHash' : 'token',
          allowedOrigins,
          issue,
        }),
      ],
    },
    options.paths,
  )
}

interface Mode {
  ready: Promise<void>
  issue: SdkTokenRouteOptions['issue']
}

/** `{ token, expiresAt }`: `user_id`, the signed fields and the hook's attributes, HS256. */
function jwtMode(options: IntercomOptions, where: string): Mode {
  const expiresIn = checkLifetime(options.expiresIn, 3600, MAX_LIFETIME, where)
  const signed = checkSignedFields(options.signedFields, where)
  const signer = createSigner(options, where)
  const { claims: hook } = options
  return {
    ready: signer.ready,
    async issue(user, ctx) {
      const base: Record<string, unknown> = { user_id: user.id }
      if (signed.has('email') && user.email) base.email = user.email
      if (signed.has('name')) base.name = displayName(user)
      const claims = compact(await withClaimsHook(compact(base), hook, user, ctx))
      if (claims.user_id === undefined) throw hookError('user_id', undefined)
      for (const [name, value] of Object.entries(claims)) {
        if (SIGNER_CLAIMS.has(name) || (typeof value === 'string' && value !== '')) continue
        throw hookError(name, value)
      }
      const token = await signer.sign(claims, { expiresIn })
      return { value: token.token, exp: token.exp }
    },
  }
}

/**
 * `{ userHash }`: hex HMAC-SHA256(secret, user_id), never of the email. It depends on nothing
 * but the user id, so it is kept per user (bounded).
 */
function userHashMode(options: IntercomOptions, where: string): Mode {
  for (const name of ['expiresIn', 'signedFields', 'claims'] as const) {
    if (options[name] !== undefined) {
      throw configError(
        where,
        `\`${name}\` applies to the JWT only; with \`mode: "userHash"\` the answer is a hash of \`user_id\`. Remove it, or use the default mode "jwt".`,
      )
    }
  }
  const key = createHmacKey(options, where)
  const hashes = new Map<string, string>()
  return {
    ready: key.ready,
    async issue(user) {
      let hash = hashes.get(user.id)
      if (hash === undefined) {
        hash = await key.signHex(user.id)
        if (hashes.size >= HASH_CACHE_SIZE) hashes.delete(hashes.keys().next().value as string)
        hashes.set(user.id, hash)
      }
      return { value: hash }
    },
  }
}

/**
 * A hook value Intercom would not take as a signed attribute: a 500 naming the attribute (the
 * app's own name), never the value, which may be personal data.
 */
function hookError(name: string, value: unknown): SsoError {
  return new SsoError(
    'ERR_SSO_CONFIG',
    `intercom(): the \`claims\` hook returned \`${name.slice(0, 64)}\` as ${describe(value)}; ` +
      'attributes in the Messenger JWT must be non-empty strings (and `user_id` is required): return String(value), or leave the attribute out.',
    { vendor: 'intercom' },
  )
}

function checkSignedFields(
  value: readonly IntercomSignedField[] | undefined,
  where: string,
): ReadonlySet<IntercomSignedField> {
  if (value === undefined) return new Set(SIGNABLE)
  const fields = new Set<IntercomSignedField>()
  if (!Array.isArray(value)) {
    throw configError(where, '`signedFields` must be an array such as ["email", "name"].')
  }
  for (const field of value) {
    if (!SIGNABLE.includes(field)) {
      throw configError(
        where,
        `\`signedFields\` entries must be "email" or "name"; got ${JSON.stringify(field)}. Sign other attributes through \`claims\`.`,
      )
    }
    if (fields.has(field)) throw configError(where, `\`signedFields\` lists "${field}" twice.`)
    fields.add(field)
  }
  return fields
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null) return 'null'
  if (value === '') return 'an empty string'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}
