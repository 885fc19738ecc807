import { createCore } from '../core/engine'
import { splitTarget } from '../core/request'
import { errorOutcome } from '../core/respond'
import type { CoreOutcome, SsoOptions, SsoRequest } from '../core/types'

/** A Fetch API handler: `null` means the request is not under `basePath` (not ours). */
export interface SsoFetchHandler<Req extends Request = Request> {
  (request: Req): Promise<Response | null>
  /** Resolves once every vendor's keys are imported; rejects with ERR_SSO_CONFIG on a bad key. */
  readonly ready: Promise<void>
  /** With `tenants`: forget one tenant's vendors; its next request resolves them again (rotation). */
  invalidate(tenant: string): void
  /** With `tenants`: forget every tenant's vendors. */
  invalidateAll(): void
}

/**
 * The same core behind the Fetch API: Next.js route handlers, Hono, Bun, Deno. With
 * `onError: 'next'`, request-time errors are thrown for the framework's own handler.
 *
 * @example
 * const sso = ssoHandler({ getUser: (req) => userFromCookie(req), vendors: [komo({ secret })] })
 * export async function POST(request: Request) {
 *   return (await sso(request)) ?? new Response('Not found', { status: 404 })
 * }
 */
export function ssoHandler<Req extends Request = Request>(
  options: SsoOptions<Req>,
): SsoFetchHandler<Req> {
  const core = createCore(options, 'ssoHandler()')
  const { prefix, expose, nextOnError } = core

  const handler = async function ssoHandler(raw: Req): Promise<Response | null> {
    // Request.url is absolute; splitTarget keeps its path and query only.
    const { path, search } = splitTarget(raw.url)
    if (!path.startsWith(prefix)) return null
    const request: SsoRequest<Req> = {
      method: raw.method.toUpperCase(),
      path,
      search,
      raw,
      originalPath: search ? `${path}?${search}` : path,
      header: (name) => raw.headers.get(name) ?? undefined,
      get origin() {
        // The runtime's own view of where the request went: a Host header may be absent.
        try {
          const origin = new URL(raw.url).origin
          return origin === 'null' ? undefined : origin
        } catch {
          return undefined
        }
      },
    }
    let outcome: CoreOutcome | null
    try {
      outcome = await core.handle(request)
    } catch (error) {
      if (nextOnError) throw error
      outcome = errorOutcome(error, 'html', expose)
    }
    if (outcome === null) return null
    if (outcome.type === 'error') throw outcome.error
    const body = raw.method === 'HEAD' || outcome.status === 302 ? null : outcome.body
    return new Response(body, { status: outcome.status, headers: outcome.headers })
  } as SsoFetchHandler<Req>
  Object.defineProperties(handler, {
    ready: { value: core.ready },
    invalidate: { value: core.invalidate },
    invalidateAll: { value: core.invalidateAll },
  })
  return handler
}
