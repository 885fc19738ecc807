import { randomBytes } from 'node:crypto'
import { readCookie, sessionCookie } from '../../server/cookies'
import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { optionalAbsoluteUrl, requireAbsoluteUrl, requireString } from '../../server/options'
import { page, refusalPage } from '../../server/page'
import { BodyError, allowMethods, formParam, queryParam, readFormBody } from '../../server/request'
import { redirect, sendHtml } from '../../server/respond'
import { isRelativePath, withParams } from '../../server/urls'
import { appHome, passed, receivedPanel, receivedToken } from '../../server/received'
import type { Received } from '../../server/received'
import { refusalOf, tokenVerifier } from '../../server/verifier'
import type { TokenVerifier } from '../../server/verifier'
import type { VendorClaims } from '../../verify'
import { VendorTokenError } from '../../verify'

/** Who a Zendesk SSO configuration signs in: end users (help center) or team members (agents). */
export type ZendeskConfigurationName = 'end-user' | 'team'

/** A Zendesk user role, as the JWT's `role` claim names it. */
export type ZendeskRole = 'user' | 'agent' | 'admin'

/**
 * One JWT SSO configuration of the account (Admin Center > Security > Single sign-on).
 *
 * @example
 * ```ts
 * const team: ZendeskConfiguration = { name: 'team', secret: agentSecret, loginUrl: `${app}/sso/zendesk-agents/login` }
 * ```
 */
export interface ZendeskConfiguration {
  /** The users it is assigned to: `end-user` (help center pages) or `team` (`/agent`). */
  name: ZendeskConfigurationName
  /** The configuration's shared secret, the same one the app signs with (UTF-8 bytes). */
  secret: string
  /** The app's "Remote login URL", absolute, e.g. `http://127.0.0.1:3000/sso/zendesk/login`. */
  loginUrl: string
  /**
   * The app's "Remote logout URL"; sign-out and failed sign-ins (`kind=error&message=`) end
   * there. (default: none — failures show Zendesk's own error page, sign-out goes to `/`)
   */
  logoutUrl?: string
}

/**
 * A Zendesk user.
 *
 * @example
 * ```ts
 * const users: ZendeskUser[] = [{ id: 1001, email: 'ada@example.com', name: 'Ada', role: 'agent' }]
 * ```
 */
export interface ZendeskUser {
  /** Zendesk's own user id. */
  id: number
  email: string
  name?: string
  /** The app's user id (`external_id`), once sent. */
  externalId?: string
  /** Set only when a JWT sent `role` (or the user was configured with one). */
  role?: ZendeskRole
  /** The configuration of the user's last SSO sign-in. */
  configuration?: ZendeskConfigurationName
}

/** The account's SSO configurations: one end-user configuration, or a list of them. */
export type ZendeskConfigurationOptions =
  | {
      /** Shorthand for `configurations: [{ name: 'end-user', secret, loginUrl, logoutUrl }]`. */
      secret: string
      loginUrl: string
      logoutUrl?: string
      configurations?: never
    }
  | {
      /** One or two configurations, at most one per `name`, each with its own secret. */
      configurations: readonly ZendeskConfiguration[]
      secret?: never
      loginUrl?: never
      logoutUrl?: never
    }

/**
 * Options of `zendeskSimulator`.
 *
 * @example
 * ```ts
 * const options: ZendeskSimulatorOptions = { secret, loginUrl, logoutUrl, brandId: '360000000001' }
 * ```
 */
export type ZendeskSimulatorOptions = ZendeskConfigurationOptions &
  SimulatorBaseOptions & {
    /** The `brand_id` sent to the remote login and logout URLs. (default: `'360000000001'`) */
    brandId?: string
    /** Users that exist before any SSO sign-in. (default: `[]`) */
    users?: readonly Omit<ZendeskUser, 'id' | 'configuration'>[]
  }

/**
 * The Zendesk account stand-in.
 *
 * @example
 * ```ts
 * const zendesk: ZendeskSimulator = zendeskSimulator({ secret, loginUrl })
 * expect(zendesk.users).toHaveLength(0)
 * ```
 */
export interface ZendeskSimulator extends Simulator {
  readonly vendor: 'zendesk'
  /** The account's users: the configured ones first, then those created by SSO. */
  readonly users: readonly Readonly<ZendeskUser>[]
  /** Every `jti` accepted so far (a second use is refused). */
  readonly seenJti: ReadonlySet<string>
}

interface Configuration {
  readonly name: ZendeskConfigurationName
  readonly loginUrl: URL
  readonly logoutUrl: URL | undefined
  readonly verify: TokenVerifier
}

