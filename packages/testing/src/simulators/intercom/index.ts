import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { requireString } from '../../server/options'
import { page } from '../../server/page'
import { BodyError, readJsonBody } from '../../server/request'
import { appOrigin, passed, receiptBook, receivedToken, serveReceipt } from '../../server/received'
import type { Received } from '../../server/received'
import { sendHtml, sendJson } from '../../server/respond'
import { tokenVerifier } from '../../server/verifier'
import { IntercomBootError, verifyIntercomBoot } from './boot'
import type { IntercomBoot, IntercomUser } from './boot'
import { intercomWidgetPath, intercomWidgetSource } from './widget'

/**
 * Options of `intercomSimulator`.
 */
export interface IntercomSimulatorOptions extends SimulatorBaseOptions {
  /** The Messenger API secret (JWT), or the identity verification secret (`userHash`). */
  secret: string
  /** The workspace's app id: the widget is served at `/widget/<appId>`. (default: `'abc12xyz'`) */
  appId?: string
  /** `'jwt'` (Messenger security) or `'userHash'` (legacy identity verification). (default: `'jwt'`) */
  mode?: 'jwt' | 'userHash'
  /**
   * Refuse a boot without proof of the user (`intercom_user_jwt`, or `user_hash`), as an
   * enforced workspace does. Off, such a boot signs in the user the page names, unverified, or a
   * visitor. (default: `true`)
   */
  enforce?: boolean
}

/**
 * The Intercom Messenger stand-in.
 */
export interface IntercomSimulator extends Simulator {
  readonly vendor: 'intercom'
  /** The app id the widget is served for. */
  readonly appId: string
  /** Contacts signed in so far, by `user_id`. */
  readonly users: ReadonlyMap<string, IntercomUser>
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Max-Age': '600',
}

/**
 * A local Intercom workspace: serves the Messenger stand-in and verifies its boots server-side.
 *
 * Routes: `GET /widget/<appId>` (the Messenger script, `text/javascript`: `intercomWidgetSource`);
 * `POST /messenger/web/ping` with the boot's JSON `{ app_id, intercom_user_jwt, user_id,
 * user_hash, email, name }` (CORS open, preflight included) answers `{ user, receipt }` (`receipt`:
 * the URL of a page showing what Intercom received and checked, `GET /messenger/received/<id>`,
 * the last 256 kept; none for an unverified user) or, enforcement
 * off and nobody named, `{ visitor: true }`, or `401 { error: { code, message } }` as
 * `verifyIntercomBoot` decides (unknown app id `404`); `GET /` describes the workspace.
 *
 * @example
 * ```ts
 * const intercom = intercomSimulator({ secret: process.env.INTERCOM_MESSENGER_SECRET!, appId: 'abc12xyz' })
 * const { url, close } = await intercom.listen(4109)
 * // on the page: Intercom's loader snippet with `${url}/widget/abc12xyz` as the script's src
 * ```
 */
