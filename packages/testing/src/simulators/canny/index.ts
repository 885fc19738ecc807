import { randomBytes } from 'node:crypto'
import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import { readCookie, sessionCookie } from '../../server/cookies'
import type { SimulatorEvent } from '../../server/events'
import { html, raw } from '../../server/html'
import { requireAbsoluteUrl, requireString } from '../../server/options'
import { page } from '../../server/page'
import { allowMethods, queryParam } from '../../server/request'
import { redirect, sendHtml } from '../../server/respond'
import { withParams } from '../../server/urls'
import { appHome, passed, receivedPanel, receivedToken } from '../../server/received'
import type { Received } from '../../server/received'
import { type TokenVerifier, tokenVerifier } from '../../server/verifier'
import type { VendorClaims } from '../../verify'
import { cannySdkPath, cannySdkSource } from './sdk'

/** One Canny company the simulator hosts. */
export interface CannyCompanyOptions {
  /** The company id Canny sends as `companyID` (1–64 letters and digits). */
  id: string
  /** The company's private SSO key (HS256, used as UTF-8 bytes). */
  secret: string
  /**
   * The app's SSO redirect route, absolute, e.g. `http://127.0.0.1:3000/sso/canny/login`: where
   * the board sends a visitor to sign in. (default: none: the board shows no sign-in)
   */
  ssoRedirectUrl?: string
  /** The widget's board token. (default: `board-{id}`) */
  boardToken?: string
  /** Emails of the company's admins: no other company may sign them in. (default: none) */
  admins?: readonly string[]
}

/** Options of `cannySimulator`. */
export interface CannySimulatorOptions extends SimulatorBaseOptions {
  /** The companies, the first one's board at `/`. */
  companies: readonly CannyCompanyOptions[]
  /**
   * Who may frame the widget page (CSP `frame-ancestors`), e.g. the app's origin.
   * (default: `'*'`)
   */
  frameAncestors?: string
}

/** A user a company signed in, by SSO redirect or widget token. */
export interface CannyUser {
  readonly companyID: string
  readonly id: string
  readonly email: string
  readonly name: string
  readonly avatarURL?: string
  readonly created?: string
  readonly signIns: number
}

/** The Canny stand-in. */
export interface CannySimulator extends Simulator {
  readonly vendor: 'canny'
  /** Users signed in so far, keyed by `${companyID}:${id}`. */
  readonly users: ReadonlyMap<string, CannyUser>
}

const SESSION_COOKIE = 'canny_sim_session'
const COMPANY_ID = /^[A-Za-z0-9]{1,64}$/

interface Company {
  readonly id: string
  readonly ssoRedirectUrl: URL | undefined
  readonly boardToken: string
  readonly admins: ReadonlySet<string>
  readonly verify: TokenVerifier
}

/**
 * A local Canny: hosted boards with SSO redirect, and the widget.
 *
 * Routes: `GET /` (the first company's board) and `GET /{companyID}`: a board that, for a visitor
 * without a session, redirects to the company's `ssoRedirectUrl` with `companyID` and `redirect`
 * (the board's URL); with one, `Signed in to Canny as <email>`.
 * `GET /api/redirects/sso?companyID=&ssoToken=&redirect=` verifies the token with that company's
 * key (HS256, `id`, `email`, `name`, `exp` when present), refuses an email that is an admin of
 * another company (403 `admin_of_another_company`), signs the user in (a session cookie) and
 * redirects to `redirect` only on the simulator's own origin (else 400 `redirect_not_allowed`).
 * `GET /sdk.js` is the widget SDK stand-in; `GET /widget?boardToken=&basePath=&ssoToken=` renders
 * the board for the token's user (verified here, server-side), or for an anonymous visitor.
 * Refusals are pages with `data-code`.
 *
 * @example
 * ```ts
 * const canny = cannySimulator({ companies: [{ id: 'acme1', secret: process.env.CANNY_SSO_KEY!,
 *   ssoRedirectUrl: 'http://127.0.0.1:3000/sso/canny/login' }] })
 * const { url, close } = await canny.listen(4110)
 * ```
 */
