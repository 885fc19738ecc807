import { defineVendor, type VendorBaseOptions, withClaimsHook } from '../core/define-vendor'
import { assertKnownOptions, assertOptionsObject, checkBaseUrl, optionKeys } from '../core/options'
import { configError, SsoError } from '../core/errors'
import type { MaybePromise, SsoUser, Vendor, VendorContext } from '../core/types'
import { compact, displayName } from '../core/user'
import { callUpstream, headerValueProblem, pathSegment, upstreamUrl } from '../core/upstream'

/** Options of `konnec()`. The API key stays on the server: it is never sent to a browser or logged. */
export interface KonnecOptions extends VendorBaseOptions<'login'> {
  /** Konnec's API, e.g. `https://api.konnec.to`. */
  apiBaseUrl: string
  /** Your Konnec organisation id (`x-org-id`). */
  orgId: string
  /** Your organisation's API key (`x-api-key`). */
  apiKey: string
  /** Where users land with `?refresh-token=`. (default: `'https://konnec.to'`) */
  appUrl?: string
  /** The role sent on every update. (default: `'USER'`) */
  role?: string
  /** The Konnec username of a user: 1 to 256 characters, not `.` or `..`. (default: `user.username`, else `user.id`) */
  username?: (user: SsoUser) => MaybePromise<string>
  /** Reads the refresh token from generate-token's answer. (default: `refreshToken`, `refresh_token`, `token`, else the plain-text body) */
  readToken?: (body: unknown) => MaybePromise<string | undefined>
  /** Timeout of each API call in milliseconds. (default: `5000`) */
  timeoutMs?: number
  /** Wait before the one retry of a connection error or 502/503/504, in ms. (default: `100`) */
  retryDelayMs?: number
}

const KNOWN = optionKeys<KonnecOptions>({
  apiBaseUrl: true,
  orgId: true,
  apiKey: true,
  appUrl: true,
  role: true,
  username: true,
  readToken: true,
  timeoutMs: true,
  retryDelayMs: true,
  paths: true,
  claims: true,
})
const MAX_BODY = 64 * 1024
const MAX_USERNAME = 256

function defaultReadToken(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() || undefined
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>
    for (const key of ['refreshToken', 'refresh_token', 'token']) {
      if (typeof record[key] === 'string' && record[key]) return record[key] as string
    }
  }
  return undefined
}

const USER_MESSAGE = 'Konnec is not answering right now. Try again in a moment.'

const unavailable = (message: string) =>
  new SsoError('ERR_SSO_VENDOR_UNAVAILABLE', message, {
    vendor: 'konnec',
    userMessage: USER_MESSAGE,
  })

/** A username that cannot reach Konnec as itself: the message names the field, never the value. */
const invalidUsername = (problem: string) =>
  new SsoError('ERR_SSO_USER_INVALID', `The Konnec \`username\` ${problem}.`, { vendor: 'konnec' })

/**
 * Konnec: Konnec sends users to `GET {basePath}/konnec/login`; the server creates or updates the
 * user and asks for a one-time refresh token with the organisation API key, then redirects to
 * `{appUrl}?refresh-token=…`.
 *
 * @example
 * konnec({ apiBaseUrl: 'https://api.konnec.to', orgId: process.env.KONNEC_ORG_ID!, apiKey: process.env.KONNEC_API_KEY! })
 */
export function konnec(options: KonnecOptions): Vendor {
  const where = 'konnec()'
  assertOptionsObject(options, where, '`{ apiBaseUrl, orgId, apiKey }`')
  assertKnownOptions(options, KNOWN, where)
  const apiBaseUrl = checkBaseUrl(
    options.apiBaseUrl,
    'konnec({ apiBaseUrl })',
    'https://api.konnec.to',
  )
  const appUrl = checkBaseUrl(
    options.appUrl ?? 'https://konnec.to',
    'konnec({ appUrl })',
    'https://konnec.to',
  )
  for (const name of ['orgId', 'apiKey'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0) {
      throw configError(where, `\`${name}\` is required (from Konnec's organisation settings).`)
    }
    const problem = headerValueProblem(options[name])
    if (problem) throw configError(where, `\`${name}\` is sent as a header, so it ${problem}.`)
  }
  const timeoutMs = options.timeoutMs ?? 5000
  const retryDelayMs = options.retryDelayMs ?? 100
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw configError(where, '`timeoutMs` must be a positive whole number of milliseconds.')
  }
  if (!Number.isInteger(retryDelayMs) || retryDelayMs < 0) {
    throw configError(where, '`retryDelayMs` must be a whole number of milliseconds.')
  }
  const { orgId, apiKey, role = 'USER', claims: hook } = options
  const readToken = options.readToken ?? defaultReadToken
  const headers = { 'content-type': 'application/json', 'x-org-id': orgId, 'x-api-key': apiKey }
  // Checked once here: a dot segment would send every call to another endpoint.
  const org = pathSegment(orgId, (problem) => configError(where, `\`orgId\` ${problem}.`))

  /** One API call through the shared upstream policy (timeout, no redirects, bounded body, one retry). */
  function call(username: string, action: 'update' | 'generate-token', body?: string) {
    return callUpstream(
      {
        url: upstreamUrl(apiBaseUrl, ['api', 'organization', org, 'user', username, action]),
        headers,
        body,
      },
      {
        vendor: 'konnec',
        label: `Konnec's ${action}`,
        userMessage: USER_MESSAGE,
        timeoutMs,
        retryDelayMs,
        maxBodyBytes: MAX_BODY,
      },
    )
  }

  return defineVendor(
    {
      id: 'konnec',
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/konnec/login',
          kind: 'browser',
          // It creates the user at Konnec and spends a one-time token: never for HEAD or an <img>.
          sideEffects: true,
          async handle(ctx: VendorContext) {
            const user = await ctx.requireUser()
            const username = options.username
              ? await options.username(user)
              : user.username || user.id
            if (
              typeof username !== 'string' ||
              username.length === 0 ||
              username.length > MAX_USERNAME
            ) {
              throw new SsoError(
                'ERR_SSO_USER_INVALID',
                `The Konnec \`username\` must be 1 to ${MAX_USERNAME} characters.`,
                { vendor: 'konnec' },
              )
            }
            // Refuses "." and "..", which fetch would collapse into another endpoint.
            const segment = pathSegment(username, invalidUsername)
            const profile = await withClaimsHook(
              compact({ name: displayName(user) ?? username, role, picture: user.picture }),
              hook,
              user,
              ctx,
            )
            await call(segment, 'update', JSON.stringify(profile))
            const answer = await call(segment, 'generate-token')
            let body: unknown = answer.text
            if (answer.contentType.includes('json') || /^\s*[{["]/.test(answer.text)) {
              try {
                body = JSON.parse(answer.text)
              } catch {
                // No cause: V8's SyntaxError message quotes the body, which holds the token.
                throw unavailable("Konnec's generate-token answer is not valid JSON.")
              }
            }
            const token = await readToken(body)
            if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
              throw unavailable("Konnec's generate-token answer holds no refresh token.")
            }
            const location = new URL(appUrl)
            location.searchParams.set('refresh-token', token)
            ctx.emit({ type: 'token.issued', userId: user.id })
            return { kind: 'redirect', location: location.href, allow: 'configured', token: true }
          },
        },
      ],
    },
    options.paths,
  )
}
