import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * The vendors a simulator can stand in for.
 *
 * @example
 * ```ts
 * const vendor: SimulatorVendor = sim.vendor // 'kustomer'
 * ```
 */
export type SimulatorVendor = 'komo' | 'kustomer' | 'konnec' | 'comm100' | 'bettermode'

/**
 * One sign-in or refusal a simulator saw. Tests assert on these instead of scraping pages.
 *
 * @example
 * ```ts
 * expect(sim.events.at(-1)).toMatchObject({ type: 'refused', code: 'expired' })
 * ```
 */
export interface SimulatorEvent {
  readonly type: 'signed-in' | 'refused'
  readonly vendor: SimulatorVendor
  /** When it happened, in ms, from the simulator's clock (`now`). */
  readonly at: number
  /** The signed-in email (or, for Konnec, the username when it is an email). */
  readonly email?: string
  /** The user id the vendor keys on (`sub`; the username for Konnec). */
  readonly sub?: string
  /** The refusal code (the same one the page shows in `data-code`). */
  readonly code?: string
  /** A human-readable refusal reason, or what happened on sign-in (e.g. `created`). */
  readonly detail?: string
  /** The verified token claims (or the Konnec user record). */
  readonly claims?: Readonly<Record<string, unknown>>
}

/**
 * A running simulator server.
 *
 * @example
 * ```ts
 * const { url, close }: ListeningSimulator = await sim.listen()
 * afterAll(close)
 * ```
 */
export interface ListeningSimulator {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string
  /** Stops listening and closes every open socket (keep-alive ones included). */
  close(): Promise<void>
}

/**
 * The shape every vendor simulator shares.
 *
 * @example
 * ```ts
 * const sim = kustomerSimulator({ secret, loginUrl: 'http://127.0.0.1:3000/sso/kustomer/login' })
 * const { url, close } = await sim.listen()
 * // ... drive the flow, then:
 * expect(sim.events.at(-1)).toMatchObject({ type: 'signed-in', email: 'ada@example.com' })
 * await close()
 * ```
 */
export interface Simulator {
  readonly vendor: SimulatorVendor
  /** Connect-compatible: `(req, res, next?)`. Unknown paths go to `next()` (or a 404 page). */
  handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void
  /** Listen on 127.0.0.1 (default) and a port (default 0 = any); resolves once listening. */
  listen(port?: number, host?: string): Promise<ListeningSimulator>
  /** Sign-ins and refusals seen, newest last. */
  readonly events: readonly SimulatorEvent[]
}

/**
 * Options every simulator takes.
 *
 * @example
 * ```ts
 * kustomerSimulator({ secret, loginUrl, now: () => Date.UTC(2025, 0, 15), publicUrl: 'http://kb.localhost:4001' })
 * ```
 */
export interface SimulatorBaseOptions {
  /**
   * The simulator's own public origin (may include a path prefix when it is mounted under one).
   * (default: `http://${Host header}`)
   */
  publicUrl?: string
  /** The clock, in ms since the epoch; pin it in tests. (default: `Date.now`) */
  now?: () => number
}

/** A refusal a route throws; the core renders it as a vendor-style HTML page. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Whether the refusal is a sign-in outcome worth recording in `events`. */
    readonly record = true,
  ) {
    super(message)
    this.name = 'Refusal'
  }
}

/** What a route gets for one request. */
export interface SimulatorContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly method: string
  /** The request URL, resolved against `origin`; `pathname` is relative to the simulator. */
  readonly url: URL
  readonly path: string
  /** `publicUrl` or `http://${host}`, without a trailing slash. */
  readonly origin: string
  /** Hands the request on (Connect `next()`), or answers a 404 page when standalone. */
  notFound(): void
}

const VENDOR_NAMES: Record<SimulatorVendor, string> = {
  komo: 'Komo',
  kustomer: 'Kustomer',
  konnec: 'Konnec',
  comm100: 'Comm100',
  bettermode: 'Bettermode',
}

/** The vendor's display name. */
export function vendorName(vendor: SimulatorVendor): string {
  return VENDOR_NAMES[vendor]
}

interface CoreOptions extends SimulatorBaseOptions {
  vendor: SimulatorVendor
  events: SimulatorEvent[]
  route(ctx: SimulatorContext): Promise<void> | void
}

