import { randomBytes } from 'node:crypto'
import { readCookie, sessionCookie } from '../../server/cookies'
import { Refusal, createSimulatorCore } from '../../server/core'
import { OPEN_CORS, answeredPreflightOrMethod } from '../../server/cors'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { requireAbsoluteUrl, requireString } from '../../server/options'
import { page } from '../../server/page'
import { BodyError, allowMethods, queryParam, readJsonBody } from '../../server/request'
import { redirect, sendHtml, sendJson } from '../../server/respond'
import { withParams } from '../../server/urls'
import { appHome, passed, receivedPanel, receivedToken } from '../../server/received'
import type { Received } from '../../server/received'
import { tokenVerifier } from '../../server/verifier'
import type { VendorClaims } from '../../verify'
import { featurebaseSdkBootPath, featurebaseSdkPath, featurebaseSdkSource } from './sdk'

/**
 * Options of `featurebaseSimulator`.
 *
 * @example
 * ```ts
 * const options: FeaturebaseSimulatorOptions = { secret, loginUrl, appId: 'acme', admins: ['owner@acme.com'] }
 * ```
 */
export interface FeaturebaseSimulatorOptions extends SimulatorBaseOptions {
  /** The portal's JWT secret, the same one the app signs with (used as UTF-8 bytes). */
  secret: string
  /** The app's "SSO URL", absolute, e.g. `http://127.0.0.1:3000/sso/featurebase/login`. */
  loginUrl: string
  /** The organisation id the SDK's `boot` must name as `appId`. (default: `'featurebase-sim'`) */
  appId?: string
  /**
   * Emails of the portal's admins: Featurebase never signs an admin in through SSO, so a token
   * naming one is refused (`admin_sso_forbidden`). (default: `[]`)
   */
  admins?: readonly string[]
}

/**
 * A portal user created or updated by a verified token.
 *
 * @example
 * ```ts
 * expect(featurebase.users.get('ada@example.com')).toMatchObject({ userId: 'u_1', signIns: 1 })
 * ```
 */
export interface FeaturebaseUser {
  readonly email: string | undefined
  readonly userId: string | undefined
  readonly name: string | undefined
  readonly signIns: number
}

/** The Featurebase portal stand-in. */
export interface FeaturebaseSimulator extends Simulator {
  readonly vendor: 'featurebase'
  /** Users seen so far, keyed by `userId`, else by email (lower case). */
  readonly users: ReadonlyMap<string, FeaturebaseUser>
}

const SESSION_COOKIE = 'featurebase_sim_session'

/**
 * A local Featurebase portal with JWT SSO, and its SDK stand-in.
 *
 * Routes: every portal page (`GET /`, `GET /p/:slug`, …) shows the portal; without a session it
 * has a "Log in" link to `{loginUrl}?return_to=<the page's absolute URL>`. `GET
 * /api/v1/auth/access/jwt?jwt=…&return_to=…` verifies the JWT (HS256, `email` or `userId`,
 * `exp` when present, `iat` not in the future), refuses an admin's email (403
 * `admin_sso_forbidden`), creates or updates the user (by `userId`, else email), sets a session
 * and 302s to `return_to` when it is on the simulator's own host (else to `/`); a refusal is a
 * 401/403 page with `data-code`. A page with a session says `Signed in to Featurebase as
 * <email>`. `GET /js/sdk.js` serves the SDK stand-in (`featurebaseSdkSource`); `POST
 * /api/v1/sdk/boot` with JSON `{ appId, featurebaseJwt }` (CORS open) verifies the token the same
 * way for the SDK and answers `{ user: { userId, email, name } }` or `4xx { error: { code,
 * message } }` (`unknown_app` for another `appId`).
 *
 * @example
 * ```ts
 * const featurebase = featurebaseSimulator({
 *   secret: process.env.FEATUREBASE_JWT_SECRET!,
 *   loginUrl: 'http://127.0.0.1:3000/sso/featurebase/login',
 * })
 * const { url, close } = await featurebase.listen(4111)
 * // on the app's page: <script src="${url}/js/sdk.js"></script>, then Featurebase('boot', { appId, featurebaseJwt })
 * ```
 */
