// A custom vendor built only from the public API (`defineVendor` and the helpers the built-in
// vendors use). The adapter tests mount it: if it can be written, the interface is enough.
import {
  checkRedirectUrl,
  compileAllowList,
  createSigner,
  defineVendor,
  displayName,
  escapeHtml,
  requireTrustedEmail,
  type SigningKeyOptions,
  type Vendor,
} from '../../src/index'
import { HS256_SECRET } from './keys'

/** Where acme's login route sends users when the request names no target. */
export const ACME_SSO_URL = 'https://acme.example/sso'
/** The message of the plain Error the `boom` route throws: it must never reach a response. */
export const BOOM_MESSAGE = 'database password is hunter2 at db.internal:5432'

export type AcmeRoute = 'login' | 'token' | 'profile' | 'back' | 'forward' | 'logout' | 'boom'

export interface AcmeOptions {
  /** (default: `{ secret: HS256_SECRET }`) */
  key?: SigningKeyOptions
  /** (default: `['acme.example', '*.acme.example', 'http://127.0.0.1:4001']`) */
  allowedHosts?: string[]
  paths?: Partial<Record<AcmeRoute, string>>
}

/**
 * Routes, relative to `basePath`:
 * - `GET /acme/login` (browser): 302 to `redirect_url` (allow-listed) or ACME_SSO_URL with `jwt`;
 * - `POST /acme/token` (api): `{ token, expiresAt }`;
 * - `GET /acme/profile` (browser): a small HTML page for the signed-in user;
 * - `GET /acme/back` (browser): 302 to `referrer_uri` marked `relative`, *without* checking it;
 * - `GET /acme/forward` (browser): 302 to `to` with the allow-list, *without* checking it;
 * - `GET /acme/logout` (browser): runs `onLogout`, 302 to `/`;
 * - `GET /acme/boom` (browser): throws a plain Error holding BOOM_MESSAGE.
 * `back` and `forward` leave the check to the core, which must make it anyway.
 */
export function acme(options: AcmeOptions = {}): Vendor {
  const signer = createSigner(options.key ?? { secret: HS256_SECRET }, 'acme()', [
    'HS256',
    'RS256',
    'ES256',
    'EdDSA',
  ])
  const allowList = compileAllowList(
    options.allowedHosts ?? ['acme.example', '*.acme.example', 'http://127.0.0.1:4001'],
    'acme({ allowedHosts })',
  )
  return defineVendor(
    {
      id: 'acme',
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/acme/login',
          kind: 'browser',
          async handle(ctx) {
            const user = await ctx.requireUser()
            const email = requireTrustedEmail(user, ctx.vendor)
            const target = ctx.query.get('redirect_url')
            const url = target
              ? checkRedirectUrl(target, allowList, 'redirect_url', ctx.vendor)
              : new URL(ACME_SSO_URL)
            const { token, jti } = await signer.sign(
              { sub: user.id, email, name: displayName(user) },
              { expiresIn: 300, jti: true },
            )
            url.searchParams.set('jwt', token)
            ctx.emit({ type: 'token.issued', userId: user.id, jti })
            return { kind: 'redirect', location: url.href, allow: allowList, token: true }
          },
        },
        {
          name: 'token',
          method: 'POST',
          path: '/acme/token',
          kind: 'api',
          async handle(ctx) {
            const user = await ctx.requireUser()
            const { token, exp, jti } = await signer.sign(
              { sub: user.id },
              { expiresIn: 300, jti: true },
            )
            ctx.emit({ type: 'token.issued', userId: user.id, jti })
            return { kind: 'json', body: { token, expiresAt: exp }, token: true }
          },
        },
        {
          name: 'profile',
          method: 'GET',
          path: '/acme/profile',
          kind: 'browser',
          async handle(ctx) {
            const user = await ctx.requireUser()
            return { kind: 'html', body: `<p>Signed in as ${escapeHtml(user.id)}</p>` }
          },
        },
        {
          name: 'back',
          method: 'GET',
          path: '/acme/back',
          kind: 'browser',
          handle: (ctx) => ({
            kind: 'redirect',
            location: ctx.query.get('referrer_uri') ?? '/',
            allow: 'relative',
          }),
        },
        {
          name: 'forward',
          method: 'GET',
          path: '/acme/forward',
          kind: 'browser',
          handle: (ctx) => ({
            kind: 'redirect',
            location: ctx.query.require('to'),
            allow: allowList,
            token: true,
          }),
        },
        {
          name: 'logout',
          method: 'GET',
          path: '/acme/logout',
          kind: 'browser',
          async handle(ctx) {
            await ctx.logout()
            ctx.emit({ type: 'logout' })
            return { kind: 'redirect', location: '/', allow: 'relative' }
          },
        },
        {
          name: 'boom',
          method: 'GET',
          path: '/acme/boom',
          kind: 'browser',
          handle() {
            throw new Error(BOOM_MESSAGE)
          },
        },
      ],
    },
    options.paths,
  )
}