/** Builds the shared part of a simulator: request context, error handling, `listen`. */
export function createSimulatorCore(options: CoreOptions): Simulator {
  const { vendor, events, route } = options
  const publicUrl = options.publicUrl === undefined ? undefined : trimPublicUrl(options.publicUrl)

  function handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void {
    const origin = publicUrl ?? `http://${safeHost(req.headers.host)}`
    let url: URL
    try {
      // Resolve only the path and query, so an absolute-form request target can't change origin.
      const target = req.url ?? '/'
      url = new URL(target.startsWith('/') ? target : `/${target}`, 'http://simulator.invalid')
    } catch {
      sendHtml(res, 400, refusalPage(vendor, 400, 'bad_request', 'The request URL is malformed.'))
      return
    }
    const ctx: SimulatorContext = {
      req,
      res,
      method: req.method ?? 'GET',
      url,
      path: url.pathname,
      origin,
      notFound() {
        if (next) next()
        else sendHtml(res, 404, refusalPage(vendor, 404, 'not_found', 'This page does not exist.'))
      },
    }
    if (ctx.method === 'GET' && ctx.path === '/favicon.ico') {
      res.writeHead(204).end()
      return
    }
    const fail = (err: unknown): void => {
      if (err instanceof Refusal) {
        if (err.record) {
          events.push({
            type: 'refused',
            vendor,
            at: (options.now ?? Date.now)(),
            code: err.code,
            detail: err.message,
          })
        }
        if (!res.headersSent)
          sendHtml(res, err.status, refusalPage(vendor, err.status, err.code, err.message))
        return
      }
      if (next) {
        next(err)
        return
      }
      if (!res.headersSent) {
        sendHtml(res, 500, refusalPage(vendor, 500, 'simulator_error', 'The simulator failed.'))
      } else res.destroy()
    }
    try {
      const result = route(ctx)
      if (result) result.catch(fail)
    } catch (err) {
      fail(err)
    }
  }

  async function listen(port = 0, host = '127.0.0.1'): Promise<ListeningSimulator> {
    const server = createServer((req, res) => handle(req, res))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address() as AddressInfo
    const shown =
      host === '0.0.0.0'
        ? '127.0.0.1'
        : host === '::'
          ? '[::1]'
          : host.includes(':')
            ? `[${host}]`
            : host
    return {
      url: `http://${shown}:${address.port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    }
  }

  return { vendor, handle, listen, events }
}

function trimPublicUrl(value: string): string {
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new TypeError(`publicUrl must be an absolute http(s) URL, got ${JSON.stringify(value)}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`publicUrl must be an http(s) URL, got ${JSON.stringify(value)}`)
  }
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '')
}

/** The Host header if it is a plain host[:port], else a harmless stand-in. */
function safeHost(host: string | undefined): string {
  return host && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host) ? host : 'localhost'
}

/**
 * Parses an app URL the simulator links or redirects to; it must be absolute http(s).
 * Thrown at construction, so a bad option fails loudly.
 */
export function requireAbsoluteUrl(vendor: SimulatorVendor, name: string, value: unknown): URL {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(
      `${vendor}Simulator: option \`${name}\` is required (an absolute http(s) URL)`,
    )
  }
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new TypeError(
      `${vendor}Simulator: option \`${name}\` must be an absolute URL such as http://127.0.0.1:3000/sso/${vendor}/login, got ${JSON.stringify(value)}`,
    )
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`${vendor}Simulator: option \`${name}\` must be an http(s) URL`)
  }
  return parsed
}

/** Throws at construction when a required string option is missing. */
export function requireString(vendor: SimulatorVendor, name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${vendor}Simulator: option \`${name}\` must be a non-empty string`)
  }
  return value
}

/** A link target built from an app URL plus query parameters (existing ones are kept). */
export function withParams(base: URL, params: Record<string, string>): string {
  const url = new URL(base)
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  return url.href
}

/**
 * One query parameter: `undefined` when absent; a repeated one is refused, never guessed at.
 */
export function queryParam(url: URL, name: string): string | undefined {
  const values = url.searchParams.getAll(name)
  if (values.length > 1) {
    throw new Refusal(
      400,
      'bad_request',
      `The "${name}" parameter was given more than once.`,
      false,
    )
  }
  return values[0]
}

