import { randomUUID } from 'node:crypto'
import { readCookie, sessionCookie } from '../../server/cookies'
import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { requireAbsoluteUrl, requireString } from '../../server/options'
import { page } from '../../server/page'
import { allowMethods, queryParam } from '../../server/request'
import { redirect, sendHtml, sendJson, sendScript } from '../../server/respond'
import { isRelativePath, withParams } from '../../server/urls'
import { appHome, receivedPanel, receivedToken } from '../../server/received'
import type { Received } from '../../server/received'
import { tokenVerifier } from '../../server/verifier'
import type { VendorClaims } from '../../verify'
import { metabaseSdkPath, metabaseSdkSource } from './sdk'

/**
 * A Metabase user.
 *
 * @example
 * ```ts
 * const users: MetabaseUser[] = [{ id: 1, email: 'ada@example.com', groups: ['All Users', 'Administrators'] }]
 * ```
 */
export interface MetabaseUser {
  /** Metabase's own user id. */
  id: number
  email: string
  firstName?: string
  lastName?: string
  /** Group names; every user is in `All Users`. A JWT with `groups` replaces the others. */
  groups: string[]
}

/**
 * Options of `metabaseSimulator`.
 */
export interface MetabaseSimulatorOptions extends SimulatorBaseOptions {
  /** The JWT signing key string (Admin → Authentication → JWT), the same one the app signs with. */
  secret: string
  /** The app's "JWT Identity Provider URI", absolute, e.g. `http://127.0.0.1:3000/sso/metabase/login`. */
  loginUrl: string
  /** Users that exist before any SSO sign-in (ids are assigned). (default: `[]`) */
  users?: readonly Omit<MetabaseUser, 'id' | 'groups'>[]
  /** How old a JWT's `iat` may be, in seconds. (default: `180`, as Metabase) */
  maxAgeSeconds?: number
}

/**
 * The Metabase instance stand-in.
 *
 * @example
 * ```ts
 * const metabase: MetabaseSimulator = metabaseSimulator({ secret, loginUrl })
 * expect(metabase.users).toHaveLength(0)
 * ```
 */
export interface MetabaseSimulator extends Simulator {
  readonly vendor: 'metabase'
  /** The instance's users: the configured ones first, then those created by SSO. */
  readonly users: readonly Readonly<MetabaseUser>[]
}

const SESSION_COOKIE = 'metabase.SESSION'
const ALL_USERS = 'All Users'
/** Metabase's sessions last two weeks. */
const SESSION_SECONDS = 14 * 24 * 60 * 60
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Metabase-Session, Content-Type',
  'Access-Control-Max-Age': '600',
}

/**
 * A local Metabase instance with JWT authentication, for the full app and the embedding SDK.
 *
 * Routes: `GET /auth/sso` without `jwt` 302s to `{loginUrl}?return_to=…`; with `jwt` it refuses a
 * `return_to` that is neither a relative path nor on its own origin (400 `invalid_return_to`),
 * verifies the token (HS256, `email`, `iat` at most 180 s old, `exp` when present, `groups` an
 * array), fetches the user by email or creates it, replaces its groups when `groups` came
 * (`All Users` stays), sets a session cookie and 302s to `return_to` (default `/`). With
 * `&token=true` (the SDK) it answers `{ id, exp, iat }` instead (CORS open, `id` a session for
 * the `X-Metabase-Session` header). `GET /api/user/current` answers the session's user as
 * `{ id, email, first_name, last_name, common_name, group_names }` or 401. `GET
 * /app/embedding-sdk.js` serves the SDK stand-in (`metabaseSdkSource`). Any other page: with a
 * session, "Signed in to Metabase as <email>" with the groups and path; without one, `/` offers
 * "Sign in with SSO" and every other path 302s to `/auth/sso?return_to=<path>`.
 * `GET /auth/logout` ends the session.
 *
 * @example
 * ```ts
 * const metabase = metabaseSimulator({
 *   secret: process.env.METABASE_JWT_SECRET!,
 *   loginUrl: 'http://127.0.0.1:3000/sso/metabase/login',
 * })
 * const { url, close } = await metabase.listen(4112)
 * ```
 */
