/**
 * One app instance: plain node:http + ssoMiddleware, many tenants under `/t/:tenant/sso`, each
 * tenant's vendors read from its Redis hash, sessions in Redis (so every instance knows every
 * user), and a subscription to `sso:invalidate` that forgets a tenant when its secret changes.
 * Run several of these against one Redis: they behave the same behind a load balancer.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isSafeRelativePath, type SsoUser, ssoMiddleware } from '@sso/middleware'
import { Redis } from 'ioredis'
import { type RotatableVendor, redisResolver, rotate, subscribeInvalidations } from './tenants'

export interface ServerOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string
  /** `0` picks a free port. (default: `3003`) */
  port?: number
  host?: string
  /** How long a tenant stays cached when no message arrives, in ms. (default: the middleware's, 5 min) */
  ttlMs?: number
  /** Bearer token of `POST /admin/tenants/:tenant/rotate`; without it the route does not exist. */
  adminToken?: string
  /** A name for log lines (`instance 1`). */
  name?: string
  log?: (line: string) => void
}

const SESSION_TTL_S = 60 * 60
const sessionKey = (sid: string) => `sso:session:${sid}`
const sidOf = (req: IncomingMessage) =>
  /(?:^|;\s*)sid=([a-f0-9]{32})(?:;|$)/.exec(req.headers.cookie ?? '')?.[1]
const digest = (value: string) => createHash('sha256').update(value).digest()

export async function startServer(options: ServerOptions) {
  const name = options.name ?? 'app'
  const log = options.log ?? ((line: string) => console.log(`[${name}] ${line}`))
  // Two connections: a subscribed connection can run no other command.
  const redis = new Redis(options.redisUrl, { lazyConnect: true })
  const sub = new Redis(options.redisUrl, { lazyConnect: true })
  await Promise.all([redis.connect(), sub.connect()])

  const sso = ssoMiddleware({
    basePath: '/t/:tenant/sso',
    loginUrl: '/login',
    getUser: async (req) => {
      const sid = sidOf(req)
      const json = sid ? await redis.get(sessionKey(sid)) : null
      return json ? (JSON.parse(json) as SsoUser) : null
    },
    tenants: {
      resolve: redisResolver(redis, (tenant, known) =>
        log(`resolved ${tenant} from Redis${known ? '' : ' (no such tenant: 404)'}`),
      ),
      ...(options.ttlMs ? { ttlMs: options.ttlMs } : {}),
    },
  })
  await subscribeInvalidations(sub, sso, log)

  const adminDigest = options.adminToken ? digest(options.adminToken) : undefined
  const isAdmin = (req: IncomingMessage) => {
    const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    return (
      adminDigest !== undefined &&
      given !== undefined &&
      timingSafeEqual(digest(given), adminDigest)
    )
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.statusCode = status
    res.setHeader('content-type', 'application/json')
    res.setHeader('cache-control', 'no-store')
    res.end(JSON.stringify(body))
  }

  async function app(req: IncomingMessage, res: ServerResponse, url: URL) {
    const rotateRoute = /^\/admin\/tenants\/([A-Za-z0-9._-]{1,128})\/rotate$/.exec(url.pathname)
    if (rotateRoute && req.method === 'POST' && adminDigest) {
      if (!isAdmin(req)) return send(res, 401, { error: 'admin token required' })
      let raw = ''
      for await (const chunk of req) {
        raw += chunk
        if (raw.length > 4096) return send(res, 413, { error: 'body too large' })
      }
      let body: { secret?: unknown; vendor?: unknown }
      try {
        body = JSON.parse(raw) as typeof body
      } catch {
        return send(res, 400, { error: 'body must be JSON { "secret", "vendor"? }' })
      }
      if (typeof body.secret !== 'string') return send(res, 400, { error: 'secret is required' })
      const tenant = rotateRoute[1] ?? ''
      try {
        await rotate(redis, tenant, body.secret, (body.vendor ?? 'komo') as RotatableVendor)
      } catch (error) {
        // The messages name the tenant, vendor and option, never the secret.
        return send(res, 400, { error: (error as Error).message })
      }
      // This instance's subscriber gets the message too, but a moment later: forget the tenant
      // here and now, so the admin's next request on this instance already uses the new secret.
      sso.invalidate(tenant)
      log(`rotated ${tenant}'s ${String(body.vendor ?? 'komo')} secret, published`)
      return send(res, 200, { rotated: tenant })
    }
    if (url.pathname === '/login' && req.method === 'GET') {
      // Demo only: GET /login?email=…&returnTo=… signs in at once, no password.
      const email = url.searchParams.get('email')
      if (!email) {
        res.setHeader('content-type', 'text/html; charset=utf-8')
        res.end('<form><input name="email" type="email"><button>Log in</button></form>')
        return
      }
      const sid = randomBytes(16).toString('hex')
      const user: SsoUser = { id: `u_${sid.slice(0, 8)}`, email, emailVerified: true }
      await redis.set(sessionKey(sid), JSON.stringify(user), 'EX', SESSION_TTL_S)
      const returnTo = url.searchParams.get('returnTo') ?? '/'
      res.statusCode = 303
      res.setHeader('set-cookie', `sid=${sid}; HttpOnly; SameSite=Lax; Path=/`)
      res.setHeader('location', isSafeRelativePath(returnTo) ? returnTo : '/')
      res.end()
      return
    }
    if (url.pathname === '/healthz') return send(res, 200, { instance: name })
    res.statusCode = 404
    res.setHeader('content-type', 'text/plain; charset=utf-8')
    res.end(`${name}: tenants live under /t/<tenant>/sso (try POST /t/acme/sso/komo/token)`)
  }

  const server = createServer((req, res) => {
    sso(req, res, (err) => {
      if (err) {
        res.statusCode = 500
        res.end()
        return
      }
      app(req, res, new URL(req.url ?? '/', 'http://localhost')).catch(() => {
        if (!res.headersSent) res.statusCode = 500
        res.end()
      })
    })
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(options.port ?? 3003, host, resolve))
  const url = `http://${host}:${(server.address() as AddressInfo).port}`

  return {
    url,
    sso,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.allSettled([redis.quit(), sub.quit()])
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env
  const name = env.INSTANCE ?? 'app'
  const running = await startServer({
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    port: Number(env.PORT ?? 3003),
    ttlMs: env.SSO_TTL_MS ? Number(env.SSO_TTL_MS) : undefined,
    adminToken: env.ADMIN_TOKEN || undefined,
    name,
  })
  // Tests and the demo read the URL from this line.
  console.log(`[${name}] listening on ${running.url}`)
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
