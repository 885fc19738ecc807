import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SimulatorVendor } from '../vendors'
import type { SimulatorEvent } from './events'
import { listen } from './listen'
import type { ListeningSimulator } from './listen'
import { trimPublicUrl } from './options'
import { refusalPage } from './page'
import { sendHtml } from './respond'
import { safeHost } from './urls'

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

interface CoreOptions extends SimulatorBaseOptions {
  vendor: SimulatorVendor
  events: SimulatorEvent[]
  route(ctx: SimulatorContext): Promise<void> | void
  /** Sees every request first, before the URL is parsed or any route runs. */
  observe?(req: IncomingMessage, res: ServerResponse): void
}

/** Builds the shared part of a simulator: request context, error handling, `listen`. */
export function createSimulatorCore(options: CoreOptions): Simulator {
  const { vendor, events, route } = options
  const publicUrl = options.publicUrl === undefined ? undefined : trimPublicUrl(options.publicUrl)

  function handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void {
    options.observe?.(req, res)
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

  return {
    vendor,
    handle,
    listen: (port = 0, host = '127.0.0.1') => listen((req, res) => handle(req, res), port, host),
    events,
  }
}
