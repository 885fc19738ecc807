// The development inspector (`GET {basePath}/_inspect`): what each mounted vendor would receive
// for the signed-in user, found by running each route as a dry run, with every signature and
// signed value removed, so the page never holds a usable token. Off unless enabled; not mounted
// in production unless forced; loopback clients only by default.
import { isSsoError, SsoError } from './errors'
import { escapeHtml, htmlPage } from './respond'
import { createQueryReader } from './request'
import type {
  MaybePromise,
  SsoRequest,
  SsoUser,
  Vendor,
  VendorContext,
  VendorResult,
  VendorRoute,
} from './types'

/** Options of the inspector (`inspector: true` takes every default). */
export interface InspectorOptions<Req = unknown, Ctx = unknown> {
  /**
   * Who may open it. (default: clients on a loopback address whose request names no proxy hop —
   * no `Forwarded`, `X-Forwarded-For`, `X-Real-IP` or `Via` header; on the Fetch handler, which
   * cannot see the client's address, nobody: pass your own check)
   */
  allow?: (req: Req, context: Ctx) => MaybePromise<boolean>
  /**
   * Serve it while `NODE_ENV=production` (or where the environment cannot be read). It shows
   * your vendors' configuration and every user's claims: never on a public deployment.
   * (default: `false`: in production the inspector is not mounted at all)
   */
  dangerouslyEnableInProduction?: boolean
}

/** The inspector's path, relative to `basePath`. */
export const INSPECT_PATH = '/_inspect'
/** Claims that change what a user may do at the vendor: flagged whenever they are sent. */
const PRIVILEGED = ['role', 'custom_role_id', 'admin', 'moderator', 'groups', 'add_groups']
/** A token sent by redirect or form outlives its one use: over this, the page warns. */
const LONG_REDIRECT_LIFETIME = 10 * 60
const LONG_LIFETIME = 24 * 60 * 60
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'via']
const JWT = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]+$/
/** A value that may be a signature or a signed credential (HMAC hex, Base64 payloads). */
const OPAQUE = /^[A-Za-z0-9+/=_-]{24,}$/

/** What the inspector shows of one token: decoded, without its signature. */
export interface InspectedToken {
  /** Where it travels: a query parameter, a form field, a JSON field. */
  in: string
  header: Record<string, unknown>
  claims: Record<string, unknown>
  /** `exp − iat` in seconds, when both are present. */
  lifetime?: number
}

/** One route's dry run for the signed-in user. */
export interface InspectedRoute {
  vendor: string
  route: string
  method: string
  /** The full path, with `basePath`'s parameters filled in. */
  path: string
  kind: 'browser' | 'api'
  /** `ok`: what would be sent; `refused`: the check that refuses this user; `skipped`: not run. */
  outcome: 'ok' | 'refused' | 'login' | 'skipped'
  /** With `refused`: the error code and the developer message. With `skipped`: why. */
  reason?: { code?: string; message: string }
  /** Where the browser or the page would be sent, with signed values removed. */
  delivery?: {
    kind: VendorResult['kind']
    /** For redirects and forms: the destination's origin and path. */
    destination?: string
    /** The destination with every signature and signed value removed. */
    location?: string
    /** Query parameters, form fields or JSON fields, by name. */
    fields: string[]
    /**
     * For redirects, where the route may send the browser: `relative` (this app only),
     * `configured` (the vendor's fixed URL), or the allow-list's entries.
     */
    allowed?: string[]
  }
  tokens: InspectedToken[]
  warnings: string[]
}

export interface Inspection {
  basePath: string
  tenant?: string
  user: { id: string; emailVerified?: boolean } | null
  warnings: string[]
  routes: InspectedRoute[]
}

/** Whether the request comes from this machine, without a proxy in between. */
export function isLoopbackClient(request: SsoRequest): boolean {
  return isLocalClient({ get: (name) => request.header(name) ?? null }, request.clientAddress)
}