const SESSION_COOKIE = 'zendesk_sim_session'
/** Zendesk's form POST carries one JWT and maybe `return_to`: a few KiB at most. */
const BODY_LIMIT = 32_768
const NAMES: readonly ZendeskConfigurationName[] = ['end-user', 'team']

function configurationsOf(options: ZendeskSimulatorOptions): Configuration[] {
  const list: readonly ZendeskConfiguration[] =
    options.configurations ??
    ([
      {
        name: 'end-user',
        secret: options.secret,
        loginUrl: options.loginUrl,
        ...(options.logoutUrl === undefined ? {} : { logoutUrl: options.logoutUrl }),
      },
    ] as const)
  if (!Array.isArray(list) || list.length === 0 || list.length > 2) {
    throw new TypeError(
      'zendeskSimulator: option `configurations` must list one or two SSO configurations ({ name, secret, loginUrl, logoutUrl? })',
    )
  }
  const secrets = new Set<string>()
  const seen = new Set<string>()
  return list.map((c) => {
    if (!NAMES.includes(c.name) || seen.has(c.name)) {
      throw new TypeError(
        `zendeskSimulator: each configuration needs its own \`name\`, 'end-user' or 'team' (got ${JSON.stringify(c.name)})`,
      )
    }
    seen.add(c.name)
    const secret = requireString('zendesk', `configurations[${c.name}].secret`, c.secret)
    if (secrets.has(secret)) {
      throw new TypeError(
        'zendeskSimulator: the configurations must have different secrets (Zendesk generates one per configuration)',
      )
    }
    secrets.add(secret)
    const logoutUrl = optionalAbsoluteUrl('zendesk', 'logoutUrl', c.logoutUrl)
    return {
      name: c.name,
      loginUrl: requireAbsoluteUrl('zendesk', 'loginUrl', c.loginUrl),
      logoutUrl: logoutUrl === undefined ? undefined : new URL(logoutUrl),
      verify: tokenVerifier('zendesk', secret),
    }
  })
}

/** The area a page belongs to: `/agent` is the team's, everything else the end users'. */
function areaOf(path: string): ZendeskConfigurationName {
  return path === '/agent' || path.startsWith('/agent/') ? 'team' : 'end-user'
}

function isProtected(path: string): boolean {
  return areaOf(path) === 'team' || path === '/hc/requests' || path.startsWith('/hc/requests/')
}

/**
 * A local Zendesk account with JWT SSO, with one or two SSO configurations (end users and team
 * members), each with its own secret and remote login/logout URLs.
 *
 * Routes: `GET /` help center with links to the protected pages; `GET /hc/requests/:id` (end
 * users) and `GET /agent/tickets/:id` (team) redirect a visitor without a session to that area's
 * remote login URL with `return_to` (the page's absolute URL) and `brand_id`.
 * `POST /access/jwt` (form body, ≤ 32 KiB, `jwt` and `return_to` in the query or body) verifies
 * the JWT with the configuration whose secret signed it (HS256, `typ: "JWT"`, `iat` within
 * ±180 s, unused `jti`, `email`, `name`), finds the user by `external_id`, then email, else
 * creates it, sets a session and 302s to `return_to` when it is relative or on the simulator's
 * own host (else to `/`). Any failure 302s to that configuration's remote logout URL with
 * `kind=error&message=…` (for a token no secret verifies: the configuration of the `return_to`
 * area); without a logout URL, a refusal page. `GET /access/jwt` answers 405 (deprecated).
 * `GET /access/logout` ends the session and 302s to the remote logout URL with `email`,
 * `external_id` and `brand_id`. A page with a session says `Signed in to Zendesk as <email>`.
 *
 * @example
 * ```ts
 * const zendesk = zendeskSimulator({
 *   configurations: [
 *     { name: 'end-user', secret: process.env.ZENDESK_JWT_SECRET!, loginUrl: `${app}/sso/zendesk/login`, logoutUrl: `${app}/sso/zendesk/logout` },
 *     { name: 'team', secret: process.env.ZENDESK_AGENTS_JWT_SECRET!, loginUrl: `${app}/sso/zendesk-agents/login`, logoutUrl: `${app}/sso/zendesk-agents/logout` },
 *   ],
 * })
 * const { url, close } = await zendesk.listen(4007)
 * ```
 */
