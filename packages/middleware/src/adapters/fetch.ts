import { createCore, type SsoCore } from '../core/engine'
import { isSsoError, SsoError } from '../core/errors'
import { splitTarget } from '../core/request'
import { errorOutcome } from '../core/respond'
import type { CoreOutcome, MaybePromise, SsoOptions, SsoRequest } from '../core/types'

/** What the Fetch handler's `onLogout` gets as `res`: headers added to the Response it returns. */
export interface SsoLogoutResponse {
  /**
   * Added to the handler's Response (e.g. `Set-Cookie` clearing the session). A header the core
   * sets itself (`Cache-Control`, `Location`, the security headers) keeps the core's value.
   */
  readonly headers: Headers
}

/**
 * Options of `ssoHandler`: those of `ssoMiddleware`, with `getUser`, `loginUrl`, `onLogout` and
 * the tenant hooks also receiving the handler's second argument (`context`), and `onLogout`
 * adding headers to the response through `res.headers`.
 */
export interface SsoFetchOptions<Req extends Request = Request, Ctx = undefined>
  extends Omit<SsoOptions<Req, Ctx>, 'onLogout'> {
  /**
   * Runs before the vendors that sign users out redirect back; a returned promise is awaited.
   * Headers set on `res.headers` are added to the Response (clear the session cookie there).
   * (default: none)
   */
  onLogout?: (req: Req, res: SsoLogoutResponse, context: Ctx) => unknown
}

/** The handler's arguments: the request, and the framework's context when `Ctx` names one. */
export type SsoFetchArgs<Req extends Request, Ctx> = undefined extends Ctx
  ? [request: Req, context?: Ctx]
  : [request: Req, context: Ctx]

/** A Fetch API handler: `null` means the request is not under `basePath` (not ours). */
export interface SsoFetchHandler<Req extends Request = Request, Ctx = undefined> {
  (...args: SsoFetchArgs<Req, Ctx>): Promise<Response | null>
  /**
   * Resolves once every vendor's keys are imported; rejects with ERR_SSO_CONFIG on a bad key.
   * With lazy options, reading it builds the handler (calls the options function).
   */
  readonly ready: Promise<void>
  /** With `tenants`: forget one tenant's vendors; its next request resolves them again (rotation). */
  invalidate(tenant: string): void
  /** With `tenants`: forget every tenant's vendors. */
  invalidateAll(): void
}

const WHERE = 'ssoHandler()'

/**
 * Where the request was sent: the scheme of `Request.url` with the `Host` header the browser sent
 * (as the Node adapters do). Some servers build `Request.url` from their own listening address
 * rather than the request (`next start` answers `http://localhost:3000/…` whatever the browser
 * asked for), so the URL's host alone would refuse every same-origin browser. Without a `Host`
 * header (HTTP/2 sends `:authority`, which runtimes put in the URL), the URL's origin.
 */
function originOf(raw: Request): string | undefined {
  let url: URL
  try {
    url = new URL(raw.url)
  } catch {
    return undefined
  }
  const host = raw.headers.get('host')
  if (host) {
    try {
      const origin = new URL(`${url.protocol}//${host}`).origin
      if (origin !== 'null') return origin
    } catch {
      // A Host header that is not a host: the URL's view.
    }
  }
  return url.origin === 'null' ? undefined : url.origin
}

/**
 * The same core behind the Fetch API: Next.js route handlers, Hono, Bun, Deno. With
 * `onError: 'next'`, request-time errors are thrown for the framework's own handler.
 *
 * `options` may be a function (sync or async): it is called and its result checked on the first
 * request (or when `ready` is read), not at import, so a build step such as `next build` needs no
 * secrets. If it throws or the options are invalid, that request and every later one rejects
 * with the same error (ERR_SSO_CONFIG for invalid options): loudly, in the framework's log.
 *
 * A second argument, `context`, is handed to `getUser`, `loginUrl`, `onLogout` and the tenant
 * hooks as their last argument: Hono's `c`, a Next.js route context. Type it with the `Ctx`
 * parameter: `ssoHandler<Request, Context>(…)`.
 *
 * @example
 * const sso = ssoHandler(() => ({ getUser: (req) => userFromCookie(req), vendors: [komo({ secret: process.env.KOMO_SSO_SECRET! })] }))
 * export async function POST(request: Request) {
 *   return (await sso(request)) ?? new Response('Not found', { status: 404 })
 * }
 */
export function ssoHandler<Req extends Request = Request, Ctx = undefined>(
  options: SsoFetchOptions<Req, Ctx> | (() => MaybePromise<SsoFetchOptions<Req, Ctx>>),
): SsoFetchHandler<Req, Ctx> {
  let core: SsoCore<Req> | undefined
  let pending: Promise<SsoCore<Req>> | undefined
  const build = (resolved: SsoFetchOptions<Req, Ctx>) =>
    createCore(resolved as SsoOptions<Req, Ctx>, WHERE)
  const lazy = typeof options === 'function'
  if (!lazy) core = build(options)
  const load = (): Promise<SsoCore<Req>> => {
    pending ??= (async () => {
      let resolved: SsoFetchOptions<Req, Ctx>
      try {
        resolved = await (options as () => MaybePromise<SsoFetchOptions<Req, Ctx>>)()
      } catch (cause) {
        // A factory's own ERR_SSO_CONFIG (a short secret, an unknown option) says it best.
        if (isSsoError(cause)) throw cause
        throw new SsoError('ERR_SSO_CONFIG', `The options function given to ${WHERE} threw.`, {
          cause,
        })
      }
      core = build(resolved)
      return core
    })()
    return pending
  }

  const serve = async (current: SsoCore<Req>, raw: Req, context: unknown) => {
    // Request.url is absolute; splitTarget keeps its path and query only.
    const { path, search } = splitTarget(raw.url)
    if (!path.startsWith(current.prefix)) return null
    const request: SsoRequest<Req> = {
      method: raw.method.toUpperCase(),
      path,
      search,
      raw,
      originalPath: search ? `${path}?${search}` : path,
      header: (name) => raw.headers.get(name) ?? undefined,
      get origin() {
        return originOf(raw)
      },
    }
    let logoutHeaders: Headers | undefined
    const res: SsoLogoutResponse = {
      get headers() {
        logoutHeaders ??= new Headers()
        return logoutHeaders
      },
    }
    let outcome: CoreOutcome | null
    try {
      outcome = await current.handle(request, res, context)
    } catch (error) {
      if (current.nextOnError) throw error
      outcome = errorOutcome(error, 'html', current.expose)
    }
    if (outcome === null) return null
    if (outcome.type === 'error') throw outcome.error
    const body = raw.method === 'HEAD' || outcome.status === 302 ? null : outcome.body
    const response = new Response(body, { status: outcome.status, headers: outcome.headers })
    if (logoutHeaders) {
      for (const [name, value] of logoutHeaders) {
        if (name === 'set-cookie') continue
        if (!response.headers.has(name)) response.headers.set(name, value)
      }
      for (const cookie of logoutHeaders.getSetCookie())
        response.headers.append('set-cookie', cookie)
    }
    return response
  }

  const handler = async function ssoHandler(raw: Req, context?: Ctx): Promise<Response | null> {
    return serve(core ?? (await load()), raw, context)
  } as unknown as SsoFetchHandler<Req, Ctx>
  Object.defineProperties(handler, {
    ready: {
      get: () => (core ? core.ready : load().then((loaded) => loaded.ready)),
    },
    invalidate: { value: (tenant: string) => core?.invalidate(tenant) },
    invalidateAll: { value: () => core?.invalidateAll() },
  })
  return handler
}
