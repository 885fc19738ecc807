import {
  assertKnownOptions,
  defineVendor,
  type VendorBaseOptions,
  withClaimsHook,
} from '../core/define-vendor'
import { configError, SsoError } from '../core/errors'
import type { SsoUser, Vendor, VendorContext } from '../core/types'
import { compact, displayName } from '../core/user'
import { checkBaseUrl } from '../core/vendor-helpers'

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
  /** The Konnec username of a user. (default: `user.username`, else `user.id`) */
  username?: (user: SsoUser) => string
  /** Reads the refresh token from generate-token's answer. (default: `refreshToken`, `refresh_token`, `token`, else the plain-text body) */
  readToken?: (body: unknown) => string | undefined
  /** Timeout of each API call in milliseconds. (default: `5000`) */
  timeoutMs?: number
  /** Wait before the one retry of a connection error or 502/503/504, in ms. (default: `100`) */
  retryDelayMs?: number
}

const KNOWN = [
  'apiBaseUrl',
  'orgId',
  'apiKey',
  'appUrl',
  'role',
  'username',
  'readToken',
  'timeoutMs',
  'retryDelayMs',
  'paths',
  'claims',
]
const RETRY_STATUSES = new Set([502, 503, 504])
const MAX_BODY = 64 * 1024

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

const unavailable = (message: string, status = 502, cause?: unknown) =>
  new SsoError('ERR_SSO_VENDOR_UNAVAILABLE', message, {
    status,
    vendor: 'konnec',
    cause,
    userMessage: 'Konnec is not answering right now. Try again in a moment.',
  })

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
  if (!options || typeof options !== 'object')
    throw configError(where, 'takes `{ apiBaseUrl, orgId, apiKey }`.')
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
  const userBase = `${apiBaseUrl}/api/organization/${encodeURIComponent(orgId)}/user/`

  /** One API call: a timeout, one retry on a connection error or 502/503/504. */
  async function call(username: string, action: 'update' | 'generate-token', body?: string) {
    const url = `${userBase}${encodeURIComponent(username)}/${action}`
    for (let attempt = 1; ; attempt++) {
      let response: Response
      try {
        response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (error) {
        if (isTimeout(error))
          throw unavailable(`Konnec's ${action} call timed out after ${timeoutMs} ms.`, 504)
        if (attempt === 1) {
          await delay(retryDelayMs)
          continue
        }
        throw unavailable(`Konnec's ${action} call failed to connect.`, 502, redact(error))
      }
      if (RETRY_STATUSES.has(response.status) && attempt === 1) {
        await response.body?.cancel().catch(() => {})
        await delay(retryDelayMs)
        continue
      }
      let text: string
      try {
        text = await response.text()
      } catch (error) {
        if (isTimeout(error))
          throw unavailable(`Konnec's ${action} answer timed out after ${timeoutMs} ms.`, 504)
        throw unavailable(`Konnec's ${action} answer was cut off.`, 502, redact(error))
      }
      if (!response.ok) throw unavailable(`Konnec's ${action} call answered ${response.status}.`)
      if (text.length > MAX_BODY) throw unavailable(`Konnec's ${action} answer is too large.`)
      return { text, type: response.headers.get('content-type') ?? '' }
    }
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
          async handle(ctx: VendorContext) {
            const user = await ctx.requireUser()
            const username = options.username ? options.username(user) : user.username || user.id
            if (typeof username !== 'string' || username.length === 0 || username.length > 256) {
              throw new SsoError(
                'ERR_SSO_USER_INVALID',
                'The Konnec username must be 1 to 256 characters.',
                {
                  vendor: 'konnec',
                },
              )
            }
            const profile = await withClaimsHook(
              compact({ name: displayName(user) ?? username, role, picture: user.picture }),
              hook,
              user,
              ctx,
            )
            await call(username, 'update', JSON.stringify(profile))
            const answer = await call(username, 'generate-token')
            let body: unknown = answer.text
            if (answer.type.includes('json') || /^\s*[{["]/.test(answer.text)) {
              try {
                body = JSON.parse(answer.text)
              } catch {
                // No cause: V8's SyntaxError message quotes the body, which holds the token.
                throw unavailable("Konnec's generate-token answer is not valid JSON.")
              }
            }
            const token = readToken(body)
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

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
}

/** Keeps a connection error's kind, never the URL (it holds the username) nor headers. */
function redact(error: unknown): Error {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code
  return new Error(typeof code === 'string' ? code : 'connection failed')
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
