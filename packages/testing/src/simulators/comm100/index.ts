import { randomBytes } from 'node:crypto'
import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { optionalAbsoluteUrl, requireAbsoluteUrl, requireString } from '../../server/options'
import { page } from '../../server/page'
import { allowMethods, queryParam } from '../../server/request'
import { sendHtml } from '../../server/respond'
import { withParams } from '../../server/urls'
import { appHome, passed, receivedPanel, receivedToken } from '../../server/received'
import { refusalOf, tokenVerifier } from '../../server/verifier'
import { VendorTokenError } from '../../verify'

/**
 * Options of `comm100Simulator`.
 *
 * @example
 * ```ts
 * const options: Comm100SimulatorOptions = { secret, loginUrl, agents: ['ada@example.com'] }
 * ```
 */
export interface Comm100SimulatorOptions extends SimulatorBaseOptions {
  /** The Shared Secret, the same one the app signs with (used as UTF-8 bytes). */
  secret: string
  /** The app's "Remote Login URL", absolute, e.g. `http://127.0.0.1:3000/sso/comm100/login`. */
  loginUrl: string
  /** The app's "Remote Logout URL"; the signed-in page links to it. (default: no link) */
  logoutUrl?: string
  /** Emails of the agents the account admin created; anyone else is refused. */
  agents: readonly string[]
  /** The longest token lifetime accepted, `exp - iat`. (default: `1800`) */
  maxLifetimeSeconds?: number
}

/**
 * The Comm100 agent console stand-in.
 *
 * @example
 * ```ts
 * const comm100: Comm100Simulator = comm100Simulator({ secret, loginUrl, agents: [] })
 * comm100.addAgent('ada@example.com')
 * ```
 */
export interface Comm100Simulator extends Simulator {
  readonly vendor: 'comm100'
  /** Every `jti` accepted so far (a second use is refused). */
  readonly seenJti: ReadonlySet<string>
  /** The agents' emails (lower-cased). */
  readonly agents: ReadonlySet<string>
  /** Creates an agent, as the account admin does in the Control Panel. */
  addAgent(email: string): void
}

/** How many issued RelayState values are remembered before the oldest is forgotten. */
const RELAY_STATE_LIMIT = 1000

/**
 * A local Comm100 agent console with JWT SSO.
 *
 * Routes: `GET /` console page with a "Log in with SSO" link to
 * `{loginUrl}?redirect_url={origin}/sso/callback&RelayState=<random>`;
 * `GET /sso/callback?jwt=&relayState=` verifies the token (HS256, `email` of a known agent,
 * `exp`, `nbf`, `iat`, `aud` = `Comm100`, unused `jti`, lifetime ≤ 30 minutes) and an issued
 * `relayState` when present; `GET /sso/jwt?jwt=&redirect_url=` (the configured-endpoint mode)
 * verifies the same way. Success says `Signed in to Comm100 as <email>`.
 *
 * @example
 * ```ts
 * const comm100 = comm100Simulator({
 *   secret: process.env.COMM100_SSO_SECRET!,
 *   loginUrl: 'http://127.0.0.1:3000/sso/comm100/login',
 *   logoutUrl: 'http://127.0.0.1:3000/sso/comm100/logout',
 *   agents: ['ada@example.com'],
 * })
 * const { url, close } = await comm100.listen(4004)
 * comm100.addAgent('grace@example.com') // agents can be created later, too
 * ```
 */
