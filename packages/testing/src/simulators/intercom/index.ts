import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { requireString } from '../../server/options'
import { page } from '../../server/page'
import { BodyError, readJsonBody } from '../../server/request'
import { sendHtml, sendJson } from '../../server/respond'
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
 * user_hash, email, name }` (CORS open, preflight included) answers `{ user }` or, enforcement
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
    try {
      user = await verifyIntercomBoot(body as IntercomBoot, {
        secret,
        appId,
        mode,
        enforce,
        now: now(),
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
    sendJson(ctx.res, 200, { user }, CORS)
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    if (ctx.path === '/messenger/web/ping') return ping(ctx)
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
