import { randomBytes } from 'node:crypto'
import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { requireAbsoluteUrl, requireString } from '../../server/options'
import { page } from '../../server/page'
import { appHome, passed, receivedPanel } from '../../server/received'
import type { Received } from '../../server/received'
import { BodyError, allowMethods, queryParam, readJsonBody } from '../../server/request'
import { sendHtml } from '../../server/respond'
import { FaultQueue } from './faults'
import type { KonnecApiRoute, KonnecFault, KonnecFaultSpec } from './faults'
import { ApiWire, padJson } from './wire'
import type { KonnecResponse } from './wire'
import { checkKonnecCredentials } from './verify'

export type { KonnecApiRoute, KonnecFault, KonnecFaultOptions, KonnecFaultSpec } from './faults'
export type { KonnecResponse } from './wire'

/**
 * A Konnec user, as the update API last set it.
 *
 * @example
 * ```ts
 * expect(konnec.users.get('ada@example.com')).toMatchObject({ role: 'USER' })
 * ```
 */
export interface KonnecUser {
  readonly username: string
  readonly name?: string
  readonly role: string
  readonly picture?: string
}

/**
 * Options of `konnecSimulator`.
 */
export interface KonnecSimulatorOptions extends SimulatorBaseOptions {
  /** The organisation id (`x-org-id` and the path's `:orgId`). */
  orgId: string
  /** The organisation API key (`x-api-key`). */
  apiKey: string
  /** The app's "Auth Redirect URL", absolute, e.g. `http://127.0.0.1:3000/sso/konnec/login`. */
  loginUrl: string
}

/**
 * The Konnec API + app stand-in.
 *
 * @example
 * ```ts
 * const konnec: KonnecSimulator = konnecSimulator({ orgId: 'acme', apiKey, loginUrl })
 * konnec.inject({ kind: 'reset', times: 1 })
 * ```
 */
export interface KonnecSimulator extends Simulator {
  readonly vendor: 'konnec'
  /** API calls received, per route, faulted and refused ones included. */
  readonly calls: Readonly<Record<KonnecApiRoute, number>>
  /** Users created or updated through the API, by username. */
  readonly users: ReadonlyMap<string, KonnecUser>
  /** Every request target (`req.url`) that reached the simulator, in order, matched or not. */
  readonly requests: readonly string[]
  /** One record per API call, in order, live: status, body bytes written, closed early or not. */
  readonly responses: readonly KonnecResponse[]
  /** Every refresh token issued, in whatever form its answer carried it (to scan for leaks). */
  readonly issued: ReadonlySet<string>
  /**
   * Makes API calls misbehave: see `KonnecFault` for every kind (latency, a status, a reset, a
   * hang, a redirect, bodies of an exact size, endless or announced-but-missing bodies, malformed
   * JSON, a bare, unquoted or renamed token).
   */
  inject(fault: KonnecFaultSpec): void
  /** Removes every injected fault. */
  clearFaults(): void
  /** Empties `requests`, `responses`, `issued` and `calls`; users, tokens, faults and events stay. */
  clearRecords(): void
}

/** An API call's answer before it is written, so a fault can reshape it. */
interface Answer {
  status: number
  body: unknown
  /** The refresh token the body carries (generate-token). */
  token?: string
}

const API_PATH = /^\/api\/organization\/([^/]+)\/user\/([^/]+)\/(update|generate-token)$/

/**
 * A local Konnec: its server-to-server API and its web app on one server.
 *
 * API: `POST /api/organization/:orgId/user/:username/update` (JSON `{ name, role, picture }`,
 * creates or updates) and `POST /api/organization/:orgId/user/:username/generate-token` (answers
 * `{ "refreshToken" }` for a known user, 404 otherwise). Both need `x-api-key` (401) and an
 * `x-org-id` equal to the path's org id and `orgId` (403). App: `GET /?refresh-token=` exchanges
 * a refresh token once and says `Signed in to Konnec as <username>`; `GET /` without it links to
 * `loginUrl`.
 *
 * @example
 * ```ts
 * const konnec = konnecSimulator({ orgId: 'acme', apiKey: 'k_test', loginUrl })
 * const { url, close } = await konnec.listen(4003)
 * konnec.inject({ kind: 'status', status: 503, times: 1, on: 'generate-token' })
 * // ... the app retries once ...
 * expect(konnec.calls['generate-token']).toBe(2)
 * expect(konnec.responses.map((r) => r.status)).toEqual([201, 503, 200])
 * expect(konnec.issued.size).toBe(1)
 * ```
 */
