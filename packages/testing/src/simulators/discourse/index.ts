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
import { checkDiscourse } from '../../cli/discourse'
import { appHome, passed, receivedPanel, receivedToken } from '../../server/received'
import type { Received } from '../../server/received'
import { DiscoursePayloadError, signDiscoursePayload, verifyDiscoursePayload } from './verify'
import type { DiscoursePayload } from './verify'

/**
 * A forum user.
 *
 * @example
 * ```ts
 * const users: DiscourseUser[] = [{ id: 1, email: 'ada@example.com', username: 'ada', admin: false, moderator: false, groups: [], active: true }]
 * ```
 */
export interface DiscourseUser {
  /** Discourse's own user id. */
  id: number
  /** The app's user id (`external_id`), once the user signed in with DiscourseConnect. */
  externalId?: string
  email: string
  username: string
  name?: string
  admin: boolean
  moderator: boolean
  /** Custom group names, lower-cased, in the order they were added. */
  groups: string[]
  /** `false` while the email address waits for confirmation (`require_activation=true`). */
  active: boolean
  title?: string
  avatarUrl?: string
  /** `custom.<key>` fields of the payload. */
  customFields?: Record<string, string>
}

/**
 * Options of `discourseSimulator`.
 *
 * @example
 * ```ts
 * const options: DiscourseSimulatorOptions = { secret, loginUrl, overridesGroups: true }
 * ```
 */
export interface DiscourseSimulatorOptions extends SimulatorBaseOptions {
  /** The `discourse_connect_secret`, the same one the app signs with (its UTF-8 bytes). */
  secret: string
  /** The app's `discourse_connect_url`, absolute, e.g. `http://127.0.0.1:3000/sso/discourse/login`. */
  loginUrl: string
  /** The forum's `logout_redirect`; logging out of the forum ends there. (default: back to `/`) */
  logoutUrl?: string
  /**
   * `discourse_connect_overrides_groups`: `groups` replaces the user's groups; when off,
   * `groups` is ignored and `add_groups`/`remove_groups` apply, as in Discourse. (default: `false`)
   */
  overridesGroups?: boolean
  /** Users that exist before any DiscourseConnect sign-in. (default: `[]`) */
  users?: readonly (Pick<DiscourseUser, 'email' | 'username'> &
    Partial<Omit<DiscourseUser, 'id' | 'email' | 'username'>>)[]
}

/**
 * The Discourse forum stand-in.
 *
 * @example
 * ```ts
 * const discourse: DiscourseSimulator = discourseSimulator({ secret, loginUrl })
 * expect(discourse.users).toHaveLength(0)
 * ```
 */
export interface DiscourseSimulator extends Simulator {
  readonly vendor: 'discourse'
  /** The forum's users: the configured ones first, then those created by DiscourseConnect. */
  readonly users: readonly Readonly<DiscourseUser>[]
}

interface Nonce {
  readonly session: string
  readonly returnPath: string
  readonly createdAt: number
  used: boolean
}

interface Session {
  user?: DiscourseUser
  /** A user created inactive by `require_activation`, shown on `/u/account-created`. */
  pending?: DiscourseUser
  /** What the sign-in received and checked, for the "Signed in" page. */
  received?: Received
}

const SESSION_COOKIE = 'discourse_sim_session'
/** Discourse keeps a nonce for 10 minutes. */
const NONCE_TTL_MS = 10 * 60 * 1000
/** How many nonces are remembered before the oldest is forgotten. */
const NONCE_LIMIT = 1000
/** Discourse refuses these external ids in any case (`nil` would collide with missing ones). */
const BANNED_EXTERNAL_IDS = ['none', 'nil', 'blank', 'null']