export function zendeskSimulator(options: ZendeskSimulatorOptions): ZendeskSimulator {
  const configurations = configurationsOf(options)
  const brandId = options.brandId ?? '360000000001'
  if (!/^[0-9]{1,20}$/.test(brandId)) {
    throw new TypeError('zendeskSimulator: option `brandId` must be 1-20 digits')
  }
  const now = options.now ?? Date.now
  const events: SimulatorEvent[] = []
  const seenJti = new Set<string>()
  let nextId = 1001
  const users: ZendeskUser[] = (options.users ?? []).map((u) => ({ id: nextId++, ...u }))
  const sessions = new Map<
    string,
    { user: ZendeskUser; configuration: Configuration; received?: Received }
  >()

  const byName = (name: ZendeskConfigurationName): Configuration | undefined =>
    configurations.find((c) => c.name === name)

  /** The configuration a sign-in was for when no secret verified its token. */
  function configurationFor(returnTo: string | undefined, origin: string): Configuration {
    let path = '/'
    try {
      if (returnTo !== undefined) path = new URL(returnTo, `${origin}/`).pathname
    } catch {}
    return byName(areaOf(path)) ?? (configurations[0] as Configuration)
  }

  /** Tries each configuration's secret; `attempt.configuration` is set once one verifies. */
  async function verifyWithAny(
    token: string,
    attempt: { configuration?: Configuration },
  ): Promise<VendorClaims> {
    let last: unknown
    for (const configuration of configurations) {
      try {
        const claims = await configuration.verify(token, { now: now() })
        attempt.configuration = configuration
        return claims
      } catch (err) {
        if (!(err instanceof Refusal) || err.code !== 'bad_signature') {
          // Past the signature check, the refusal belongs to this configuration.
          if (err instanceof Refusal && err.code !== 'malformed' && err.code !== 'wrong_algorithm')
            attempt.configuration = configuration
          throw err
        }
        last = err
      }
    }
    throw last
  }

  function landing(returnTo: string | undefined, origin: string): string {
    if (returnTo !== undefined) {
      if (isRelativePath(returnTo)) return `${origin}${returnTo}`
      try {
        const url = new URL(returnTo)
        if (
          (url.protocol === 'http:' || url.protocol === 'https:') &&
          url.host === new URL(origin).host
        ) {
          return url.href
        }
      } catch {}
    }
    return `${origin}/`
  }

  function findOrCreate(claims: VendorClaims, configuration: Configuration): [ZendeskUser, string] {
    const email = String(claims.email)
    const externalId = typeof claims.external_id === 'string' ? claims.external_id : undefined
    let detail = 'matched by external_id'
    let user = externalId === undefined ? undefined : users.find((u) => u.externalId === externalId)
    if (!user) {
      detail = 'matched by email'
      user = users.find((u) => u.email.toLowerCase() === email.toLowerCase())
    }
    if (!user) {
      detail = 'created'
      user = { id: nextId++, email }
      users.push(user)
    }
    // Zendesk updates the user from every JWT: what it carries replaces what was there.
    user.email = email
    user.name = String(claims.name)
    if (externalId !== undefined) user.externalId = externalId
    if (typeof claims.role === 'string') user.role = claims.role as ZendeskRole
    user.configuration = configuration.name
    return [user, detail]
  }

  function failSignIn(ctx: SimulatorContext, configuration: Configuration, err: Refusal): void {
    events.push({
      type: 'refused',
      vendor: 'zendesk',
      at: now(),
      code: err.code,
      detail: err.message,
      configuration: configuration.name,
    })
    if (configuration.logoutUrl) {
      redirect(
        ctx.res,
        withParams(configuration.logoutUrl, { kind: 'error', message: err.message }),
      )
    } else {
      sendHtml(ctx.res, err.status, refusalPage('zendesk', err.status, err.code, err.message))
    }
  }

  async function accessJwt(ctx: SimulatorContext): Promise<void> {
    if (ctx.method === 'GET') {
      ctx.res.setHeader('Allow', 'POST')
      throw new Refusal(
        405,
        'jwt_get_deprecated',
        'Sending the JWT to /access/jwt with GET is deprecated: POST it as the form field "jwt".',
      )
    }
    allowMethods(ctx, 'POST')
    let form: URLSearchParams
    try {
      form = await readFormBody(ctx.req, BODY_LIMIT)
    } catch (err) {
      if (err instanceof BodyError) throw new Refusal(err.status, err.code, err.message, false)
      throw err
    }
    const token = formParam(form, 'jwt')
    const returnTo = queryParam(ctx.url, 'return_to') ?? formParam(form, 'return_to')
    const attempt: { configuration?: Configuration } = {}
    try {
      if (!token) throw new Refusal(400, 'missing_token', 'The "jwt" form field is missing.')
      const claims = await verifyWithAny(token, attempt)
      const configuration = attempt.configuration as Configuration
      // The jti is recorded only once the sign-in succeeds, so a refused one keeps it unused.
      if (seenJti.has(String(claims.jti))) {
        throw refusalOf(
          new VendorTokenError(
            'zendesk',
            'replayed_jti',
            'the "jti" claim has already been used.',
            'jti',
          ),
        )
      }
      seenJti.add(String(claims.jti))
      const [user, detail] = findOrCreate(claims, configuration)
      const at = now()
      const received = receivedToken(
        await configuration.verify.report(token, { now: at }),
        'form field jwt (POST)',
        at,
        {
          checks: [
            passed('configuration', `verified with the ${configuration.name} SSO secret`),
            passed('jti', 'not used before (one sign-in per token)'),
          ],
        },
      )
      const session = randomBytes(18).toString('base64url')
      sessions.set(session, { user, configuration, received })
      events.push({
        type: 'signed-in',
        vendor: 'zendesk',
        at: now(),
        email: user.email,
        ...(user.externalId === undefined ? {} : { sub: user.externalId }),
        detail,
        configuration: configuration.name,
        claims,
      })
      redirect(ctx.res, landing(returnTo, ctx.origin), {
        'Set-Cookie': sessionCookie(SESSION_COOKIE, session),
      })
    } catch (err) {
      if (!(err instanceof Refusal)) throw err
      failSignIn(ctx, attempt.configuration ?? configurationFor(returnTo, ctx.origin), err)
    }
  }

  function logout(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const id = readCookie(ctx.req, SESSION_COOKIE)
    const session = id === undefined ? undefined : sessions.get(id)
    if (id !== undefined) sessions.delete(id)
    const configuration = session?.configuration ?? (configurations[0] as Configuration)
    const location = configuration.logoutUrl
      ? withParams(configuration.logoutUrl, {
          email: session?.user.email ?? '',
          external_id: session?.user.externalId ?? '',
          brand_id: brandId,
        })
      : `${ctx.origin}/`
    redirect(ctx.res, location, { 'Set-Cookie': sessionCookie(SESSION_COOKIE, undefined) })
  }

  function pages(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const id = readCookie(ctx.req, SESSION_COOKIE)
    const session = id === undefined ? undefined : sessions.get(id)
    const path = ctx.path
    if (session) {
      const { user } = session
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'zendesk',
          title: 'Support',
          state: 'signed-in',
          email: user.email,
          body: html`<h1>Signed in to Zendesk as ${user.email}</h1>
<p>You are on <code data-path>${path}</code>.</p>
<dl>
<dt>Name</dt><dd data-name>${user.name ?? ''}</dd>
${user.role ? html`<dt>Role</dt><dd data-role>${user.role}</dd>` : ''}
<dt>Signed in with</dt><dd data-configuration>${session.configuration.name} SSO</dd>
</dl>
<p><a class="button" id="logout" href="${ctx.origin}/access/logout">Sign out</a></p>
${
  session.received
    ? receivedPanel('zendesk', session.received, {
        href: appHome(session.configuration.loginUrl.href),
      })
    : ''
}`,
        }),
      )
      return
    }
    if (isProtected(path)) {
      const configuration = byName(areaOf(path))
      if (!configuration) {
        throw new Refusal(
          403,
          'sso_not_configured',
          `No SSO configuration is assigned to ${areaOf(path) === 'team' ? 'team members' : 'end users'}.`,
          false,
        )
      }
      redirect(
        ctx.res,
        withParams(configuration.loginUrl, {
          return_to: `${ctx.origin}${path}${ctx.url.search}`,
          brand_id: brandId,
        }),
      )
      return
    }
    sendHtml(
      ctx.res,
      200,
      page({
        vendor: 'zendesk',
        title: 'Help Center',
        body: html`<h1>How can we help?</h1>
<p>Sign in to see your requests.</p>
${byName('end-user') ? html`<p><a class="button" id="requests" href="${ctx.origin}/hc/requests/1">My requests</a></p>` : ''}
${byName('team') ? html`<p><a class="button" id="agent" href="${ctx.origin}/agent/tickets/1">Agent workspace</a></p>` : ''}`,
      }),
    )
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    if (ctx.path === '/access/jwt') return accessJwt(ctx)
    if (ctx.path === '/access/logout') return logout(ctx)
    if (ctx.path.startsWith('/access/') || ctx.path.startsWith('/api/')) return ctx.notFound()
    pages(ctx)
  }

  const core = createSimulatorCore({ ...options, vendor: 'zendesk', events, route })
  return {
    ...core,
    vendor: 'zendesk',
    get users() {
      return users
    },
    get seenJti() {
      return seenJti
    },
  }
}