export function featurebaseSimulator(options: FeaturebaseSimulatorOptions): FeaturebaseSimulator {
  const secret = requireString('featurebase', 'secret', options.secret)
  const loginUrl = requireAbsoluteUrl('featurebase', 'loginUrl', options.loginUrl)
  const appId = requireString('featurebase', 'appId', options.appId ?? 'featurebase-sim')
  const admins = options.admins ?? []
  if (!Array.isArray(admins) || admins.some((a) => typeof a !== 'string')) {
    throw new TypeError('featurebaseSimulator: option `admins` must be an array of emails')
  }
  const adminEmails = new Set(admins.map((a) => a.toLowerCase()))
  const now = options.now ?? Date.now
  const verifyToken = tokenVerifier('featurebase', secret)
  const events: SimulatorEvent[] = []
  const users = new Map<string, FeaturebaseUser>()
  const sessions = new Map<string, FeaturebaseUser>()
  const receipts = new Map<string, Received>()

  /** Verifies as Featurebase does, then refuses admins and records the user. */
  async function signIn(token: string, via: 'portal' | 'sdk'): Promise<FeaturebaseUser> {
    const claims: VendorClaims = await verifyToken(token, { now: now() })
    const email = typeof claims.email === 'string' ? claims.email : undefined
    const userId = typeof claims.userId === 'string' ? claims.userId : undefined
    if (email !== undefined && adminEmails.has(email.toLowerCase())) {
      throw new Refusal(
        403,
        'admin_sso_forbidden',
        'This email belongs to an admin of the organization; admins sign in with their Featurebase account, not SSO.',
      )
    }
    const key = userId ?? (email as string).toLowerCase()
    const existing = users.get(key)
    const user: FeaturebaseUser = {
      email: email ?? existing?.email,
      userId: userId ?? existing?.userId,
      name: typeof claims.name === 'string' ? claims.name : existing?.name,
      signIns: (existing?.signIns ?? 0) + 1,
    }
    users.set(key, user)
    events.push({
      type: 'signed-in',
      vendor: 'featurebase',
      at: now(),
      ...(user.email === undefined ? {} : { email: user.email }),
      ...(user.userId === undefined ? {} : { sub: user.userId }),
      detail: `${via}: ${existing ? 'returning' : 'created'}`,
      claims,
    })
    return user
  }

  function landing(returnTo: string | undefined, origin: string): string {
    if (returnTo !== undefined) {
      try {
        const url = new URL(returnTo)
        if (
          (url.protocol === 'http:' || url.protocol === 'https:') &&
          !url.username &&
          !url.password &&
          url.host === new URL(origin).host
        ) {
          return url.href
        }
      } catch {}
    }
    return `${origin}/`
  }

  async function accessJwt(ctx: SimulatorContext): Promise<void> {
    allowMethods(ctx, 'GET')
    const token = queryParam(ctx.url, 'jwt')
    const returnTo = queryParam(ctx.url, 'return_to')
    if (!token) throw new Refusal(400, 'missing_token', 'The jwt parameter is missing.')
    const at = now()
    const user = await signIn(token, 'portal')
    const session = randomBytes(18).toString('base64url')
    sessions.set(session, user)
    receipts.set(
      session,
      receivedToken(await verifyToken.report(token, { now: at }), 'query parameter jwt', at, {
        checks: [passed('admin', 'the email is not an admin of the organization')],
      }),
    )
    redirect(ctx.res, landing(returnTo, ctx.origin), {
      'Set-Cookie': sessionCookie(SESSION_COOKIE, session),
    })
  }

  function refuse(ctx: SimulatorContext, status: number, code: string, message: string): void {
    events.push({ type: 'refused', vendor: 'featurebase', at: now(), code, detail: message })
    sendJson(ctx.res, status, { error: { code, message } }, OPEN_CORS)
  }

  async function sdkBoot(ctx: SimulatorContext): Promise<void> {
    if (answeredPreflightOrMethod(ctx)) return
    let body: unknown
    try {
      body = await readJsonBody(ctx.req, 32_768)
    } catch (err) {
      if (err instanceof BodyError) return refuse(ctx, err.status, err.code, err.message)
      throw err
    }
    const fields =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
    if (fields.appId !== appId) {
      return refuse(ctx, 400, 'unknown_app', 'No Featurebase organization has this appId.')
    }
    const token = fields.featurebaseJwt
    if (typeof token !== 'string' || token === '') {
      return refuse(ctx, 400, 'missing_token', 'Send JSON { "appId", "featurebaseJwt": "<jwt>" }.')
    }
    let user: FeaturebaseUser
    try {
      user = await signIn(token, 'sdk')
    } catch (err) {
      if (err instanceof Refusal) return refuse(ctx, err.status, err.code, err.message)
      throw err
    }
    sendJson(
      ctx.res,
      200,
      { user: { userId: user.userId ?? null, email: user.email ?? null, name: user.name ?? null } },
      OPEN_CORS,
    )
  }

  function receivedOf(session: string | undefined) {
    const received = session === undefined ? undefined : receipts.get(session)
    return received ? receivedPanel('featurebase', received, { href: appHome(loginUrl) }) : ''
  }

  function portalPage(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const id = readCookie(ctx.req, SESSION_COOKIE)
    const user = id === undefined ? undefined : sessions.get(id)
    const here = `${ctx.origin}${ctx.path}${ctx.url.search}`
    if (user) {
      const shown = user.email ?? user.userId ?? ''
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'featurebase',
          title: 'Feedback',
          state: 'signed-in',
          ...(user.email === undefined ? {} : { email: user.email }),
          body: html`<h1>Signed in to Featurebase as ${shown}</h1>
<p>You are on <code data-path>${ctx.path}</code>.</p>
<dl><dt>Name</dt><dd data-name>${user.name ?? ''}</dd></dl>
${receivedOf(id)}`,
        }),
      )
      return
    }
    sendHtml(
      ctx.res,
      200,
      page({
        vendor: 'featurebase',
        title: 'Feedback',
        body: html`<h1>Feedback &amp; roadmap</h1>
<p>Log in to post ideas and vote.</p>
<p><a class="button" id="login" href="${withParams(loginUrl, { return_to: here })}">Log in</a></p>`,
      }),
    )
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    if (ctx.path === '/api/v1/auth/access/jwt') return accessJwt(ctx)
    if (ctx.path === featurebaseSdkBootPath) return sdkBoot(ctx)
    if (ctx.path === featurebaseSdkPath && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-cache',
        'Access-Control-Allow-Origin': '*',
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'X-Content-Type-Options': 'nosniff',
      })
      ctx.res.end(ctx.method === 'HEAD' ? undefined : featurebaseSdkSource)
      return
    }
    if (ctx.path.startsWith('/api/') || ctx.path.startsWith('/js/')) return ctx.notFound()
    portalPage(ctx)
  }

  const core = createSimulatorCore({ ...options, vendor: 'featurebase', events, route })
  return {
    ...core,
    vendor: 'featurebase',
    get users() {
      return users
    },
  }
}