export function konnecSimulator(options: KonnecSimulatorOptions): KonnecSimulator {
  const orgId = requireString('konnec', 'orgId', options.orgId)
  const apiKey = Buffer.from(requireString('konnec', 'apiKey', options.apiKey))
  const loginUrl = requireAbsoluteUrl('konnec', 'loginUrl', options.loginUrl).href
  const now = options.now ?? Date.now
  const events: SimulatorEvent[] = []
  const users = new Map<string, KonnecUser>()
  /** Unspent refresh tokens: who generate-token issued each for, and when (ms). */
  const refreshTokens = new Map<string, { username: string; issuedAt: number }>()
  const calls: Record<KonnecApiRoute, number> = { update: 0, 'generate-token': 0 }
  const faults = new FaultQueue()
  const requests: string[] = []
  const responses: KonnecResponse[] = []
  const issued = new Set<string>()

  function error(status: number, code: string, message: string): Answer {
    return { status, body: { error: { code, message }, statusCode: status } }
  }

  async function api(ctx: SimulatorContext, match: RegExpExecArray): Promise<void> {
    const action = match[3] as KonnecApiRoute
    calls[action] += 1
    const wire = new ApiWire(ctx.res, action, ctx.req.url ?? '')
    responses.push(wire.record)
    let pathOrg: string
    let username: string
    try {
      pathOrg = decodeURIComponent(match[1] ?? '')
      username = decodeURIComponent(match[2] ?? '')
    } catch {
      return deliver(wire, error(400, 'bad_request', 'The path is not correctly encoded.'))
    }
    if (ctx.method !== 'POST') {
      ctx.res.setHeader('Allow', 'POST')
      return deliver(wire, error(405, 'method_not_allowed', 'Use POST.'))
    }
    const fault = faults.take(action)
    wire.fault = fault?.kind
    switch (fault?.kind) {
      case 'reset':
        return wire.reset()
      case 'hang':
        return
      case 'status':
        return deliver(
          wire,
          error(fault.status, 'injected_fault', `Injected status ${fault.status}.`),
        )
      case 'redirect':
        return wire.send(fault.status ?? 302, {
          Location: fault.location,
          'Cache-Control': 'no-store',
        })
      case 'malformed':
        return wire.text(200, 'application/json; charset=utf-8', MALFORMED[action])
      case 'endless':
        return wire.stream(200, {}, undefined)
      case 'announce':
        return wire.headersOnly(200, { 'Content-Length': fault.contentLength })
      case 'latency':
        if (!(await delay(ctx, fault.ms))) return
    }
    const refusal = checkKonnecCredentials(ctx.req.headers, pathOrg, { orgId, apiKey })
    if (refusal) {
      events.push({
        type: 'refused',
        vendor: 'konnec',
        at: now(),
        code: refusal.code,
        detail: refusal.message,
      })
      return deliver(wire, error(refusal.status, refusal.code, refusal.message), fault)
    }
    const answer =
      action === 'update' ? await update(ctx, username) : generateToken(username, fault)
    if (!wire.gone) deliver(wire, answer, fault)
  }

  /** Writes a served answer, reshaped by the fault that hit the call, if it reshapes answers. */
  function deliver(wire: ApiWire, answer: Answer, fault?: KonnecFault): void {
    const { status, token } = answer
    if (fault?.kind === 'body-size') {
      const padded = padJson(JSON.stringify(answer.body), fault.bytes)
      if (padded) {
        const length = fault.contentLength === false ? {} : { 'Content-Length': padded.length }
        wire.stream(status, length, padded)
      } else {
        const message = `The answer is longer than the ${fault.bytes} bytes injected.`
        wire.json(500, error(500, 'injected_fault_too_small', message).body)
      }
    } else if (token !== undefined && fault?.kind === 'plain-token') {
      wire.text(status, fault.contentType ?? 'application/json; charset=utf-8', token)
    } else if (token !== undefined && fault?.kind === 'unquoted') {
      wire.text(status, 'application/json; charset=utf-8', `{"refreshToken": ${token}}`)
    } else if (token !== undefined && fault?.kind === 'token-field') {
      wire.json(status, { [fault.field]: token })
    } else {
      wire.json(status, answer.body)
    }
  }

  async function update(ctx: SimulatorContext, username: string): Promise<Answer> {
    if (!/^application\/json\b/i.test(ctx.req.headers['content-type'] ?? '')) {
      return error(415, 'unsupported_media_type', 'Send Content-Type: application/json.')
    }
    let body: unknown
    try {
      body = await readJsonBody(ctx.req)
    } catch (err) {
      if (err instanceof BodyError) return error(err.status, err.code, err.message)
      throw err
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return error(400, 'bad_request', 'The body must be a JSON object { name, role, picture }.')
    }
    const { name, role, picture } = body as Record<string, unknown>
    for (const [field, value] of Object.entries({ name, role, picture })) {
      if (value !== undefined && value !== null && typeof value !== 'string') {
        return error(400, 'bad_request', `"${field}" must be a string.`)
      }
    }
    const existing = users.get(username)
    const user: KonnecUser = {
      username,
      ...(typeof name === 'string' ? { name } : existing?.name ? { name: existing.name } : {}),
      role: typeof role === 'string' && role !== '' ? role : (existing?.role ?? 'USER'),
      ...(typeof picture === 'string'
        ? { picture }
        : existing?.picture
          ? { picture: existing.picture }
          : {}),
    }
    users.set(username, user)
    return { status: existing ? 200 : 201, body: { user, created: !existing } }
  }

  function generateToken(username: string, fault: KonnecFault | undefined): Answer {
    if (!users.has(username)) {
      return error(404, 'user_not_found', 'No user with this username in the organization.')
    }
    // A bare token starts with letters, so V8's JSON.parse message quotes a short one whole.
    const refreshToken =
      fault?.kind === 'plain-token'
        ? `rt_${randomBytes(fault.tokenBytes ?? 32).toString('base64url')}`
        : randomBytes(32).toString('base64url')
    refreshTokens.set(refreshToken, { username, issuedAt: now() })
    issued.add(refreshToken)
    return { status: 200, body: { refreshToken }, token: refreshToken }
  }

  function app(ctx: SimulatorContext): void {
    allowMethods(ctx, 'GET')
    const token = queryParam(ctx.url, 'refresh-token')
    if (token === undefined) {
      sendHtml(
        ctx.res,
        200,
        page({
          vendor: 'konnec',
          title: 'Welcome',
          body: html`<h1>Konnec</h1>
<p>Your organization signs you in with its own account.</p>
<p><a class="button" id="login" href="${loginUrl}">Log in</a></p>`,
        }),
      )
      return
    }
    const issue = refreshTokens.get(token)
    if (issue === undefined) {
      throw new Refusal(
        401,
        'invalid_refresh_token',
        'This sign-in link is invalid or has already been used. Go back to your organization and log in again.',
      )
    }
    refreshTokens.delete(token)
    const { username } = issue
    const known = users.get(username)
    const user = known ?? { username, role: 'USER' }
    const received = signInReceived(user, issue.issuedAt, known !== undefined)
    events.push({
      type: 'signed-in',
      vendor: 'konnec',
      at: now(),
      sub: username,
      ...(username.includes('@') ? { email: username } : {}),
      claims: { ...user },
    })
    sendHtml(
      ctx.res,
      200,
      page({
        vendor: 'konnec',
        title: 'Home',
        state: 'signed-in',
        email: username,
        body: html`<h1>Signed in to Konnec as ${username}</h1>
<p>${user.name ?? username} · ${user.role}</p>
<p>Konnec knows you by your username only: it never receives an email. If the username looks like
an email, the app chose it as the username (the @sso demo does).</p>
${receivedPanel('konnec', received, { href: appHome(loginUrl) })}`,
      }),
    )
  }

  /**
   * The panel of a sign-in: Konnec's credential is no JWT but a refresh token it issued itself,
   * so the "claims" are the profile the update API last set, and each check is one this
   * simulator ran on the API calls and the exchange (an API call that fails them stores nothing).
   */
  function signInReceived(user: KonnecUser, issuedAt: number, exists: boolean): Received {
    const at = now()
    const age = Math.max(0, Math.round((at - issuedAt) / 1000))
    return {
      parameter: 'query parameter refresh-token',
      algorithm:
        'none: not a JWT, an opaque one-time refresh token Konnec issued itself (generate-token)',
      shape: '<refresh token removed>',
      claims: { ...user },
      lifetime: 'one use; spent by this sign-in',
      now: Math.floor(at / 1000),
      checks: [
        passed('x-api-key', 'the update and generate-token calls carried the organization API key'),
        passed(
          'x-org-id',
          `the update and generate-token calls named organization ${orgId}, as their path did`,
        ),
        passed('issued', `by generate-token for ${user.username}, ${age} s before this sign-in`),
        passed('one use', 'the refresh token had not been used; it is now spent'),
        exists
          ? passed('user', `${user.username} exists (set by the update API)`)
          : { name: 'user', status: 'fail', detail: `${user.username} is not a Konnec user` },
      ],
      notes: [
        'The claims are the profile the app last sent to the update API (name, role, picture); the refresh token carries none.',
      ],
    }
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    const match = API_PATH.exec(ctx.path)
    if (match) return api(ctx, match)
    if (ctx.path === '/') return app(ctx)
    ctx.notFound()
  }

  const core = createSimulatorCore({
    ...options,
    vendor: 'konnec',
    events,
    route,
    observe(req) {
      requests.push(req.url ?? '')
    },
  })
  return {
    ...core,
    vendor: 'konnec',
    get calls() {
      return { ...calls }
    },
    get users() {
      return users
    },
    get requests() {
      return requests
    },
    get responses() {
      return responses
    },
    get issued() {
      return issued
    },
    inject(spec: KonnecFaultSpec): void {
      faults.add(spec)
    },
    clearFaults(): void {
      faults.clear()
    },
    clearRecords(): void {
      requests.length = 0
      responses.length = 0
      issued.clear()
      calls.update = 0
      calls['generate-token'] = 0
    },
  }
}

/** The cut-off bodies of the `malformed` fault. */
const MALFORMED: Record<KonnecApiRoute, string> = {
  update: '{"user": {"username": ',
  'generate-token': '{"refreshToken": "',
}

/** Waits `ms`, unless the client goes away first (then resolves false, and the timer is gone). */
function delay(ctx: SimulatorContext, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ctx.res.off('close', onClose)
      resolve(true)
    }, ms)
    const onClose = () => {
      clearTimeout(timer)
      resolve(false)
    }
    ctx.res.once('close', onClose)
  })
}
