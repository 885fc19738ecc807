import { randomBytes } from 'node:crypto'
import { Refusal, createSimulatorCore } from '../../server/core'
import type { Simulator, SimulatorBaseOptions, SimulatorContext } from '../../server/core'
import type { SimulatorEvent } from '../../server/events'
import { html } from '../../server/html'
import { requireAbsoluteUrl, requireString } from '../../server/options'
import { page } from '../../server/page'
import { BodyError, allowMethods, queryParam, readJsonBody } from '../../server/request'
import { sendHtml, sendJson } from '../../server/respond'
import { checkKonnecCredentials } from './verify'

/**
 * The two Konnec API routes the app calls.
 *
 * @example
 * ```ts
 * const route: KonnecApiRoute = 'generate-token'
 * konnec.calls[route] // 1
 * ```
 */
export type KonnecApiRoute = 'update' | 'generate-token'

/**
 * What goes wrong on an API call.
 *
 * @example
 * ```ts
 * const fault: KonnecFault = { kind: 'latency', ms: 6000 }
 * ```
 */
export type KonnecFault =
  /** The answer is delayed by `ms`, then the call is served normally. */
  | { kind: 'latency'; ms: number }
  /** The call is answered with this status and a JSON error body instead of being served. */
  | { kind: 'status'; status: number }
  /** The connection is destroyed before any answer (the client sees ECONNRESET). */
  | { kind: 'reset' }
  /** A 200 whose `application/json` body is cut off mid-object. */
  | { kind: 'malformed' }

/**
 * When a fault applies.
 *
 * @example
 * ```ts
 * const when: KonnecFaultOptions = { times: 1, on: 'update' }
 * ```
 */
export interface KonnecFaultOptions {
  /** Hit this many calls, then the fault clears itself. (default: until `clearFaults()`) */
  times?: number
  /**
   * The fraction of matching calls hit, 0..1, deterministically: the n-th matching call is hit
   * when `floor(n * rate)` grows, so `0.5` hits the 2nd, 4th, 6th... (default: `1`)
   */
  rate?: number
  /** Which API route it applies to. (default: `'any'`) */
  on?: KonnecApiRoute | 'any'
}

/**
 * A fault and when it applies, for `inject`.
 *
 * @example
 * ```ts
 * konnec.inject({ kind: 'status', status: 503, rate: 0.5, on: 'generate-token' })
 * ```
 */
export type KonnecFaultSpec = KonnecFault & KonnecFaultOptions

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
 *
 * @example
 * ```ts
 * const options: KonnecSimulatorOptions = { orgId: 'acme', apiKey, loginUrl }
 * ```
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
  /** Makes API calls misbehave (latency, a status, a reset, a malformed body). */
  inject(fault: KonnecFaultSpec): void
  /** Removes every injected fault. */
  clearFaults(): void
}

