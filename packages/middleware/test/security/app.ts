import type { IncomingMessage } from 'node:http'
import Fastify from 'fastify'
import {
  ALICE,
  type KonnecApi,
  type KonnecFaultSpec,
  listen,
  startKonnec,
  TENANTS,
  type TenantFixture,
  tenantFixture,
  tenantVendors,
  type Upstream,
  VENDOR_FIXTURES,
} from '@sso/fixtures'
import {
  type GetUser,
  type SsoEvent,
  type SsoOptions,
  ssoMiddleware,
  type TenantOptions,
  type Vendor,
} from '../../src/index'
import { ssoPlugin } from '../../src/fastify'

export interface SecurityApp {
  url: string
  port: number
  /** Every audit event the middleware emitted. */
  events: SsoEvent[]
  /** Errors handed to the app's error handler (`onError: 'next'`). */
  errors: unknown[]
  /** What `getUser` does; change it between requests. (default: returns ALICE) */
  getUser: (req: IncomingMessage) => unknown
  /** With `tenants`: every tenant id the resolver was called with, in order. */
  resolved: string[]
  close(): Promise<void>
}

/** A `tenants` mount on `/t/:tenant/sso`: the fixture tenants, or a resolver of the test's own. */
export interface TenantMount {
  /** Each tenant's Konnec simulator, by tenant id (`startTenantUpstreams()`). */
  upstreams: Readonly<Record<string, KonnecApi>>
  /** Replaces the fixture tenants' resolver (its calls are still counted in `resolved`). */
  resolve?: TenantOptions<IncomingMessage>['resolve']
  timeoutMs?: number
}

/** The `basePath` of the tenant mounts. */
export const TENANT_BASE = '/t/:tenant/sso'
/** Where tenant `id`'s routes live: `/t/<id>/sso`. */
export const tenantBase = (id: string) => `/t/${id}/sso`

export interface SecurityAppOptions {
  /** Konnec's API: the simulator, from the fixtures' `startKonnec()` (not with `tenants`). */
  upstream?: KonnecApi
  basePath?: string
  onError?: 'respond' | 'next'
  exposeErrors?: boolean
  /**
   * Konnec's per-call timeout. (default: `2000`: a loaded machine's slow answer is no finding;
   * the suites that want a timeout pass a short one)
   */
  konnecTimeoutMs?: number
  /** No `loginUrl`: logged-out browsers get a 401 page. */
  noLoginUrl?: boolean
  /** Mount `tenants` (on `TENANT_BASE`) instead of the fixture vendors. */
  tenants?: TenantMount
  /**
   * Where the middleware runs: `ssoMiddleware` on bare `node:http`, or `ssoPlugin` on Fastify 5
   * (the app's own not-found and error handlers answer as on node:http). (default: `'node:http'`)
   */
  host?: 'node:http' | 'fastify'
}

/** Starts one Konnec simulator per fixture tenant, with that tenant's organisation. */
export async function startTenantUpstreams(): Promise<{
  upstreams: Record<string, KonnecApi>
  close(): Promise<void>
}> {
  const started = await Promise.all(TENANTS.map((t) => startKonnec(t.konnec)))
  return {
    upstreams: Object.fromEntries(TENANTS.map((t, i) => [t.id, started[i] as KonnecApi])),
    close: async () => {
      await Promise.all(started.map((api) => api.close()))
    },
  }
}

/**
 * The fixture tenants' resolver: each tenant's vendors, built from the fixtures with its own
 * secrets and allow-lists, calling its own Konnec; `null` for any other id. Records each call.
 */
export function tenantResolver(
  upstreams: Readonly<Record<string, KonnecApi>>,
  calls: string[],
  konnecTimeoutMs = 2000,
): TenantOptions<IncomingMessage>['resolve'] {
  return async (id) => {
    calls.push(id)
    const tenant = tenantFixture(id)
    if (!tenant) return null
    return tenantVendors(tenant, upstreams[id] as KonnecApi, {
      konnec: { timeoutMs: konnecTimeoutMs },
    })
  }
}

/** A fixture tenant's routes: `ROUTES` under `/t/<id>/sso`. */
export function tenantRoutes(tenant: TenantFixture): SecurityRoute[] {
  return ROUTES.map((r) => ({
    ...r,
    path: `${tenantBase(tenant.id)}${r.path.slice('/sso'.length)}`,
  }))
}

/**
 * Every built-in vendor, built from its fixture (`VENDOR_FIXTURES`): the security suites attack
 * whatever vendors the fixtures hold, with their fixture configuration. Konnec's calls go to
 * `upstream` with the timeout given.
 */
export function fixtureVendors(upstream: Upstream, konnecTimeoutMs = 2000): Vendor[] {
  return VENDOR_FIXTURES.map((fixture) =>
    fixture.build(fixture.id === 'konnec' ? { timeoutMs: konnecTimeoutMs } : {}, upstream),
  )
}