export function cannySimulator(options: CannySimulatorOptions): CannySimulator {
  if (!Array.isArray(options.companies) || options.companies.length === 0) {
    throw new TypeError('cannySimulator: option `companies` needs at least one company')
  }
  const companies = new Map<string, Company>()
  const boards = new Map<string, Company>()
  for (const given of options.companies as readonly CannyCompanyOptions[]) {
    const id = requireString('canny', 'companies[].id', given.id)
    if (!COMPANY_ID.test(id)) {
      throw new TypeError(
        `cannySimulator: company id ${JSON.stringify(id)} is not 1–64 letters and digits`,
      )
    }
    const company: Company = {
      id,
      ssoRedirectUrl:
        given.ssoRedirectUrl === undefined
          ? undefined
          : requireAbsoluteUrl('canny', 'companies[].ssoRedirectUrl', given.ssoRedirectUrl),
      boardToken: given.boardToken ?? `board-${id}`,
      admins: new Set((given.admins ?? []).map((email: string) => email.toLowerCase())),
      verify: tokenVerifier('canny', requireString('canny', 'companies[].secret', given.secret)),
    }
    companies.set(id, company)
    boards.set(company.boardToken, company)
  }
  const first = companies.values().next().value as Company
  const now = options.now ?? Date.now
  const frameAncestors = options.frameAncestors ?? '*'
  const events: SimulatorEvent[] = []
  const users = new Map<string, CannyUser>()
  const sessions = new Map<string, string>()
  const receipts = new Map<string, Received>()

  /** Verifies a token as Canny does for `company`, and refuses another company's admin. */
  async function signIn(
    company: Company,
    token: string,
    how: string,
    parameter: string,
  ): Promise<{ user: CannyUser; received: Received }> {
    const at = now()
    const claims: VendorClaims = await company.verify(token, { now: at })
    const email = String(claims.email)
    for (const other of companies.values()) {
      if (other !== company && other.admins.has(email.toLowerCase())) {
        throw new Refusal(
          403,
          'admin_of_another_company',
          'This email belongs to an admin of another Canny company; it cannot be signed in through SSO here.',
        )
      }
    }
    const key = `${company.id}:${String(claims.id)}`
    const existing = users.get(key)
    const user: CannyUser = {
      companyID: company.id,
      id: String(claims.id),
      email,
      name: String(claims.name),
      ...(typeof claims.avatarURL === 'string' ? { avatarURL: claims.avatarURL } : {}),
      ...(typeof claims.created === 'string' ? { created: claims.created } : {}),
      signIns: (existing?.signIns ?? 0) + 1,
    }
    users.set(key, user)
    events.push({
      type: 'signed-in',
      vendor: 'canny',
      at: now(),
      email,
      sub: user.id,
      detail: how,
      claims,
    })
    const received = receivedToken(await company.verify.report(token, { now: at }), parameter, at, {
      checks: [
        passed('company', `the token is verified with company ${company.id}'s secret`),
        passed('admin', 'the email is not an admin of another Canny company'),
      ],
    })
    return { user, received }
  }

  function receivedOf(session: string | undefined, company: Company) {
    const received = session === undefined ? undefined : receipts.get(session)
    if (!received) return ''
    return receivedPanel(
      'canny',
      received,
      company.ssoRedirectUrl ? { href: appHome(company.ssoRedirectUrl) } : undefined,
    )
  }

  function boardPage(ctx: SimulatorContext, company: Company): void {
    allowMethods(ctx, 'GET')
    const session = readCookie(ctx.req, SESSION_COOKIE)
    const key = session === undefined ? undefined : sessions.get(session)
    const user = key === undefined ? undefined : users.get(key)
    if (user && user.companyID === company.id) {
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'canny',
          title: 'Feature requests',
          state: 'signed-in',
          email: user.email,
          body: html`<h1>Signed in to Canny as ${user.email}</h1>
<p>Feature requests of <code>${company.id}</code>, for ${user.name}.</p>
<ul><li>Dark mode</li><li>Export to CSV</li></ul>
${receivedOf(session, company)}`,
        }),
      )
      return
    }
    if (!company.ssoRedirectUrl) {
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'canny',
          title: 'Feature requests',
          body: html`<h1>Feature requests</h1><p>This company has no SSO redirect configured.</p>`,
        }),
      )
      return
    }
    // Canny's SSO redirect: the board sends the visitor to the company's SSO page.
    redirect(
      ctx.res,
      withParams(company.ssoRedirectUrl, {
        companyID: company.id,
        redirect: `${ctx.origin}${ctx.path}`,
      }),
    )
  }

  async function ssoRedirect(ctx: SimulatorContext): Promise<void> {
    allowMethods(ctx, 'GET')
    const companyID = queryParam(ctx.url, 'companyID') ?? ''
    const company = companies.get(companyID)
    if (!company) throw new Refusal(400, 'unknown_company', 'No Canny company has this companyID.')
    const token = queryParam(ctx.url, 'ssoToken')
    if (!token) throw new Refusal(400, 'missing_token', 'The ssoToken parameter is missing.')
    const target = queryParam(ctx.url, 'redirect')
    let next = `${ctx.origin}/${company === first ? '' : company.id}`
    if (target !== undefined) {
      let url: URL | undefined
      try {
        url = new URL(target)
      } catch {
        url = undefined
      }
      if (!url || url.origin !== new URL(ctx.origin).origin || url.username || url.password) {
        throw new Refusal(400, 'redirect_not_allowed', 'Canny redirects only to its own boards.')
      }
      next = url.href
    }
    const { user, received } = await signIn(
      company,
      token,
      'sso-redirect',
      'query parameter ssoToken (SSO redirect)',
    )
    const session = randomBytes(18).toString('base64url')
    sessions.set(session, `${company.id}:${user.id}`)
    receipts.set(session, received)
    redirect(ctx.res, next, { 'Set-Cookie': sessionCookie(SESSION_COOKIE, session) })
  }

  async function widget(ctx: SimulatorContext): Promise<void> {
    allowMethods(ctx, 'GET')
    const nonce = randomBytes(16).toString('base64')
    const headers = {
      'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; frame-ancestors ${frameAncestors}`,
    }
    let email: string | undefined
    const answer = (
      status: number,
      message: Record<string, string>,
      body: ReturnType<typeof html>,
    ) => {
      const script = `parent.postMessage(${JSON.stringify({ source: 'canny-simulator', ...message }).replace(/</g, '\\u003c')}, '*')`
      sendHtml(
        ctx.res,
        status,
        page({
          vendor: 'canny',
          title: 'Board',
          state:
            message.state === 'error'
              ? 'refused'
              : message.state === 'signed-in'
                ? 'signed-in'
                : 'page',
          ...(message.code ? { code: message.code } : {}),
          ...(message.state === 'signed-in' && email ? { email } : {}),
          body: html`${body}<script nonce="${nonce}">${raw(script)}</script>`,
        }),
        headers,
      )
    }
    const boardToken = queryParam(ctx.url, 'boardToken') ?? ''
    const basePath = queryParam(ctx.url, 'basePath') ?? ''
    const company = boards.get(boardToken)
    if (!company) {
      answer(
        404,
        { state: 'error', code: 'unknown_board' },
        html`<h1>Board not found</h1><p class="reason" data-code="unknown_board">No board has this boardToken.</p>`,
      )
      return
    }
    const token = queryParam(ctx.url, 'ssoToken')
    if (!token) {
      answer(
        200,
        { state: 'anonymous' },
        html`<h1>Feature requests</h1><p>Log in to post and vote.</p><p>basePath: <code>${basePath}</code></p>`,
      )
      return
    }
    try {
      const { user, received } = await signIn(
        company,
        token,
        'widget',
        'query parameter ssoToken (widget frame)',
      )
      email = user.email
      answer(
        200,
        { state: 'signed-in', user: user.id },
        html`<h1>Signed in to Canny as ${user.email}</h1>
<p>Feature requests of <code>${company.id}</code> for ${user.name}.</p><p>basePath: <code>${basePath}</code></p>
${receivedPanel('canny', received)}`,
      )
    } catch (err) {
      if (!(err instanceof Refusal)) throw err
      events.push({
        type: 'refused',
        vendor: 'canny',
        at: now(),
        code: err.code,
        detail: err.message,
      })
      answer(
        err.status,
        { state: 'error', code: err.code },
        html`<h1>Canny could not sign you in</h1><p class="reason" data-code="${err.code}">${err.message}</p>`,
      )
    }
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    if (ctx.path === '/api/redirects/sso') return ssoRedirect(ctx)
    if (ctx.path === '/widget') return widget(ctx)
    if (ctx.path === cannySdkPath && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-cache',
        'Access-Control-Allow-Origin': '*',
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'X-Content-Type-Options': 'nosniff',
      })
      ctx.res.end(ctx.method === 'HEAD' ? undefined : cannySdkSource)
      return
    }
    if (ctx.path === '/') return boardPage(ctx, first)
    const company = companies.get(ctx.path.slice(1))
    if (company) return boardPage(ctx, company)
    ctx.notFound()
  }

  const core = createSimulatorCore({ ...options, vendor: 'canny', events, route })
  return {
    ...core,
    vendor: 'canny',
    get users() {
      return users
    },
  }
}