/** Refuses any method but the allowed ones with a 405. */
export function allowMethods(ctx: SimulatorContext, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) {
    ctx.res.setHeader('Allow', methods.join(', '))
    throw new Refusal(405, 'method_not_allowed', `Use ${methods.join(' or ')} here.`, false)
  }
}

/** Reads a JSON request body (at most `limit` bytes); `undefined` when empty. */
export async function readJsonBody(req: IncomingMessage, limit = 65_536): Promise<unknown> {
  // Mounted behind a body parser (express.json), the stream is already consumed.
  const parsed = (req as IncomingMessage & { body?: unknown }).body
  if (parsed !== undefined && req.readableEnded) return parsed
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > limit) throw new BodyError(413, 'body_too_large', 'The request body is too large.')
    chunks.push(buf)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new BodyError(400, 'bad_json', 'The request body is not valid JSON.')
  }
}

/** A request-body problem on a JSON API route. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'BodyError'
  }
}

/** Reads one cookie from the request. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** HTML that is already safe to embed (built by `html`). */
export interface SafeHtml {
  readonly __html: string
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch)
}

/** Marks a string as HTML that must not be escaped (only for constants). */
export function raw(value: string): SafeHtml {
  return { __html: value }
}

/**
 * Tagged template that escapes every interpolated value unless it is `SafeHtml`; arrays are
 * joined; `null`, `undefined` and `false` render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((value, i) => {
    out += renderValue(value) + (strings[i + 1] ?? '')
  })
  return { __html: out }
}

function renderValue(value: unknown): string {
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) return value.map(renderValue).join('')
  if (typeof value === 'object' && '__html' in value) return String((value as SafeHtml).__html)
  return escapeHtml(String(value))
}

export type PageState = 'page' | 'signed-in' | 'refused'

/** A whole vendor-style page. `data-*` on `<main>` carry the machine-readable outcome. */
export function page(options: {
  vendor: SimulatorVendor
  title: string
  state?: PageState
  code?: string
  email?: string
  body: SafeHtml
}): string {
  const name = vendorName(options.vendor)
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${name} (simulator)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2129}
header{background:#1d2129;color:#fff;padding:.75rem 1.5rem;font-weight:600}
main{max-width:40rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
main[data-state=refused]{border-top:4px solid #c62828}
main[data-state=signed-in]{border-top:4px solid #2e7d32}
a.button{display:inline-block;padding:.5rem 1rem;background:#2962ff;color:#fff;border-radius:4px;text-decoration:none}
code{background:#eef;padding:0 .25rem;border-radius:3px}
</style>
</head>
<body>
<header>${name} <small>(local simulator)</small></header>
<main data-vendor="${options.vendor}" data-state="${options.state ?? 'page'}"${
    options.code ? html` data-code="${options.code}"` : ''
  }${options.email ? html` data-email="${options.email}"` : ''}>
${options.body}
</main>
</body>
</html>
`.__html
}

/** The vendor-style refusal page: a clear reason and a stable `data-code`. */
export function refusalPage(
  vendor: SimulatorVendor,
  status: number,
  code: string,
  message: string,
): string {
  const name = vendorName(vendor)
  return page({
    vendor,
    title: status === 404 ? 'Not found' : 'Sign-in failed',
    state: 'refused',
    code,
    body: html`<h1>${status === 404 ? 'Page not found' : `${name} could not sign you in`}</h1>
<p class="reason" data-code="${code}">${message}</p>
<p>Error code: <code>${code}</code></p>`,
  })
}

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  // Simulator pages are reached with a token in the URL: never cache them or leak the URL.
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; frame-ancestors 'none'; form-action 'self'",
}

/** Sends an HTML page with the simulator's security headers. */
export function sendHtml(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers })
  res.end(body)
}

/** Sends JSON. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  })
  res.end(JSON.stringify(body))
}

/** Sends a 302. */
export function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(302, {
    Location: location,
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    ...headers,
  })
  res.end()
}

/** A relative path that starts with exactly one `/` (not `//` or `/\`) and has no control chars. */
export function isRelativePath(value: string): boolean {
  return (
    value.startsWith('/') &&
    !value.startsWith('//') &&
    !value.startsWith('/\\') &&
    value.length <= 2048 &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    !/[\u0000-\u001f\u007f]/.test(value)
  )
}