export function intercomSimulator(options: IntercomSimulatorOptions): IntercomSimulator {
  const secret = requireString('intercom', 'secret', options.secret)
  const appId = requireString('intercom', 'appId', options.appId ?? 'abc12xyz')
  const mode = options.mode ?? 'jwt'
  if (mode !== 'jwt' && mode !== 'userHash') {
    throw new TypeError("intercomSimulator: option `mode` must be 'jwt' or 'userHash'")
  }
  const enforce = options.enforce ?? true
  const now = options.now ?? Date.now
  const events: SimulatorEvent[] = []
  const users = new Map<string, IntercomUser>()
  const widgetPath = intercomWidgetPath(appId)
  const receipts = receiptBook()
  // The panel's lines replay the same rules `verifyIntercomBoot` applied (verify.ts), recorded.
  const jwtReport = tokenVerifier('intercom', secret)

  /** What a verified boot showed the Messenger; an unverified one (enforcement off) gets none. */
  async function bootReceived(
    boot: IntercomBoot,
    user: IntercomUser,
    at: number,
  ): Promise<Received> {
    const app = passed('app_id', `${appId} is this workspace`)
    const jwt = boot.intercom_user_jwt
    if (mode === 'jwt' && typeof jwt === 'string') {
      return receivedToken(
        await jwtReport.report(jwt, { now: at }),
        'boot setting intercom_user_jwt (POST /messenger/web/ping)',
        at,
        { checks: [app] },
      )
    }
    return {
      parameter: 'boot settings user_id and user_hash (POST /messenger/web/ping)',
      algorithm: 'HMAC-SHA256 of user_id (user_hash)',
      shape: 'user_id + <user_hash removed>',
      claims: {
        user_id: user.user_id,
        ...(user.email === undefined ? {} : { email: user.email }),
        ...(user.name === undefined ? {} : { name: user.name }),
      },
      lifetime: 'none: a user_hash never expires (rotate the secret to revoke it)',
      now: Math.floor(at / 1000),
      checks: [
        app,
        passed(
          'user_hash',
          'matches user_id (HMAC-SHA256 with the identity verification secret, compared in constant time)',
        ),
      ],
      notes: ['user_hash covers user_id only: the email and name came from the page unsigned.'],
    }
  }

  function refuse(ctx: SimulatorContext, status: number, code: string, message: string): void {
    events.push({ type: 'refused', vendor: 'intercom', at: now(), code, detail: message })
    sendJson(ctx.res, status, { error: { code, message } }, CORS)
  }

  async function ping(ctx: SimulatorContext): Promise<void> {
    if (ctx.method === 'OPTIONS') {
      const requested = ctx.req.headers['access-control-request-headers']
      ctx.res.writeHead(204, {
        ...CORS,
        'Access-Control-Allow-Headers': typeof requested === 'string' ? requested : 'Content-Type',
        Vary: 'Access-Control-Request-Headers',
      })
      ctx.res.end()
      return
    }
    if (ctx.method !== 'POST') {
      sendJson(
        ctx.res,
        405,
        { error: { code: 'method_not_allowed', message: 'Use POST.' } },
        { ...CORS, Allow: 'POST, OPTIONS' },
      )
      return
    }
    let body: unknown
    try {
      body = await readJsonBody(ctx.req, 32_768)
    } catch (err) {
      if (err instanceof BodyError) return refuse(ctx, err.status, err.code, err.message)
      throw err
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return refuse(ctx, 400, 'bad_request', 'Send the boot settings as a JSON object.')
    }
    let user: IntercomUser | null
    const at = now()
    try {
      user = await verifyIntercomBoot(body as IntercomBoot, {
        secret,
        appId,
        mode,
        enforce,
        now: at,
      })
    } catch (err) {
      if (err instanceof IntercomBootError) {
        return refuse(ctx, err.code === 'unknown_app' ? 404 : 401, err.code, err.message)
      }
      throw err
    }
    if (user === null) {
      sendJson(ctx.res, 200, { visitor: true }, CORS)
      return
    }
    users.set(user.user_id, user)
    events.push({
      type: 'signed-in',
      vendor: 'intercom',
      at: now(),
      sub: user.user_id,
      ...(user.email === undefined ? {} : { email: user.email }),
      detail: user.verified ? 'verified' : 'unverified',
      claims: { ...user },
    })
    if (!user.verified) {
      sendJson(ctx.res, 200, { user }, CORS)
      return
    }
    const id = receipts.add(
      await bootReceived(body as IntercomBoot, user, at),
      appOrigin(ctx.req.headers.origin),
    )
    sendJson(ctx.res, 200, { user, receipt: `${ctx.origin}/messenger/received/${id}` }, CORS)
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    if (ctx.path === '/messenger/web/ping') return ping(ctx)
    if (ctx.path.startsWith('/messenger/received/')) {
      return serveReceipt(ctx, 'intercom', receipts, ctx.path.slice('/messenger'.length))
    }
    if (ctx.path.startsWith('/widget/') && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      if (ctx.path !== widgetPath) {
        throw new Refusal(404, 'unknown_app', 'No Messenger for this app_id.', false)
      }
      ctx.res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-cache',
        'Access-Control-Allow-Origin': '*',
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'X-Content-Type-Options': 'nosniff',
      })
      ctx.res.end(ctx.method === 'HEAD' ? undefined : intercomWidgetSource)
      return
    }
    if (ctx.path === '/' && ctx.method === 'GET') {
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'intercom',
          title: 'Workspace',
          body: html`<h1>Intercom workspace <code>${appId}</code></h1>
<p>Messenger security: ${mode === 'jwt' ? 'JWT (intercom_user_jwt)' : 'identity verification (user_hash)'}, ${enforce ? 'enforced' : 'not enforced'}.</p>
<p>Load the Messenger with <code>${ctx.origin}${widgetPath}</code> and boot it with <code>Intercom('boot', { app_id, intercom_user_jwt })</code>.</p>`,
        }),
      )
      return
    }
    ctx.notFound()
  }

  const core = createSimulatorCore({ ...options, vendor: 'intercom', events, route })
  return {
    ...core,
    vendor: 'intercom',
    appId,
    get users() {
      return users
    },
  }
}
