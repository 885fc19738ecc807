import { assertSameOrigin } from './same-origin'
import type { SsoUser, VendorContext, VendorId, VendorRoute } from './types'

/** What an SDK token route's `issue` returns: the value for the JSON field, and its expiry. */
export interface IssuedToken {
  /** The token (or hash) the embed SDK takes. */
  value: string
  /** Unix seconds; answered as `expiresAt`. Omit for a value that does not expire. */
  exp?: number
  /** The token's `jti`, for the `token.issued` event. */
  jti?: string
}

/** Options of {@link sdkTokenRoute}. */
export interface SdkTokenRouteOptions {
  /** The vendor (or instance) id, for errors and events. */
  vendor: VendorId
  /** The route's path relative to `basePath`, e.g. `/intercom/token`. */
  path: string
  /** The route's name, for `paths` overrides and events. (default: `'token'`) */
  name?: string
  /** The JSON field the value goes in: `token`, Metabase's `jwt`, Intercom's `userHash`. (default: `'token'`) */
  field?: string
  /** Origins besides the request's own that may call the route, from `compileAllowedOrigins`. */
  allowedOrigins: ReadonlySet<string>
  /** Issues the value for the signed-in user (already required). */
  issue(user: SsoUser, ctx: VendorContext): Promise<IssuedToken> | IssuedToken
}

/**
 * The token endpoint an embed SDK calls from the page (Komo, Intercom, Canny's widget,
 * Featurebase's SDK, Metabase's SDK), with SECURITY.md rule 4 for all of them: POST only,
 * same-origin browsers and server-side callers only, the identity from the session only (the
 * body is never read), no CORS, `no-store`. Answers `{ [field]: value, expiresAt }`; logged out
 * is a 401.
 *
 * @example
 * sdkTokenRoute({ vendor: 'acme', path: '/acme/token', allowedOrigins: compileAllowedOrigins(undefined, 'acme()'),
 *   async issue(user) { const { token, exp } = await signer.sign({ sub: user.id }, { expiresIn: 3600 }); return { value: token, exp } } })
 */
export function sdkTokenRoute(options: SdkTokenRouteOptions): VendorRoute {
  const { vendor, path, allowedOrigins, issue } = options
  const field = options.field ?? 'token'
  return {
    name: options.name ?? 'token',
    method: 'POST',
    path,
    kind: 'api',
    async handle(ctx) {
      assertSameOrigin(ctx.request, allowedOrigins, vendor)
      const user = await ctx.requireUser()
      const issued = await issue(user, ctx)
      ctx.emit({
        type: 'token.issued',
        userId: user.id,
        ...(issued.jti === undefined ? {} : { jti: issued.jti }),
      })
      const body: Record<string, unknown> = { [field]: issued.value }
      if (issued.exp !== undefined) body.expiresAt = issued.exp
      return { kind: 'json', body, token: true }
    },
  }
}
