import { randomBytes } from 'node:crypto'
import { readCookie, sessionCookie } from '../../server/cookies'
import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { optionalAbsoluteUrl, requireAbsoluteUrl, requireString } from '../../server/options'
import { page } from '../../server/page'
import { allowMethods, queryParam } from '../../server/request'
import { redirect, sendHtml } from '../../server/respond'
import { isRelativePath, withParams } from '../../server/urls'
import { appHome, receivedPanel, receivedToken } from '../../server/received'
import type { Received } from '../../server/received'
import { tokenVerifier } from '../../server/verifier'

/**
 * A community member.
 *
 * @example
 * ```ts
 * const members: BettermodeMember[] = [{ sub: 'u_1', email: 'ada@example.com' }]
 * ```
 */
export interface BettermodeMember {
  /** The app's user id (Bettermode's `externalId`), once the member signed in with SSO. */
  sub?: string
  email: string
  name?: string
}

/**
 * Options of `bettermodeSimulator`.
 */
export interface BettermodeSimulatorOptions extends SimulatorBaseOptions {
  /** The "SSO private key" (a shared secret), the same one the app signs with. */
  secret: string
  /** The app's "Authorization URL", absolute, e.g. `http://127.0.0.1:3000/sso/bettermode/login`. */
  loginUrl: string
  /** The app's "Logout URL"; signing out of the community ends there. (default: back to `/`) */
  logoutUrl?: string
  /** Members that exist before any SSO sign-in. (default: `[]`) */
  members?: readonly BettermodeMember[]
}

/**
 * The Bettermode community stand-in.
 *
 * @example
 * ```ts
 * const bettermode: BettermodeSimulator = bettermodeSimulator({ secret, loginUrl })
 * expect(bettermode.members).toHaveLength(0)
 * ```
 */
export interface BettermodeSimulator extends Simulator {
  readonly vendor: 'bettermode'
  /** Community members, the configured ones first, then those created by SSO. */
  readonly members: readonly Readonly<BettermodeMember>[]
}

const SESSION_COOKIE = 'bettermode_sim_session'

/**
 * A local Bettermode community with JWT SSO.
 *
 * Routes: `GET /` community page with a "Log in" link to `{loginUrl}?referrer_uri=/spaces/general`
 * (other pages link with their own path); `GET /api/auth/sso?jwt=&redirect_uri=` verifies the
 * token (HS256, `sub` ≤ 50, `name`, `email` ≤ 200, `exp` in the future, `picture`,
 * `spacesOperation`) and a relative `redirect_uri`, matches the member by `sub` then email
 * (or creates one), sets a session cookie and 302s to `redirect_uri` (default `/`). Any page
 * with that cookie says `Signed in to Bettermode as <email>` and the path;
 * `GET /auth/logout` ends the session and 302s to `logoutUrl`.
 *
 * @example
 * ```ts
 * const bettermode = bettermodeSimulator({
 *   secret: process.env.BETTERMODE_SSO_KEY!,
 *   loginUrl: 'http://127.0.0.1:3000/sso/bettermode/login',
 *   logoutUrl: 'http://127.0.0.1:3000/sso/bettermode/logout',
 *   members: [{ email: 'grace@example.com' }],
 * })
 * const { url, close } = await bettermode.listen(4005)
 * ```
 */
