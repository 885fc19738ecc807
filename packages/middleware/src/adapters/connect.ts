import type { IncomingMessage, ServerResponse } from 'node:http'
import { createCore } from '../core/engine'
import { SsoError } from '../core/errors'
import { splitTarget } from '../core/request'
import { errorOutcome } from '../core/respond'
import type { CoreOutcome, SsoOptions, SsoRequest } from '../core/types'

/** A Connect/Express middleware, typed against `node:http`. */
export interface SsoMiddleware<Req extends IncomingMessage = IncomingMessage> {
  (req: Req, res: ServerResponse, next: (err?: unknown) => void): void
  /** Resolves once every vendor's keys are imported; rejects with ERR_SSO_CONFIG on a bad key. */
  readonly ready: Promise<void>
  /** With `tenants`: forget one tenant's vendors; its next request resolves them again (rotation). */
  invalidate(tenant: string): void
  /** With `tenants`: forget every tenant's vendors. */
  invalidateAll(): void
}

function looksLikeRequest(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    'headers' in value &&
    'method' in value &&
    typeof (value as { on?: unknown }).on === 'function'
  )
}

/**
 * Mounts every vendor's routes under `basePath` as Connect/Express middleware. Requests outside
 * `basePath` cost one string comparison and go to `next()`.
 *
 * @example
 * app.use(ssoMiddleware({
 *   getUser: (req) => req.session?.user ?? null,
 *   loginUrl: '/login',
 *   vendors: [komo({ secret: process.env.KOMO_SSO_SECRET! })],
 * }))
 */
export function ssoMiddleware<Req extends IncomingMessage = IncomingMessage>(
  options: SsoOptions<Req>,
): SsoMiddleware<Req> {
  // Detect `app.use(ssoMiddleware)`: Express then calls us with (req, res, next).
  if (looksLikeRequest(options)) {
    throw new SsoError(
      'ERR_SSO_CONFIG',
      'ssoMiddleware was passed to app.use() without being called. Use app.use(ssoMiddleware({ getUser, vendors: [...] })).',
    )
  }
  const core = createCore(options)
  const { prefix, expose, nextOnError } = core

  const middleware = function ssoMiddleware(
    req: Req,
    res: ServerResponse,
    next: (err?: unknown) => void,
  ) {
    const url = req.url || '/'
    if (
      !url.startsWith(prefix) &&
      (url.charCodeAt(0) === 0x2f || !splitTarget(url).path.startsWith(prefix))
    ) {
      next()
      return
    }
    const { path, search } = splitTarget(url)
    const original = (req as { originalUrl?: string }).originalUrl
    const originalTarget = original ? splitTarget(original) : { path, search }
    const request: SsoRequest<Req> = {
      method: (req.method || 'GET').toUpperCase(),
      path,
      search,
      raw: req,
      originalPath: originalTarget.search
        ? `${originalTarget.path}?${originalTarget.search}`
        : originalTarget.path,
      header(name) {
        const value = req.headers[name]
        return Array.isArray(value) ? value.join(', ') : value
      },
      get origin() {
        return originOf(req)
      },
      get clientAddress() {
        return req.socket?.remoteAddress
      },
    }
    core
      .handle(request, res)
      .then(
        (outcome) => {
          if (outcome === null) next()
          else write(req, res, next, outcome)
        },
        (error: unknown) => {
          // The core turns every failure into an outcome; this is the last line of defence.
          if (nextOnError) next(error)
          else write(req, res, next, errorOutcome(error, 'html', expose))
        },
      )
      .catch(() => {
        // `next` itself threw (the app's own handler): nothing is left to answer with.
        if (!res.headersSent) res.statusCode = 500
        res.end()
      })
  } as SsoMiddleware<Req>
  Object.defineProperties(middleware, {
    ready: { value: core.ready },
    invalidate: { value: core.invalidate },
    invalidateAll: { value: core.invalidateAll },
  })
  return middleware
}

/**
 * The origin the request was sent to: Express's `req.protocol` (it honours `trust proxy`), else
 * HTTP/2's `:scheme` or the socket's TLS; `Host`, else HTTP/2's `:authority`.
 */
function originOf(req: IncomingMessage): string | undefined {
  const headers = req.headers
  const host = headers.host ?? headers[':authority']
  if (typeof host !== 'string' || host.length === 0) return undefined
  const express = (req as { protocol?: unknown }).protocol
  const scheme =
    typeof express === 'string'
      ? express
      : typeof headers[':scheme'] === 'string'
        ? headers[':scheme']
        : (req.socket as { encrypted?: boolean } | null)?.encrypted
          ? 'https'
          : 'http'
  try {
    return new URL(`${scheme}://${host}`).origin
  } catch {
    return undefined
  }
}

function write(
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
  outcome: CoreOutcome,
): void {
  if (outcome.type === 'error') {
    next(outcome.error)
    return
  }
  if (res.headersSent) {
    res.end()
    return
  }
  try {
    res.statusCode = outcome.status
    for (const [name, value] of outcome.headers) res.setHeader(name, value)
    res.end(req.method === 'HEAD' ? undefined : outcome.body)
  } catch {
    // respond.ts validates what it writes; should a write still throw, answer a bare 500
    // rather than leave the request hanging or the error unhandled.
    if (res.headersSent) {
      res.destroy()
      return
    }
    try {
      for (const name of res.getHeaderNames()) res.removeHeader(name)
      res.statusCode = 500
      res.setHeader('Cache-Control', 'no-store')
      res.setHeader('Pragma', 'no-cache')
      res.setHeader('Referrer-Policy', 'no-referrer')
      res.setHeader('X-Content-Type-Options', 'nosniff')
      res.setHeader('Content-Type', 'text/plain; charset=utf-8')
      res.end('Internal Server Error')
    } catch {
      res.destroy()
    }
  }
}