interface ActiveFault {
  fault: KonnecFault
  on: KonnecApiRoute | 'any'
  rate: number
  remaining: number
  seen: number
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
 * ```
 */
export function konnecSimulator(options: KonnecSimulatorOptions): KonnecSimulator {
  const orgId = requireString('konnec', 'orgId', options.orgId)
  const apiKey = Buffer.from(requireString('konnec', 'apiKey', options.apiKey))
  const loginUrl = requireAbsoluteUrl('konnec', 'loginUrl', options.loginUrl).href
  const now = options.now ?? Date.now
  const events: SimulatorEvent[] = []
  const users = new Map<string, KonnecUser>()
  const refreshTokens = new Map<string, string>()
  const calls: Record<KonnecApiRoute, number> = { update: 0, 'generate-token': 0 }
  let faults: ActiveFault[] = []

  function takeFault(apiRoute: KonnecApiRoute): KonnecFault | undefined {
    for (const active of faults) {
      if (active.on !== 'any' && active.on !== apiRoute) continue
      active.seen += 1
      if (Math.floor(active.seen * active.rate) === Math.floor((active.seen - 1) * active.rate))
        continue
      active.remaining -= 1
      if (active.remaining <= 0) faults = faults.filter((f) => f !== active)
      return active.fault
    }
    return undefined
  }

  function apiError(
    ctx: SimulatorContext,
    status: number,
    code: string,
    message: string,
    record = false,
  ) {
    if (record) events.push({ type: 'refused', vendor: 'konnec', at: now(), code, detail: message })
    sendJson(ctx.res, status, { error: { code, message }, statusCode: status })
  }

  function checkCredentials(ctx: SimulatorContext, pathOrg: string): boolean {
    const refusal = checkKonnecCredentials(ctx.req.headers, pathOrg, { orgId, apiKey })
    if (refusal) apiError(ctx, refusal.status, refusal.code, refusal.message, true)
    return refusal === undefined
  }

  async function api(ctx: SimulatorContext, match: RegExpExecArray): Promise<void> {
    const apiRoute = match[3] as KonnecApiRoute
    calls[apiRoute] += 1
    let pathOrg: string
    let username: string
    try {
      pathOrg = decodeURIComponent(match[1] ?? '')
      username = decodeURIComponent(match[2] ?? '')
    } catch {
      return apiError(ctx, 400, 'bad_request', 'The path is not correctly encoded.')
    }
    if (ctx.method !== 'POST') {
      ctx.res.setHeader('Allow', 'POST')
      return apiError(ctx, 405, 'method_not_allowed', 'Use POST.')
    }
    const fault = takeFault(apiRoute)
    if (fault?.kind === 'reset') {
      ctx.req.socket.destroy()
      return
    }
    if (fault?.kind === 'status') {
      return apiError(ctx, fault.status, 'injected_fault', `Injected status ${fault.status}.`)
    }
    if (fault?.kind === 'malformed') {
      ctx.res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' })
      ctx.res.end(apiRoute === 'generate-token' ? '{"refreshToken": "' : '{"user": {"username": ')
      return
    }
    if (fault?.kind === 'latency') {
      const waited = await delay(ctx, fault.ms)
      if (!waited) return
    }
    if (!checkCredentials(ctx, pathOrg)) return
    if (apiRoute === 'update') return update(ctx, username)
    return generateToken(ctx, username)
  }

  async function update(ctx: SimulatorContext, username: string): Promise<void> {
    if (!/^application\/json\b/i.test(ctx.req.headers['content-type'] ?? '')) {
      return apiError(ctx, 415, 'unsupported_media_type', 'Send Content-Type: application/json.')
    }
    let body: unknown
    try {
      body = await readJsonBody(ctx.req)
    } catch (err) {
      if (err instanceof BodyError) return apiError(ctx, err.status, err.code, err.message)
      throw err
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return apiError(
        ctx,
        400,
        'bad_request',
        'The body must be a JSON object { name, role, picture }.',
      )
    }
    const { name, role, picture } = body as Record<string, unknown>
    for (const [field, value] of Object.entries({ name, role, picture })) {
      if (value !== undefined && value !== null && typeof value !== 'string') {
        return apiError(ctx, 400, 'bad_request', `"${field}" must be a string.`)
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
    sendJson(ctx.res, existing ? 200 : 201, { user, created: !existing })
  }

  function generateToken(ctx: SimulatorContext, username: string): void {
    if (!users.has(username)) {
      apiError(ctx, 404, 'user_not_found', 'No user with this username in the organization.')
      return
    }
    const refreshToken = randomBytes(32).toString('base64url')
    refreshTokens.set(refreshToken, username)
    sendJson(ctx.res, 200, { refreshToken })
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
    const username = refreshTokens.get(token)
    if (username === undefined) {
      throw new Refusal(
        401,
        'invalid_refresh_token',
        'This sign-in link is invalid or has already been used. Go back to your organization and log in again.',
      )
    }
    refreshTokens.delete(token)
    const user = users.get(username) ?? { username, role: 'USER' }
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
an email, the app chose it as the username (the @sso demo does).</p>`,
      }),
    )
  }

  async function route(ctx: SimulatorContext): Promise<void> {
    const match = API_PATH.exec(ctx.path)
    if (match) return api(ctx, match)
    if (ctx.path === '/') return app(ctx)
    ctx.notFound()
  }

  const core = createSimulatorCore({ ...options, vendor: 'konnec', events, route })
  return {
    ...core,
    vendor: 'konnec',
    get calls() {
      return { ...calls }
    },
    get users() {
      return users
    },
    inject(spec: KonnecFaultSpec): void {
      faults.push(normaliseFault(spec))
    },
    clearFaults(): void {
      faults = []
    },
  }
}

function normaliseFault(spec: KonnecFaultSpec): ActiveFault {
  const { times, rate = 1, on = 'any' } = spec
  let fault: KonnecFault
  switch (spec.kind) {
    case 'latency':
      if (!Number.isFinite(spec.ms) || spec.ms < 0) {
        throw new RangeError('konnec inject: latency `ms` must be a number >= 0')
      }
      fault = { kind: 'latency', ms: spec.ms }
      break
    case 'status':
      if (!Number.isInteger(spec.status) || spec.status < 200 || spec.status > 599) {
        throw new RangeError('konnec inject: `status` must be an HTTP status between 200 and 599')
      }
      fault = { kind: 'status', status: spec.status }
      break
    case 'reset':
    case 'malformed':
      fault = { kind: spec.kind }
      break
    default:
      throw new TypeError(
        `konnec inject: unknown fault kind ${JSON.stringify((spec as { kind: unknown }).kind)}; use latency, status, reset or malformed`,
      )
  }
  if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
    throw new RangeError('konnec inject: `times` must be a whole number >= 1')
  }
  if (!(rate >= 0 && rate <= 1))
    throw new RangeError('konnec inject: `rate` must be between 0 and 1')
  if (on !== 'any' && on !== 'update' && on !== 'generate-token') {
    throw new TypeError("konnec inject: `on` must be 'update', 'generate-token' or 'any'")
  }
  return { fault, on, rate, remaining: times ?? Number.POSITIVE_INFINITY, seen: 0 }
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