/**
 * The inspector's default rule, for a Fetch handler's `allow` where the runtime can tell the
 * socket's peer (Hono on Node: `getConnInfo(c).remote.address`; Bun: `server.requestIP(req)`;
 * Deno: `info.remoteAddr.hostname`): the address is a loopback one and the request names no
 * proxy hop (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`, `Via`; behind a proxy the peer is the
 * proxy). No address is `false`.
 *
 * @example
 * inspector: { allow: (req, c) => isLocalClient(req.headers, getConnInfo(c).remote.address) }
 */
export function isLocalClient(
  headers: { get(name: string): string | null },
  address: string | undefined,
): boolean {
  if (PROXY_HEADERS.some((name) => headers.get(name) !== null)) return false
  if (address === undefined) return false
  return (
    address === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address)
  )
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/**
 * One value as the inspector may show it: a JWT without its signature (and decoded), an opaque
 * signed value replaced by its length, anything else as it is.
 */
function redact(value: string, where: string, tokens: InspectedToken[]): string {
  if (JWT.test(value)) {
    const [h, p] = value.split('.') as [string, string]
    const header = decodeSegment(h)
    const claims = decodeSegment(p)
    if (header && claims) {
      const token: InspectedToken = { in: where, header, claims }
      if (typeof claims.exp === 'number' && typeof claims.iat === 'number') {
        token.lifetime = claims.exp - claims.iat
      }
      tokens.push(token)
      return `${h}.${p}.SIGNATURE-REMOVED`
    }
  }
  return OPAQUE.test(value) ? `[signed value removed: ${value.length} characters]` : value
}

function describeResult(result: VendorResult, entry: InspectedRoute): void {
  const tokens = entry.tokens
  if (result.kind === 'redirect') {
    let url: URL
    try {
      url = new URL(result.location, 'http://relative.invalid')
    } catch {
      entry.delivery = { kind: 'redirect', fields: [] }
      return
    }
    const relative = url.origin === 'http://relative.invalid'
    const fields = [...url.searchParams.keys()]
    for (const [name, value] of [...url.searchParams]) {
      url.searchParams.set(name, redact(value, `query parameter ${name}`, tokens))
    }
    if (url.hash) url.hash = redact(url.hash.slice(1), 'fragment', tokens)
    const location = relative ? `${url.pathname}${url.search}${url.hash}` : url.href
    entry.delivery = {
      kind: 'redirect',
      destination: relative ? url.pathname : `${url.origin}${url.pathname}`,
      location,
      fields,
      allowed: typeof result.allow === 'object' ? [...result.allow.entries] : [result.allow],
    }
    if (url.protocol === 'http:' && !relative) {
      entry.warnings.push(
        `The destination ${url.origin} is http: (a local simulator is fine; a vendor needs https).`,
      )
    }
  } else if (result.kind === 'form') {
    for (const [name, value] of Object.entries(result.fields)) {
      redact(value, `form field ${name}`, tokens)
    }
    const action = new URL(result.action)
    entry.delivery = {
      kind: 'form',
      destination: `${action.origin}${action.pathname}`,
      fields: Object.keys(result.fields),
    }
  } else if (result.kind === 'json') {
    const body = result.body
    const fields =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? Object.entries(body as Record<string, unknown>)
        : []
    for (const [name, value] of fields) {
      if (typeof value === 'string') redact(value, `JSON field ${name}`, tokens)
    }
    entry.delivery = { kind: 'json', fields: fields.map(([name]) => name) }
  } else {
    entry.delivery = { kind: result.kind, fields: [] }
  }
  const viaUrl = result.kind === 'redirect'
  for (const token of tokens) {
    const names = PRIVILEGED.filter((name) => token.claims[name] !== undefined)
    if (names.length) {
      entry.warnings.push(
        `Privileged claims are sent (${names.join(', ')}): they change what the user may do at the vendor.`,
      )
    }
    const limit = viaUrl ? LONG_REDIRECT_LIFETIME : LONG_LIFETIME
    if (token.lifetime !== undefined && token.lifetime > limit) {
      entry.warnings.push(
        `The token lives ${token.lifetime} s${viaUrl ? ' and travels in a URL' : ''}: keep it as short as the vendor allows.`,
      )
    }
  }
  if (result.kind === 'redirect' && typeof result.allow === 'object') {
    const wild = result.allow.entries.filter((host) => host.startsWith('*.'))
    if (wild.length) {
      entry.warnings.push(
        `The allow-list has wildcards (${wild.join(', ')}): any customer of the vendor on those hosts may receive this user's token.`,
      )
    }
  }
}