/**
 * A local Discourse forum that uses the app as its DiscourseConnect provider.
 *
 * Routes: forum pages (`GET /`, `/latest`, `/t/...`) and `GET /login` link "Log in" to
 * `/session/sso?return_path=<page>`; `GET /session/sso` makes a 32-hex nonce, keeps it (with
 * the return path, 10 minutes, once) for the browser's forum session cookie and 302s to
 * `{loginUrl}?sso=<Base64 of nonce=…&return_sso_url={origin}/session/sso_login>&sig=<hex>`.
 * `GET /session/sso_login?sso=&sig=` refuses: bad Base64 characters or a wrong signature (422,
 * constant-time, the expected signature never shown); an unknown, used, other-session or expired
 * nonce (419); a blank or banned (`none`/`nil`/`blank`/`null`) `external_id` and a missing or
 * invalid email (500, as Discourse answers). Then it finds the user by `external_id`, else by
 * email (not with `require_activation=true`), else creates it; applies `username`, `name`,
 * `avatar_url`, `title`, `admin`/`moderator` (`true`/`false`), `custom.*`, and the groups; and
 * 302s to the return path — or, for an account waiting for activation, to `/u/account-created`
 * ("activation pending"). A page with a session says `Signed in to Discourse as <email>` with the
 * username, name, groups and staff flags. `GET /logout` ends the session and 302s to `logoutUrl`.
 *
 * @example
 * ```ts
 * const discourse = discourseSimulator({
 *   secret: process.env.DISCOURSE_CONNECT_SECRET!,
 *   loginUrl: 'http://127.0.0.1:3000/sso/discourse/login',
 *   logoutUrl: 'http://127.0.0.1:3000/sso/discourse/logout',
 * })
 * const { url, close } = await discourse.listen(4008)
 * ```
 */
