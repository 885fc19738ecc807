import { randomUUID } from 'node:crypto'
import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { requireAbsoluteUrl, requireString } from '../../server/options'
import { page } from '../../server/page'
import { allowMethods, queryParam } from '../../server/request'
import { sendHtml } from '../../server/respond'
import { withParams } from '../../server/urls'
import { appHome, receivedPanel, receivedToken } from '../../server/received'
import { tokenVerifier } from '../../server/verifier'

/**
 * Options of `kustomerSimulator`.
 */
export interface KustomerSimulatorOptions extends SimulatorBaseOptions {
  /** The knowledge base's secret, the same one the app signs with (used as UTF-8 bytes). */
  secret: string
  /** The app's Kustomer route, absolute, e.g. `http://127.0.0.1:3000/sso/kustomer/login`. */
  loginUrl: string
  /** How old a token may be. (default: `900`, Kustomer's 15 minutes) */
  maxAgeSeconds?: number
}

/**
 * A portal customer the simulator created on first sign-in.
 *
 * @example
 * ```ts
 * expect(kustomer.customers.get('ada@example.com')?.signIns).toBe(1)
 * ```
 */
export interface KustomerCustomer {
  readonly email: string
  /** ms, from the simulator's clock. */
  readonly createdAt: number
  readonly signIns: number
}

/**
 * The Kustomer knowledge-base portal stand-in.
 */
export interface KustomerSimulator extends Simulator {
  readonly vendor: 'kustomer'
  /** Customers created so far, keyed by email. */
  readonly customers: ReadonlyMap<string, KustomerCustomer>
}

/**
 * A local Kustomer knowledge-base portal with custom sign-on.
 *
 * Routes: `GET /` portal page with a "Login" link to
 * `{loginUrl}?trackingToken=<unsigned JWT>&kustomerRedirectUri={origin}/login?referralUrl={origin}/`;
 * `GET /login?externalToken=` verifies the token (HS256, `email`, `iat` at most 15 minutes old
 * and not in the future), creates the customer on first sign-in and says
 * `Signed in to Kustomer as <email>`, or answers a 401 page with `data-code`.
 *
 * @example
 * ```ts
 * const kustomer = kustomerSimulator({
 *   secret: process.env.KUSTOMER_KB_SECRET!,
 *   loginUrl: 'http://127.0.0.1:3000/sso/kustomer/login',
 * })
 * const { url, close } = await kustomer.listen(4001)
 * ```
 */
export function kustomerSimulator(options: KustomerSimulatorOptions): KustomerSimulator {
  const secret = requireString('kustomer', 'secret', options.secret)
  const loginUrl = requireAbsoluteUrl('kustomer', 'loginUrl', options.loginUrl)
  const now = options.now ?? Date.now
  const verify = tokenVerifier('kustomer', secret)
  const events: SimulatorEvent[] = []
  const customers = new Map<string, KustomerCustomer>()

  async function route(ctx: SimulatorContext): Promise<void> {
    if (ctx.path === '/') {
      allowMethods(ctx, 'GET')
      const portal = `${ctx.origin}/`
      const href = withParams(loginUrl, {
        trackingToken: trackingToken(now()),
        kustomerRedirectUri: `${ctx.origin}/login?referralUrl=${encodeURIComponent(portal)}`,
      })
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'kustomer',
          title: 'Help Center',
          body: html`<h1>Help Center</h1>
<p>Log in to see your conversations.</p>
<p><a class="button" id="login" href="${href}">Login</a></p>`,
        }),
      )
      return
    }
    if (ctx.path === '/login') {
      allowMethods(ctx, 'GET')
      const token = queryParam(ctx.url, 'externalToken')
      if (!token) throw new Refusal(400, 'missing_token', 'The externalToken parameter is missing.')
      const verifyOptions = {
        now: now(),
        ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
      }
      const claims = await verify(token, verifyOptions)
      const received = receivedToken(
        await verify.report(token, verifyOptions),
        'query parameter externalToken',
        verifyOptions.now,
      )
      const email = String(claims.email)
      const existing = customers.get(email.toLowerCase())
      const at = now()
      const customer: KustomerCustomer = existing
        ? { ...existing, signIns: existing.signIns + 1 }
        : { email, createdAt: at, signIns: 1 }
      customers.set(email.toLowerCase(), customer)
      events.push({
        type: 'signed-in',
        vendor: 'kustomer',
        at,
        email,
        detail: existing ? 'returning' : 'created',
        claims,
      })
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'kustomer',
          title: 'Signed in',
          state: 'signed-in',
          email,
          body: html`<h1>Signed in to Kustomer as ${email}</h1>
<p>${existing ? 'Welcome back.' : 'Your customer profile was created.'}</p>
<p><a href="${ctx.origin}/">Back to the Help Center</a></p>
${receivedPanel('kustomer', received, { href: appHome(loginUrl) })}`,
        }),
      )
      return
    }
    ctx.notFound()
  }

  const core = createSimulatorCore({ ...options, vendor: 'kustomer', events, route })
  return {
    ...core,
    vendor: 'kustomer',
    get customers() {
      return customers
    },
  }
}

/** Kustomer's unsigned tracking JWT (`alg: none`), which the app must ignore. */
function trackingToken(nowMs: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ trackingId: randomUUID(), iat: Math.floor(nowMs / 1000) })}.`
}