export function comm100Simulator(options: Comm100SimulatorOptions): Comm100Simulator {
  const secret = requireString('comm100', 'secret', options.secret)
  const loginUrl = requireAbsoluteUrl('comm100', 'loginUrl', options.loginUrl)
  const logoutUrl = optionalAbsoluteUrl('comm100', 'logoutUrl', options.logoutUrl)
  if (!Array.isArray(options.agents)) {
    throw new TypeError('comm100Simulator: option `agents` must be an array of agent emails')
  }
  const agents = new Set(options.agents.map((email) => email.toLowerCase()))
  const now = options.now ?? Date.now
  const verify = tokenVerifier('comm100', secret)
  const events: SimulatorEvent[] = []
  const seenJti = new Set<string>()
  const relayStates = new Set<string>()

  function issueRelayState(): string {
    const state = randomBytes(16).toString('base64url')
    relayStates.add(state)
    if (relayStates.size > RELAY_STATE_LIMIT) {
      const oldest = relayStates.values().next().value
      if (oldest !== undefined) relayStates.delete(oldest)
    }
    return state
  }

  async function signIn(ctx: SimulatorContext, relayState: string | undefined): Promise<void> {
    const token = queryParam(ctx.url, 'jwt')
    if (!token) throw new Refusal(400, 'missing_token', 'The jwt parameter is missing.')
    const verifyOptions = {
      now: now(),
      ...(options.maxLifetimeSeconds === undefined
        ? {}
        : { maxLifetimeSeconds: options.maxLifetimeSeconds }),
    }
    const claims = await verify(token, verifyOptions)
    // The jti is recorded only once every check below passed, so a refused sign-in keeps it.
    if (seenJti.has(String(claims.jti))) {
      throw refusalOf(
        new VendorTokenError(
          'comm100',
          'replayed_jti',
          'the "jti" claim has already been used.',
          'jti',
        ),
      )
    }
    const email = String(claims.email)
    if (!agents.has(email.toLowerCase())) {
      throw new Refusal(
        403,
        'agent_not_found',
        'Agent not found. Only an agent your Comm100 account admin has created with this email address can sign in with SSO.',
      )
    }
    if (relayState !== undefined && !relayStates.has(relayState)) {
      throw new Refusal(
        400,
        'bad_relay_state',
        'The relayState does not match a sign-in Comm100 started.',
      )
    }
    seenJti.add(String(claims.jti))
    const received = receivedToken(
      await verify.report(token, verifyOptions),
      'query parameter jwt',
      verifyOptions.now,
      {
        checks: [
          passed('jti', 'not used before (one sign-in per token)'),
          passed('agent', 'an agent with this email exists in the account'),
          ...(relayState === undefined
            ? []
            : [passed('relayState', 'matches a sign-in Comm100 started')]),
        ],
      },
    )
    events.push({ type: 'signed-in', vendor: 'comm100', at: now(), email, claims })
    sendHtml(
      ctx.res,
      200,
      page({
        vendor: 'comm100',
        title: 'Agent Console',
        state: 'signed-in',
        email,
        body: html`<h1>Signed in to Comm100 as ${email}</h1>
<p>Agent Console · ${typeof claims.name === 'string' ? claims.name : email}</p>
${logoutUrl ? html`<p><a class="button" id="logout" href="${logoutUrl}">Log out</a></p>` : ''}
${receivedPanel('comm100', received, { href: appHome(loginUrl) })}`,
      }),
    )
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    switch (ctx.path) {
      case '/': {
        allowMethods(ctx, 'GET')
        const href = withParams(loginUrl, {
          redirect_url: `${ctx.origin}/sso/callback`,
          RelayState: issueRelayState(),
        })
        sendHtml(
          ctx.res,
          200,
          page({
            vendor: 'comm100',
            title: 'Agent Console',
            body: html`<h1>Comm100 Agent Console</h1>
<p>Your account uses single sign-on.</p>
<p><a class="button" id="login" href="${href}">Log in with SSO</a></p>`,
          }),
        )
        return
      }
      case '/sso/callback':
        allowMethods(ctx, 'GET')
        return signIn(ctx, queryParam(ctx.url, 'relayState'))
      case '/sso/jwt':
        allowMethods(ctx, 'GET')
        queryParam(ctx.url, 'redirect_url')
        return signIn(ctx, undefined)
      default:
        ctx.notFound()
    }
  }

  const core = createSimulatorCore({ ...options, vendor: 'comm100', events, route })
  return {
    ...core,
    vendor: 'comm100',
    get seenJti() {
      return seenJti
    },
    get agents() {
      return agents
    },
    addAgent(email: string): void {
      if (typeof email !== 'string' || !email.includes('@')) {
        throw new TypeError('comm100Simulator.addAgent: pass the agent email address')
      }
      agents.add(email.toLowerCase())
    },
  }
}
