import { createHash, randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import fastifyCookie from '@fastify/cookie'
import fastifyFormbody from '@fastify/formbody'
import fastifySession from '@fastify/session'
import { isSafeRelativePath, type SsoEvent, ssoPlugin, type Vendor } from '@sso/middleware/fastify'
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify'
import { type DemoUser, homePage, komoPage, loginPage, type VendorLink } from './pages'

declare module 'fastify' {
  interface Session {
    user?: DemoUser
  }
}

export interface DemoAppOptions {
  /** The plugin's vendors. */
  vendors: Vendor[]
  /** The front page's links, one per vendor. */
  links: VendorLink[]
  /** The Komo hub's origin, for the card's embed script (default: no Komo page). */
  komoHub?: string
  /** Signs the session cookie. (default: random per start) */
  sessionSecret?: string
  /** Called when a demo user logs in. */
  onLogin?: (user: DemoUser) => void
  /** Audit events from the plugin. (default: printed, they hold no secrets) */
  onEvent?: (event: SsoEvent) => void
  /** Fastify's `serverFactory`: the demo hands in a server that already listens. */
  serverFactory?: FastifyServerFactory
}

/** The demo user id: stable per email, never the email itself (ids go into events and logs). */
export function userIdFor(email: string): string {
  return `u_${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 16)}`
}

const returnPath = (value: unknown) =>
  typeof value === 'string' && isSafeRelativePath(value) ? value : '/'

/**
 * The demo on Fastify 5: a real session (`@fastify/session` over `@fastify/cookie`), a login page,
 * and every vendor's routes under /sso through the `@sso/middleware/fastify` plugin, whose
 * `getUser` reads the session from the Fastify request.
 */
export async function createDemoApp(options: DemoAppOptions): Promise<FastifyInstance<Server>> {
  const app = Fastify(options.serverFactory ? { serverFactory: options.serverFactory } : {})
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: options.sessionSecret ?? randomBytes(32).toString('hex'),
    cookieName: 'demo.sid',
    saveUninitialized: false,
    // Plain http on loopback in the demo; behind TLS in production, leave `secure` on.
    cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
  })
  await app.register(fastifyFormbody, { bodyLimit: 8 * 1024 })

  await app.register(ssoPlugin, {
    getUser: (request) => {
      const user = request.session.user
      return user ? { id: user.id, email: user.email, name: user.name, emailVerified: true } : null
    },
    loginUrl: '/login',
    vendors: options.vendors,
    onLogout: (request) => request.session.destroy(),
    onEvent: options.onEvent ?? ((event) => console.log('[sso]', JSON.stringify(event))),
    // The development inspector at /sso/_inspect: not mounted under NODE_ENV=production, and
    // answering loopback clients only (the plugin gives the core the socket's peer address, so
    // the default rule works here; a request naming a proxy hop is refused).
    inspector: true,
  })

  app.get('/', async (request, reply) =>
    reply.type('text/html').send(homePage(request.session.user ?? null, options.links)),
  )
  if (options.komoHub) {
    const hub = options.komoHub
    app.get('/komo', async (request, reply) =>
      reply.type('text/html').send(komoPage(request.session.user ?? null, hub, '/sso/komo/token')),
    )
  }
  app.get<{ Querystring: { returnTo?: unknown } }>('/login', async (request, reply) =>
    reply.type('text/html').send(loginPage(returnPath(request.query.returnTo))),
  )
  app.post<{ Body: Record<string, unknown> | undefined }>('/login', async (request, reply) => {
    const body = request.body ?? {}
    const email = typeof body.email === 'string' ? body.email.trim() : ''
    const name = typeof body.name === 'string' ? body.name.trim() : ''
    const returnTo = returnPath(body.returnTo)
    if (
      !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ||
      email.length > 200 ||
      !name ||
      name.length > 100
    ) {
      return reply
        .code(400)
        .type('text/html')
        .send(loginPage(returnTo, 'Enter a valid email and a name.'))
    }
    const user: DemoUser = { id: userIdFor(email), email, name }
    // A new session id at login: no session fixation.
    await request.session.regenerate()
    request.session.user = user
    options.onLogin?.(user)
    return reply.redirect(returnTo, 303)
  })
  app.post('/logout', async (request, reply) => {
    await request.session.destroy()
    return reply.redirect('/', 303)
  })
  return app
}