export function discourseSimulator(options: DiscourseSimulatorOptions): DiscourseSimulator {
  const secret = requireString('discourse', 'secret', options.secret)
  const loginUrl = requireAbsoluteUrl('discourse', 'loginUrl', options.loginUrl)
  const logoutUrl = optionalAbsoluteUrl('discourse', 'logoutUrl', options.logoutUrl)
  const overridesGroups = options.overridesGroups ?? false
  const now = options.now ?? Date.now
  const events: SimulatorEvent[] = []
  let nextId = 1
  const users: DiscourseUser[] = (options.users ?? []).map((u) => ({
    admin: false,
    moderator: false,
    active: true,
    ...u,
    groups: [...(u.groups ?? [])],
    id: nextId++,
  }))
  const sessions = new Map<string, Session>()
  const nonces = new Map<string, Nonce>()

  function sessionOf(ctx: SimulatorContext): [string, Session] | undefined {
    const id = readCookie(ctx.req, SESSION_COOKIE)
    const session = id === undefined ? undefined : sessions.get(id)
    return id !== undefined && session ? [id, session] : undefined
  }

  function startSso(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const requested = queryParam(ctx.url, 'return_path')
    const returnPath = requested !== undefined && isRelativePath(requested) ? requested : '/'
    const existing = sessionOf(ctx)
    const sessionId = existing?.[0] ?? randomBytes(18).toString('base64url')
    if (!existing) sessions.set(sessionId, {})
    const nonce = randomBytes(16).toString('hex')
    nonces.set(nonce, { session: sessionId, returnPath, createdAt: now(), used: false })
    if (nonces.size > NONCE_LIMIT) {
      const oldest = nonces.keys().next().value
      if (oldest !== undefined) nonces.delete(oldest)
    }
    const { sso, sig } = signDiscoursePayload(
      { nonce, return_sso_url: `${ctx.origin}/session/sso_login` },
      secret,
    )
    redirect(
      ctx.res,
      withParams(loginUrl, { sso, sig }),
      existing ? {} : { 'Set-Cookie': sessionCookie(SESSION_COOKIE, sessionId) },
    )
  }

  /** The nonce's entry, once it is known, unused, this browser's and fresh; then it is used up. */
  function takeNonce(ctx: SimulatorContext, nonce: string | undefined): Nonce {
    const entry = nonce ? nonces.get(nonce) : undefined
    const fail = (code: string, why: string): never => {
      throw new Refusal(419, code, `${why} Please try logging in again.`)
    }
    if (!entry) return fail('nonce_unknown', 'The nonce is incorrect.')
    if (entry.used) return fail('nonce_used', 'The nonce has already been used.')
    if (sessionOf(ctx)?.[0] !== entry.session) {
      return fail('nonce_other_session', 'The nonce was generated in a different browser session.')
    }
    if (now() - entry.createdAt > NONCE_TTL_MS) {
      return fail('nonce_expired', 'The nonce has expired (after 10 minutes).')
    }
    entry.used = true
    return entry
  }

  function groupNames(value: string | undefined): string[] {
    return (value ?? '')
      .split(',')
      .map((g) => g.trim().toLowerCase())
      .filter((g) => g !== '')
  }

  function applyFields(user: DiscourseUser, fields: DiscoursePayload): void {
    if (fields.username) user.username = fields.username
    if (fields.name) user.name = fields.name
    if (fields.avatar_url) user.avatarUrl = fields.avatar_url
    if (fields.title !== undefined) user.title = fields.title
    // Discourse reads a boolean only when it is exactly "true" or "false".
    if (fields.admin === 'true' || fields.admin === 'false') user.admin = fields.admin === 'true'
    if (fields.moderator === 'true' || fields.moderator === 'false') {
      user.moderator = fields.moderator === 'true'
    }
    for (const [name, value] of Object.entries(fields)) {
      if (name.startsWith('custom.') && name.length > 7) {
        user.customFields = { ...user.customFields, [name.slice(7)]: value }
      }
    }
    if (overridesGroups) {
      if (fields.groups !== undefined) user.groups = groupNames(fields.groups)
      return
    }
    for (const group of groupNames(fields.add_groups)) {
      if (!user.groups.includes(group)) user.groups.push(group)
    }
    const removed = groupNames(fields.remove_groups)
    user.groups = user.groups.filter((g) => !removed.includes(g))
  }

  function ssoLogin(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const sso = queryParam(ctx.url, 'sso')
    const sig = queryParam(ctx.url, 'sig')
    if (!sso || !sig) {
      throw new Refusal(400, 'missing_parameter', 'The sso and sig parameters are required.')
    }
    let fields: DiscoursePayload
    try {
      fields = verifyDiscoursePayload(sso, sig, secret)
    } catch (err) {
      if (err instanceof DiscoursePayloadError) throw new Refusal(422, err.code, err.message)
      throw err
    }
    const entry = takeNonce(ctx, fields.nonce)
    const externalId = fields.external_id ?? ''
    if (externalId.trim() === '') {
      throw new Refusal(500, 'blank_external_id', 'The external_id is blank.')
    }
    if (BANNED_EXTERNAL_IDS.includes(externalId.toLowerCase())) {
      throw new Refusal(
        500,
        'banned_external_id',
        'The external_id is not allowed (none, nil, blank and null are reserved).',
      )
    }
    // Discourse stores email addresses lower-cased.
    const email = fields.email?.trim().toLowerCase() ?? ''
    if (email === '') throw new Refusal(500, 'no_email', 'The payload has no email address.')
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw new Refusal(500, 'email_error', 'The email address is not valid.')
    }
    const requireActivation = fields.require_activation === 'true'
    let detail = 'matched by external_id'
    let user = users.find((u) => u.externalId === externalId)
    if (!user && !requireActivation) {
      detail = 'matched by email'
      user = users.find((u) => u.email.toLowerCase() === email)
    }
    if (!user) {
      detail = 'created'
      user = {
        id: nextId++,
        email,
        username: fields.username || email.split('@')[0] || `user${nextId}`,
        admin: false,
        moderator: false,
        groups: [],
        active: !requireActivation,
      }
      users.push(user)
    } else if (user.email.toLowerCase() !== email) {
      user.email = email
      if (requireActivation) user.active = false
    }
    if (!user.active && !requireActivation) user.active = true
    user.externalId = externalId
    applyFields(user, fields)
    const session = sessionOf(ctx)?.[1] as Session
    if (!user.active) {
      session.pending = user
      events.push({
        type: 'refused',
        vendor: 'discourse',
        at: now(),
        email,
        sub: externalId,
        code: 'activation_pending',
        detail: `${detail}; the account waits for its email address to be confirmed`,
        claims: fields,
      })
      redirect(ctx.res, `${ctx.origin}/u/account-created`)
      return
    }
    session.user = user
    session.pending = undefined
    session.received = receivedToken(
      // Its note says the nonce and user fields are not checked: here they were, just above.
      { ...checkDiscourse(sso, sig, secret, "the simulator's configuration"), notes: [] },
      'query parameters sso + sig',
      now(),
      {
        algorithm: 'HMAC-SHA256 (sig, hex)',
        shape: 'sso=<Base64 payload, decoded below>&sig=<signature removed>',
        checks: [
          passed('nonce', 'issued by this forum to this browser, unused, under 10 minutes old'),
          passed('external_id', 'not blank and not reserved'),
          passed('email', 'an email address'),
        ],
      },
    )
    events.push({
      type: 'signed-in',
      vendor: 'discourse',
      at: now(),
      email,
      sub: externalId,
      detail,
      claims: fields,
    })
    const target = entry.returnPath.includes('/session/sso') ? '/' : entry.returnPath
    redirect(ctx.res, `${ctx.origin}${target}`)
  }

  function logout(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const session = sessionOf(ctx)
    if (session) sessions.delete(session[0])
    redirect(ctx.res, logoutUrl ?? `${ctx.origin}/`, {
      'Set-Cookie': sessionCookie(SESSION_COOKIE, undefined),
    })
  }

  function accountCreated(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const pending = sessionOf(ctx)?.[1].pending
    sendHtml(
      ctx.res,
      200,
      page({
        vendor: 'discourse',
        title: 'Account created',
        ...(pending ? { email: pending.email } : {}),
        body: pending
          ? html`<h1>Activation pending</h1>
<p data-activation="pending">We sent an activation email to <strong>${pending.email}</strong>. Confirm it to log in as <span data-username>${pending.username}</span>.</p>`
          : html`<h1>Account created</h1><p>Nothing is waiting for activation in this browser.</p>`,
      }),
    )
  }

  function forum(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const user = sessionOf(ctx)?.[1].user
    const received = sessionOf(ctx)?.[1].received
    const path = ctx.path
    if (user) {
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'discourse',
          title: 'Forum',
          state: 'signed-in',
          email: user.email,
          body: html`<h1>Signed in to Discourse as ${user.email}</h1>
<p>You are on <code data-path>${path}</code>.</p>
<dl>
<dt>Username</dt><dd data-username>${user.username}</dd>
<dt>Name</dt><dd data-name>${user.name ?? ''}</dd>
<dt>External id</dt><dd data-external-id>${user.externalId ?? ''}</dd>
<dt>Groups</dt><dd><ul data-groups>${user.groups.map((g) => html`<li>${g}</li>`)}</ul></dd>
<dt>Staff</dt><dd data-admin="${String(user.admin)}" data-moderator="${String(user.moderator)}">${
            [user.admin ? 'admin' : '', user.moderator ? 'moderator' : '']
              .filter(Boolean)
              .join(', ') || 'none'
          }</dd>
${user.title ? html`<dt>Title</dt><dd data-title>${user.title}</dd>` : ''}
</dl>
<p><a class="button" id="logout" href="${ctx.origin}/logout">Log out</a></p>
${received ? receivedPanel('discourse', received, { href: appHome(loginUrl) }) : ''}`,
        }),
      )
      return
    }
    const returnPath = path === '/login' ? '/' : path
    sendHtml(
      ctx.res,
      200,
      page({
        vendor: 'discourse',
        title: path === '/login' ? 'Log in' : 'Forum',
        body: html`<h1>${path === '/login' ? 'Log in' : 'Welcome to the forum'}</h1>
<p>You are on <code data-path>${path}</code>. Log in to join the discussion.</p>
<p><a class="button" id="login" href="${withParams(new URL(`${ctx.origin}/session/sso`), { return_path: returnPath })}">Log in</a></p>`,
      }),
    )
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    switch (ctx.path) {
      case '/session/sso':
        return startSso(ctx)
      case '/session/sso_login':
        return ssoLogin(ctx)
      case '/logout':
        return logout(ctx)
      case '/u/account-created':
        return accountCreated(ctx)
      default:
        if (ctx.path.startsWith('/session/') || ctx.path.startsWith('/admin/')) {
          return ctx.notFound()
        }
        forum(ctx)
    }
  }

  const core = createSimulatorCore({ ...options, vendor: 'discourse', events, route })
  return {
    ...core,
    vendor: 'discourse',
    get users() {
      return users
    },
  }
}