export function bettermodeSimulator(options: BettermodeSimulatorOptions): BettermodeSimulator {
  const secret = requireString('bettermode', 'secret', options.secret)
  const loginUrl = requireAbsoluteUrl('bettermode', 'loginUrl', options.loginUrl)
  const logoutUrl = optionalAbsoluteUrl('bettermode', 'logoutUrl', options.logoutUrl)
  const now = options.now ?? Date.now
  const verify = tokenVerifier('bettermode', secret)
  const events: SimulatorEvent[] = []
  const members: BettermodeMember[] = (options.members ?? []).map((m) => ({ ...m }))
  const sessions = new Map<string, BettermodeMember>()
  const receipts = new Map<string, Received>()

  function loginLink(referrer: string): string {
    return withParams(loginUrl, { referrer_uri: referrer })
  }

  async function sso(ctx: SimulatorContext): Promise<void> {
    const token = queryParam(ctx.url, 'jwt')
    const redirectUri = queryParam(ctx.url, 'redirect_uri')
    if (!token) throw new Refusal(400, 'missing_token', 'The jwt parameter is missing.')
    if (redirectUri !== undefined && !isRelativePath(redirectUri)) {
      throw new Refusal(
        400,
        'invalid_redirect_uri',
        'The redirect_uri must be a relative path starting with / (e.g. /spaces).',
      )
    }
    const at = now()
    const claims = await verify(token, { now: at })
    const received = receivedToken(
      await verify.report(token, { now: at }),
      'query parameter jwt',
      at,
    )
    const sub = String(claims.sub)
    const email = String(claims.email)
    const name = String(claims.name)
    let detail = 'matched by sub'
    let member = members.find((m) => m.sub === sub)
    if (!member) {
      detail = 'matched by email'
      member = members.find((m) => m.email.toLowerCase() === email.toLowerCase())
    }
    if (!member) {
      detail = 'created'
      member = { sub, email, name }
      members.push(member)
    } else {
      // Bettermode updates the member's information, email included, on every SSO sign-in.
      member.sub = sub
      member.email = email
      member.name = name
    }
    const session = randomBytes(18).toString('base64url')
    sessions.set(session, member)
    receipts.set(session, received)
    events.push({ type: 'signed-in', vendor: 'bettermode', at: now(), email, sub, detail, claims })
    redirect(ctx.res, `${ctx.origin}${redirectUri ?? '/'}`, {
      'Set-Cookie': sessionCookie(SESSION_COOKIE, session),
    })
  }

  function logout(ctx: SimulatorContext): void {
    const session = readCookie(ctx.req, SESSION_COOKIE)
    if (session) {
      sessions.delete(session)
      receipts.delete(session)
    }
    redirect(ctx.res, logoutUrl ?? `${ctx.origin}/`, {
      'Set-Cookie': sessionCookie(SESSION_COOKIE, undefined),
    })
  }

  function receivedOf(session: string | undefined) {
    const received = session === undefined ? undefined : receipts.get(session)
    return received ? receivedPanel('bettermode', received, { href: appHome(loginUrl) }) : ''
  }

  function community(ctx: SimulatorContext): void {
    const session = readCookie(ctx.req, SESSION_COOKIE)
    const member = session === undefined ? undefined : sessions.get(session)
    const path = ctx.path
    if (member) {
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'bettermode',
          title: 'Community',
          state: 'signed-in',
          email: member.email,
          body: html`<h1>Signed in to Bettermode as ${member.email}</h1>
<p>You are on <code data-path>${path}</code>${member.name ? html` as ${member.name}` : ''}.</p>
<p><a class="button" id="logout" href="${ctx.origin}/auth/logout">Log out</a></p>
${receivedOf(session)}`,
        }),
      )
      return
    }
    const referrer = path === '/' ? '/spaces/general' : path
    sendHtml(
      ctx.res,
      200,
      page({
        vendor: 'bettermode',
        title: 'Community',
        body: html`<h1>Welcome to the community</h1>
<p>You are on <code data-path>${path}</code>. Log in to join the conversation.</p>
<p><a class="button" id="login" href="${loginLink(referrer)}">Log in</a></p>`,
      }),
    )
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    allowMethods(ctx, 'GET')
    if (ctx.path === '/api/auth/sso') return sso(ctx)
    if (ctx.path === '/auth/logout') return logout(ctx)
    if (ctx.path.startsWith('/api/')) return ctx.notFound()
    community(ctx)
  }

  const core = createSimulatorCore({ ...options, vendor: 'bettermode', events, route })
  return {
    ...core,
    vendor: 'bettermode',
    get members() {
      return members
    },
  }
}