const need = (upstream: KonnecApi | undefined): KonnecApi => {
  if (!upstream) throw new Error('startSecurityApp: give `upstream` (or `tenants`)')
  return upstream
}

/**
 * How Konnec's simulator answers from now on: normally (`undefined`), or with this one fault on
 * every call until the next change.
 */
export function konnecAnswers(api: KonnecApi, fault?: KonnecFaultSpec): void {
  api.sim.clearFaults()
  if (fault) api.sim.inject(fault)
}

/** Where the fixture configuration lets tokens go, across vendors (allow-list syntax). */
export const ALL_DESTINATIONS: readonly string[] = VENDOR_FIXTURES.flatMap((f) => f.destinations)

/** A route of a fixture vendor, with its full path under `/sso`. */
export interface SecurityRoute {
  vendor: string
  name: string
  method: 'GET' | 'POST'
  /** `/sso/<vendor route>`, without a query. */
  path: string
  /** A valid query string as the vendor sends it ('' for none). */
  query: string
  /** Query parameters the vendor sends (and the middleware must distrust). */
  params: readonly string[]
  kind: 'browser' | 'api'
  /** Issues a token on success. */
  token: boolean
}

/** Every route of every fixture vendor, in fixture order. */
export const ROUTES: readonly SecurityRoute[] = VENDOR_FIXTURES.flatMap((fixture) =>
  fixture.routes.map((route) => ({ ...route, vendor: fixture.id, path: `/sso${route.path}` })),
)

/** The browser routes, each as a valid request target (path and query). */
export const BROWSER_TARGETS: readonly string[] = ROUTES.filter((r) => r.kind === 'browser').map(
  (r) => `${r.path}${r.query ? `?${r.query}` : ''}`,
)

/** `ssoMiddleware` on bare `node:http`: handed-on requests 404, `next(err)` 500 `x-app: error`. */
async function onNodeHttp(options: SsoOptions<IncomingMessage>, errors: unknown[]) {
  const middleware = ssoMiddleware<IncomingMessage>(options)
  await middleware.ready
  return listen((req, res) => {
    middleware(req, res, (err) => {
      if (err) errors.push(err)
      res.statusCode = err ? 500 : 404
      res.setHeader('x-app', err ? 'error' : 'not-found')
      res.end(err ? 'app error handler' : 'app')
    })
  })
}

/** `ssoPlugin` on Fastify 5, with not-found and error handlers answering as `onNodeHttp`'s. */
async function onFastify(options: SsoOptions<IncomingMessage>, errors: unknown[]) {
  const app = Fastify()
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).header('x-app', 'not-found').send('app'),
  )
  app.setErrorHandler((error, _request, reply) => {
    errors.push(error)
    return reply.code(500).header('x-app', 'error').send('app error handler')
  })
  await app.register(ssoPlugin, options as unknown as Parameters<typeof ssoPlugin>[1])
  await app.sso.ready
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      app.server.closeAllConnections()
      await app.close()
    },
  }
}

/**
 * A bare `node:http` app (or, with `host: 'fastify'`, a Fastify one) with every vendor mounted, on 127.0.0.1. Requests the middleware hands
 * on answer 404 `x-app: not-found`; errors handed to `next(err)` answer 500 `x-app: error`.
 */
export async function startSecurityApp(options: SecurityAppOptions): Promise<SecurityApp> {
  const events: SsoEvent[] = []
  const errors: unknown[] = []
  const resolved: string[] = []
  const app = {
    getUser: (() => ALICE) as SecurityApp['getUser'],
  }
  const mount = options.tenants
  const resolve = mount?.resolve
  const sso: SsoOptions<IncomingMessage> = {
    getUser: ((req: IncomingMessage) => app.getUser(req)) as GetUser<IncomingMessage>,
    ...(mount
      ? {
          basePath: TENANT_BASE,
          tenants: {
            resolve: resolve
              ? (id, context) => {
                  resolved.push(id)
                  return resolve(id, context)
                }
              : tenantResolver(mount.upstreams, resolved, options.konnecTimeoutMs),
            ...(mount.timeoutMs === undefined ? {} : { timeoutMs: mount.timeoutMs }),
          },
        }
      : { vendors: fixtureVendors(need(options.upstream), options.konnecTimeoutMs) }),
    ...(options.noLoginUrl ? {} : { loginUrl: '/login' }),
    ...(options.basePath ? { basePath: options.basePath } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.exposeErrors === undefined ? {} : { exposeErrors: options.exposeErrors }),
    onEvent: (event) => events.push(event),
  }
  const server =
    options.host === 'fastify' ? await onFastify(sso, errors) : await onNodeHttp(sso, errors)
  return {
    url: server.url,
    port: server.port,
    events,
    errors,
    resolved,
    get getUser() {
      return app.getUser
    },
    set getUser(fn) {
      app.getUser = fn
    },
    close: () => server.close(),
  }
}