/** A vendor route's path under `basePath`, with its parameters (e.g. the tenant) filled in. */
function fullPath(basePath: string, path: string, params: Readonly<Record<string, string>>) {
  return `${basePath}${path}`.replace(/:([A-Za-z_$][A-Za-z0-9_$]*)/g, (whole, name: string) =>
    params[name] === undefined ? whole : encodeURIComponent(params[name]),
  )
}

/**
 * Runs every route of `vendors` that changes no state, as a dry run for the signed-in user:
 * events suppressed, `onLogout` never called, the same-origin rule treated as met (the
 * inspector's own page is not the embed asking). `preview` names one route and its query.
 */
export async function inspect(
  ctx: VendorContext,
  vendors: readonly Vendor[],
  settings: { basePath: string; hasLoginUrl: boolean; tenant?: string },
): Promise<Inspection> {
  let user: SsoUser | null = null
  let userError: SsoError | undefined
  try {
    user = await ctx.user()
  } catch (error) {
    userError = isSsoError(error)
      ? error
      : new SsoError('ERR_SSO_INTERNAL', 'getUser failed.', { cause: error })
  }
  const previewName = ctx.query.get('preview', 256)
  const previewQuery = ctx.query.get('query') ?? ''
  const warnings: string[] = []
  if (!settings.hasLoginUrl) {
    warnings.push(
      'No `loginUrl`: logged-out users get a 401 page instead of your login page and a way back.',
    )
  }
  if (user && user.emailVerified === false) {
    warnings.push(
      'The signed-in user has emailVerified: false: every vendor that links accounts by email refuses them.',
    )
  }
  if (userError) warnings.push(`getUser failed: ${userError.code}.`)
  for (const vendor of vendors) {
    for (const note of vendor.notes ?? []) warnings.push(`${vendor.id}: ${note}`)
  }

  const request: SsoRequest = {
    ...ctx.request,
    method: 'GET',
    // The dry run is a server-side call of the route: no browser, so no cross-site signal.
    header: (name) =>
      name === 'origin' || name.startsWith('sec-fetch-') ? undefined : ctx.request.header(name),
    origin: ctx.request.origin,
  }
  const routes: InspectedRoute[] = []
  for (const vendor of vendors) {
    for (const route of vendor.routes as readonly VendorRoute[]) {
      const name = `${vendor.id}/${route.name}`
      const entry: InspectedRoute = {
        vendor: vendor.id,
        route: route.name,
        method: route.method,
        path: fullPath(settings.basePath, route.path, ctx.params),
        kind: route.kind,
        outcome: 'skipped',
        tokens: [],
        warnings: [],
      }
      routes.push(entry)
      if (route.sideEffects) {
        entry.reason = {
          message: 'Changes state (signs out, or calls the vendor): never run by the inspector.',
        }
        continue
      }
      if (!user) {
        entry.outcome = 'login'
        entry.reason = { message: 'Sign in to the app to see what this route would send.' }
        continue
      }
      const search = previewName === name ? previewQuery.replace(/^\?/, '') : ''
      const signedIn = user
      const dry: VendorContext = {
        vendor: vendor.id,
        route: route.name,
        request: { ...request, search, path: route.path },
        params: ctx.params,
        query: createQueryReader(search, vendor.id),
        user: async () => signedIn,
        requireUser: async () => signedIn,
        logout: async () => {
          throw new SsoError('ERR_SSO_INTERNAL', 'The inspector never signs anyone out.')
        },
        emit: () => {},
      }
      try {
        const result = await route.handle(dry)
        entry.outcome = 'ok'
        describeResult(result, entry)
      } catch (error) {
        entry.outcome = 'refused'
        entry.reason = isSsoError(error)
          ? { code: error.code, message: error.message }
          : { code: 'ERR_SSO_INTERNAL', message: 'The route failed unexpectedly.' }
      }
    }
  }
  return {
    basePath: settings.basePath,
    ...(settings.tenant === undefined ? {} : { tenant: settings.tenant }),
    user: user
      ? {
          id: user.id,
          ...(user.emailVerified === undefined ? {} : { emailVerified: user.emailVerified }),
        }
      : null,
    warnings,
    routes,
  }
}