export function metabaseSimulator(options: MetabaseSimulatorOptions): MetabaseSimulator {
  const secret = requireString('metabase', 'secret', options.secret)
  const loginUrl = requireAbsoluteUrl('metabase', 'loginUrl', options.loginUrl)
  const maxAgeSeconds = options.maxAgeSeconds ?? 180
  const now = options.now ?? Date.now
  const verify = tokenVerifier('metabase', secret)
  const events: SimulatorEvent[] = []
  let nextId = 1
  const users: MetabaseUser[] = (options.users ?? []).map((u) => ({
    ...u,
    id: nextId++,
    groups: [ALL_USERS],
  }))
  /** Browser sessions (cookie) and SDK sessions (header): both name a user. */
  const sessions = new Map<string, MetabaseUser>()
  /** What each browser session's sign-in received, for its "Signed in" page. */
  const receipts = new Map<string, Received>()

  /** `return_to` as Metabase takes it: a relative path, or a URL on its own origin. */
  function returnPath(ctx: SimulatorContext): string | undefined {
    const value = queryParam(ctx.url, 'return_to')
    if (value === undefined || value === '') return undefined
    if (isRelativePath(value)) return value
    try {
      const url = new URL(value)
      if (url.origin === ctx.origin) return `${url.pathname}${url.search}${url.hash}`
    } catch {}
    throw new Refusal(
      400,
      'invalid_return_to',
      'The return_to must be a relative path starting with / or a URL on this Metabase.',
    )
  }

  function signIn(claims: VendorClaims): { user: MetabaseUser; detail: string } {
    const email = String(claims.email)
    let user = users.find((u) => u.email.toLowerCase() === email.toLowerCase())
    let detail = 'matched by email'
    if (!user) {
      detail = 'created'
      user = { id: nextId++, email, groups: [ALL_USERS] }
      users.push(user)
    }
    if (typeof claims.first_name === 'string') user.firstName = claims.first_name
    if (typeof claims.last_name === 'string') user.lastName = claims.last_name
    if (Array.isArray(claims.groups)) {
      user.groups = [
        ALL_USERS,
        ...new Set((claims.groups as string[]).filter((g) => g !== ALL_USERS)),
      ]
    }
    events.push({ type: 'signed-in', vendor: 'metabase', at: now(), email, detail, claims })
    return { user, detail }
  }

  function newSession(user: MetabaseUser): string {
    const id = randomUUID()
    sessions.set(id, user)
    return id
  }

  async function sso(ctx: SimulatorContext): Promise<void> {
    const sdk = queryParam(ctx.url, 'token') === 'true'
    const token = queryParam(ctx.url, 'jwt')
    if (sdk) return sdkExchange(ctx, token)
    const returnTo = returnPath(ctx)
    if (!token) {
      redirect(ctx.res, withParams(loginUrl, returnTo === undefined ? {} : { return_to: returnTo }))
      return
    }
    const at = now()
    const claims = await verify(token, { now: at, maxAgeSeconds })
    const { user } = signIn(claims)
    const session = newSession(user)
    receipts.set(
      session,
      receivedToken(
        await verify.report(token, { now: at, maxAgeSeconds }),
        'query parameter jwt',
        at,
      ),
    )
    redirect(ctx.res, `${ctx.origin}${returnTo ?? '/'}`, {
      'Set-Cookie': sessionCookie(SESSION_COOKIE, session),
    })
  }

  async function sdkExchange(ctx: SimulatorContext, token: string | undefined): Promise<void> {
    const refuse = (status: number, code: string, message: string) => {
      events.push({ type: 'refused', vendor: 'metabase', at: now(), code, detail: message })
      sendJson(ctx.res, status, { error: { code, message } }, CORS)
    }
    if (!token) return refuse(400, 'missing_token', 'The jwt parameter is missing.')
    let claims: VendorClaims
    try {
      claims = await verify(token, { now: now(), maxAgeSeconds })
    } catch (err) {
      if (err instanceof Refusal) return refuse(err.status, err.code, err.message)
      throw err
    }
    const { user } = signIn(claims)
    const iat = Math.floor(now() / 1000)
    sendJson(ctx.res, 200, { id: newSession(user), exp: iat + SESSION_SECONDS, iat }, CORS)
  }

  function sessionUser(ctx: SimulatorContext): MetabaseUser | undefined {
    const header = ctx.req.headers['x-metabase-session']
    const id = typeof header === 'string' ? header : readCookie(ctx.req, SESSION_COOKIE)
    return id === undefined ? undefined : sessions.get(id)
  }

  function currentUser(ctx: SimulatorContext): void {
    if (ctx.method === 'OPTIONS') {
      ctx.res.writeHead(204, CORS).end()
      return
    }
    allowMethods(ctx, 'GET')
    const user = sessionUser(ctx)
    if (!user) {
      sendJson(
        ctx.res,
        401,
        { error: { code: 'unauthenticated', message: 'Unauthenticated' } },
        CORS,
      )
      return
    }
    const name = [user.firstName, user.lastName].filter(Boolean).join(' ')
    sendJson(
      ctx.res,
      200,
      {
        id: user.id,
        email: user.email,
        first_name: user.firstName ?? null,
        last_name: user.lastName ?? null,
        common_name: name || user.email,
        group_names: user.groups,
      },
      CORS,
    )
  }

  function logout(ctx: SimulatorContext): void {
    const session = readCookie(ctx.req, SESSION_COOKIE)
    if (session) {
      sessions.delete(session)
      receipts.delete(session)
    }
    redirect(ctx.res, `${ctx.origin}/`, { 'Set-Cookie': sessionCookie(SESSION_COOKIE, undefined) })
  }

  function receivedOf(session: string | undefined) {
    const received = session === undefined ? undefined : receipts.get(session)
    return received ? receivedPanel('metabase', received, { href: appHome(loginUrl) }) : ''
  }

  function app(ctx: SimulatorContext): void {
    const user = sessionUser(ctx)
    const path = `${ctx.path}${ctx.url.search}`
    if (user) {
      const name = [user.firstName, user.lastName].filter(Boolean).join(' ')
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'metabase',
          title: 'Home',
          state: 'signed-in',
          email: user.email,
          body: html`<h1>Signed in to Metabase as ${user.email}</h1>
<p>You are on <code data-path>${path}</code>${name ? html` as ${name}` : ''}.</p>
<p>Groups:</p>
<ul data-groups>${user.groups.map((g) => html`<li>${g}</li>`)}</ul>
<p><a class="button" id="logout" href="${ctx.origin}/auth/logout">Sign out</a></p>
${receivedOf(readCookie(ctx.req, SESSION_COOKIE))}`,
        }),
      )
      return
    }
    if (ctx.path !== '/') {
      redirect(ctx.res, withParams(new URL(`${ctx.origin}/auth/sso`), { return_to: path }))
      return
    }
    sendHtml(
      ctx.res,
      200,
      page({
        vendor: 'metabase',
        title: 'Sign in',
        body: html`<h1>Sign in to Metabase</h1>
<p>This Metabase uses your company's sign-in (JWT).</p>
<p><a class="button" id="login" href="${ctx.origin}/auth/sso?return_to=%2F">Sign in with SSO</a></p>`,
      }),
    )
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    if (ctx.path === '/api/user/current') return currentUser(ctx)
    allowMethods(ctx, 'GET')
    if (ctx.path === '/auth/sso') return sso(ctx)
    if (ctx.path === '/auth/logout') return logout(ctx)
    if (ctx.path === metabaseSdkPath) {
      sendScript(ctx.res, metabaseSdkSource)
      return
    }
    if (ctx.path.startsWith('/api/') || ctx.path.startsWith('/app/')) return ctx.notFound()
    app(ctx)
  }

  const core = createSimulatorCore({ ...options, vendor: 'metabase', events, route })
  return {
    ...core,
    vendor: 'metabase',
    get users() {
      return users
    },
  }
}
