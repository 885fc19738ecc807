import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HTTPMethods,
} from 'fastify'
import fp from 'fastify-plugin'
import { createCore } from '../core/engine'
import { SsoError } from '../core/errors'
import { splitTarget } from '../core/request'
import { errorOutcome } from '../core/respond'
import type { CoreOutcome, SsoOptions, SsoRequest } from '../core/types'

const WHERE = 'ssoPlugin()'

/** What `app.sso` (or the `decorator` you name) holds once the plugin is registered. */
export interface SsoFastifyHandle {
  /** Resolves once every vendor's keys are imported; rejects with ERR_SSO_CONFIG on a bad key. */
  readonly ready: Promise<void>
  /** With `tenants`: forget one tenant's vendors; its next request resolves them again (rotation). */
  invalidate(tenant: string): void
  /** With `tenants`: forget every tenant's vendors. */
  invalidateAll(): void
}

/**
 * Options of `app.register(ssoPlugin, options)`: the middleware's options with the Fastify
 * request, and `onLogout` given the reply too. Fastify's own `prefix` mounts the routes below it.
 */
export interface SsoFastifyOptions<Req extends FastifyRequest = FastifyRequest>
  extends Omit<SsoOptions<Req>, 'onLogout'> {
  /** Runs before the vendors that sign users out redirect back; a returned promise is awaited. (default: none) */
  onLogout?: (request: Req, reply: FastifyReply) => unknown
  /**
   * The name of the instance decorator that holds `ready`, `invalidate` and `invalidateAll`;
   * give each registration in one encapsulation context its own, or `false` for none.
   * (default: `'sso'`)
   */
  decorator?: string | false
  /** Fastify's own: mounts the routes under this path. (default: the registering context's) */
  prefix?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** `@sso/middleware/fastify`: `ready`, `invalidate`, `invalidateAll` (the default decorator). */
    sso: SsoFastifyHandle
  }
}

// Every method: the core answers a 405 (with `Allow`) for a route's wrong method, as it does on
// every other host, instead of Fastify's 404.
const METHODS: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS']

// Fastify's register options, not ours: the core refuses keys it does not know.
const FASTIFY_KEYS = new Set(['prefix', 'logLevel', 'logSerializers', 'decorator'])

/**
 * The Fastify 5 plugin: every vendor's routes under `basePath`, on Fastify's own router, request
 * and reply, so `getUser` reads `request.session` (`@fastify/session`, `@fastify/secure-session`).
 * The routes live in their own encapsulated context below the registering one (its hooks,
 * decorators, not-found and error handlers apply; its `prefix` too), with no body parsing: the
 * routes never read a body, so no body can make them fail. `app.sso` (the instance that
 * registered it and its children) exposes `ready`, `invalidate` and `invalidateAll`.
 *
 * @example
 * await app.register(ssoPlugin, {
 *   getUser: (request) => request.session.get('user') ?? null,
 *   loginUrl: '/login',
 *   vendors: [komo({ secret: process.env.KOMO_SSO_SECRET! })],
 * })
 * await app.sso.ready
 */
export const ssoPlugin: FastifyPluginAsync<SsoFastifyOptions> = fp(
  async function ssoPlugin(app: FastifyInstance, options: SsoFastifyOptions) {
    if (options === null || typeof options !== 'object') {
      throw new SsoError(
        'ERR_SSO_CONFIG',
        'ssoPlugin(): takes an options object: app.register(ssoPlugin, { getUser, vendors: [...] }).',
      )
    }
    const { prefix: mount, decorator = 'sso' } = options
    const coreOptions: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(options)) {
      if (!FASTIFY_KEYS.has(key)) coreOptions[key] = value
    }
    if (decorator !== false && (typeof decorator !== 'string' || decorator.length === 0)) {
      throw new SsoError(
        'ERR_SSO_CONFIG',
        'ssoPlugin(): `decorator` must be a non-empty name such as "sso", or false.',
      )
    }
    const core = createCore(coreOptions as unknown as SsoOptions<FastifyRequest>, WHERE)
    if (decorator) {
      if (app.hasDecorator(decorator)) {
        throw new SsoError(
          'ERR_SSO_CONFIG',
          `ssoPlugin(): this Fastify instance already has an "${decorator}" decorator (a second registration?). Give this one its own: app.register(ssoPlugin, { decorator: 'ssoTenants', ... }), or decorator: false.`,
        )
      }
      const handle: SsoFastifyHandle = {
        ready: core.ready,
        invalidate: core.invalidate,
        invalidateAll: core.invalidateAll,
      }
      app.decorate(decorator, handle)
    }
    await app.register(
      async function ssoRoutes(scope) {
        // The routes read no body: whatever arrives (none, JSON, text, a huge upload) is left
        // unread, as on the other hosts, rather than parsed and refused (400/413/415) first.
        scope.removeAllContentTypeParsers()
        scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
        const mountPrefix = scope.prefix
        scope.route({
          method: METHODS,
          // The literal start of basePath; the core's own matcher decides the rest.
          url: `${core.prefix}*`,
          handler: (request, reply) => handle(core, mountPrefix, request, reply),
        })
      },
      mount === undefined ? {} : { prefix: mount },
    )
  },
  { fastify: '5.x', name: '@sso/middleware' },
)

async function handle(
  core: ReturnType<typeof createCore<FastifyRequest>>,
  mountPrefix: string,
  raw: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { path: full, search } = splitTarget(raw.url)
  // Fastify keeps the prefix in the URL; the core sees the path below the mount point, as
  // Express's `app.use('/x', mw)` does.
  const path = full.slice(mountPrefix.length) || '/'
  const original = splitTarget(raw.originalUrl || raw.url)
  const request: SsoRequest<FastifyRequest> = {
    method: raw.method.toUpperCase(),
    path,
    search,
    raw,
    originalPath: original.search ? `${original.path}?${original.search}` : original.path,
    header(name) {
      const value = raw.headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
    get origin() {
      return originOf(raw)
    },
    get clientAddress() {
      // The socket's peer, never `request.ip`: with trustProxy that is a header's say-so.
      return raw.socket?.remoteAddress
    },
  }
  let outcome: CoreOutcome | null
  try {
    outcome = await core.handle(request, reply)
  } catch (error) {
    // The core turns every failure into an outcome; this is the last line of defence.
    if (core.nextOnError) throw error
    outcome = errorOutcome(error, 'html', core.expose)
  }
  // `onLogout` may have answered itself.
  if (reply.sent) return reply
  if (outcome === null) {
    reply.callNotFound()
    return reply
  }
  // To Fastify's error handler (the context's `setErrorHandler`, else its default).
  if (outcome.type === 'error') throw outcome.error
  reply.code(outcome.status)
  for (const [name, value] of outcome.headers) reply.header(name, value)
  // On HEAD, node:http drops the body and Fastify's Content-Length stays the GET's. No body
  // (a redirect) is sent as none, or Fastify would add a `text/plain` type to it.
  return reply.send(outcome.body === '' ? undefined : outcome.body)
}

/** Fastify's view of where the request went: `protocol` and `host` honour `trustProxy`. */
function originOf(request: FastifyRequest): string | undefined {
  const host = request.host
  if (typeof host !== 'string' || host.length === 0) return undefined
  try {
    const origin = new URL(`${request.protocol}://${host}`).origin
    return origin === 'null' ? undefined : origin
  } catch {
    return undefined
  }
}