/** What `relative` and `configured` mean, after the code on the page. */
const ALLOWED_WORDS: Record<string, string> = {
  relative: ' (paths of this app only)',
  configured: " (the vendor's configured URL only)",
}

const json = (value: unknown) => escapeHtml(JSON.stringify(value, null, 2))

/** The inspection as an HTML page (under the error pages' CSP: no script, inline styles). */
export function inspectionPage(inspection: Inspection, selfPath: string): string {
  const list = (items: string[]) =>
    items.length ? `<ul>${items.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : ''
  const rows = inspection.routes.map((route) => {
    const name = `${route.vendor}/${route.route}`
    const parts = [
      `<h2><code>${escapeHtml(route.method)} ${escapeHtml(route.path)}</code></h2>`,
      `<p>${escapeHtml(route.vendor)} · ${escapeHtml(route.route)} · ${escapeHtml(route.kind)} · <strong data-outcome="${escapeHtml(route.outcome)}">${escapeHtml(route.outcome)}</strong></p>`,
    ]
    if (route.reason) {
      parts.push(
        `<p>${route.reason.code ? `<code>${escapeHtml(route.reason.code)}</code> ` : ''}${escapeHtml(route.reason.message)}</p>`,
      )
    }
    if (route.delivery) {
      const d = route.delivery
      parts.push(
        `<p>Delivered as <strong>${escapeHtml(d.kind)}</strong>${d.destination ? ` to <code>${escapeHtml(d.destination)}</code>` : ''}${d.fields.length ? `, fields ${d.fields.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}` : ''}.</p>`,
      )
      if (d.allowed) {
        parts.push(
          `<p data-allowed>May redirect to: ${d.allowed.map((a) => `<code>${escapeHtml(a)}</code>`).join(', ')}${ALLOWED_WORDS[d.allowed[0] ?? ''] ?? ''}</p>`,
        )
      }
      if (d.location) {
        parts.push(`<p>Final Location:</p><pre data-location>${escapeHtml(d.location)}</pre>`)
      }
    }
    for (const token of route.tokens) {
      parts.push(
        `<p>Token in ${escapeHtml(token.in)}${token.lifetime === undefined ? '' : `, lifetime ${token.lifetime} s`} (signature removed):</p><pre>${json(token.header)}\n${json(token.claims)}</pre>`,
      )
    }
    parts.push(list(route.warnings))
    if (route.method === 'GET' && route.outcome !== 'skipped') {
      parts.push(
        `<form method="get" action="${escapeHtml(selfPath)}"><input type="hidden" name="preview" value="${escapeHtml(name)}"><label>Preview with the query <input name="query" size="60" placeholder="return_to=%2Fdocs"></label> <button>Preview</button></form>`,
      )
    }
    return `<section>${parts.join('')}</section>`
  })
  const who = inspection.user
    ? `Signed in as user <code>${escapeHtml(inspection.user.id)}</code>.`
    : 'Nobody is signed in: sign in to the app to see what each vendor would receive.'
  return htmlPage(
    'SSO inspector',
    `<h1>SSO inspector</h1><p>Development only. Tokens are shown decoded with their signatures removed; nothing here can sign anyone in.</p><p>Mounted at <code>${escapeHtml(inspection.basePath)}</code>${inspection.tenant === undefined ? '' : ` for tenant <code>${escapeHtml(inspection.tenant)}</code>`}. ${who}</p>${list(inspection.warnings)}${rows.join('')}`,
  )
}
