import { randomBytes } from 'node:crypto'
import {
  type Env,
  komoHubOrigin,
  parseLogin,
  userIdFor,
  vendorLinks,
  vendorsFromEnv,
} from '@sso/example-vendors'
import {
  isLocalClient,
  isSafeRelativePath,
  isSsoError,
  type SsoEvent,
  ssoHandler,
} from '@sso/middleware/fetch'
import { getConnInfo } from '@hono/node-server/conninfo'
import { type Context, Hono } from 'hono'
import { generateCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import { homePage, komoPage, loginPage, type SessionUser } from './pages'

const SESSION = 'hono_demo_session'
const COOKIE = { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 8 * 3600 } as const

export interface HonoExampleOptions {
  /** Where the vendors' secrets and URLs come from. (default: `process.env`) */
  env?: Env
  /** Signs the session cookie. (default: random per start) */
  sessionSecret?: string
  /** Audit events from the middleware. (default: printed; they hold no secrets or emails) */
  onEvent?: (event: SsoEvent) => void
}

/**
 * The Hono example: a server-side session store keyed by a random id in a signed cookie
 * (`hono/cookie`), every vendor under `/sso/*` through `ssoHandler` with Hono's `c` as context.
 */
export function createHonoApp(options: HonoExampleOptions = {}): Hono {
  const env = options.env ?? process.env
  const secret = options.sessionSecret ?? randomBytes(32).toString('base64url')
  // The sessions: in memory here, a store shared by every instance in a real deployment.
  const sessions = new Map<string, SessionUser>()

  const sessionId = async (c: Context) => (await getSignedCookie(c, secret, SESSION)) || null
  const currentUser = async (c: Context) => {
    const id = await sessionId(c)
    return id ? (sessions.get(id) ?? null) : null
  }
  const clearCookie = generateCookie(SESSION, '', { ...COOKIE, maxAge: 0 })

  // Lazy options: read (and checked) on the first request under /sso, not at import.
  const sso = ssoHandler<Request, Context>(() => ({
    getUser: async (_request, c) => {
      const user = await currentUser(c)
      return user ? { ...user, emailVerified: true } : null
    },
    loginUrl: '/login',
    // Vendors that sign people out of the app (Comm100, Bettermode, Discourse) end here: the
    // record goes, and the cookie is cleared on the response the handler returns.
    onLogout: async (_request, response, c) => {
      const id = await sessionId(c)
      if (id) sessions.delete(id)
      response.headers.append('Set-Cookie', clearCookie)
    },
    onEvent: options.onEvent ?? ((event) => console.log('[sso]', JSON.stringify(event))),
    vendors: vendorsFromEnv(env),
    // The development inspector at /sso/_inspect (not mounted under NODE_ENV=production). The
    // Fetch handler cannot see the client's address and admits nobody by default: this rule
    // reads the socket's on @hono/node-server.
    inspector: { allow: (request, c) => loopbackClient(request, c) },
  }))

  const app = new Hono()
  // A misconfigured handler (say, a missing variable) rejects every /sso request with
  // ERR_SSO_CONFIG: say so in the log (the message names variables, never their values) and in
  // a 500 page, while the rest of the app keeps working.
  app.onError((error, c) => {
    console.error(error)
    const code = isSsoError(error) ? error.code : 'ERR_INTERNAL'
    return c.text(`Something went wrong on our side (${code}).`, 500)
  })
  app.all('/sso/*', async (c) => (await sso(c.req.raw, c)) ?? c.notFound())

  app.get('/', async (c) => c.html(homePage(await currentUser(c), vendorLinks(env))))
  app.get('/komo', async (c) => c.html(komoPage(await currentUser(c), komoHubOrigin(env))))
  app.get('/login', (c) => {
    const returnTo = c.req.query('returnTo')
    return c.html(loginPage(returnTo && isSafeRelativePath(returnTo) ? returnTo : '/'))
  })
  app.post('/login', async (c) => {
    if (!sameSite(c)) return c.text('Cross-site login refused', 403)
    const form = await c.req.parseBody()
    const returnTo =
      typeof form.returnTo === 'string' && isSafeRelativePath(form.returnTo) ? form.returnTo : '/'
    const login = parseLogin(form.email, form.name)
    if (!login) return c.html(loginPage(returnTo, 'Enter a valid email and a name.'), 400)
    // A new session id at every login: no session fixation.
    const old = await sessionId(c)
    if (old) sessions.delete(old)
    const id = randomBytes(24).toString('base64url')
    sessions.set(id, { id: await userIdFor(login.email), ...login })
    await setSignedCookie(c, SESSION, id, secret, COOKIE)
    return c.redirect(returnTo, 303)
  })
  app.post('/logout', async (c) => {
    if (!sameSite(c)) return c.text('Cross-site logout refused', 403)
    const id = await sessionId(c)
    if (id) sessions.delete(id)
    c.header('Set-Cookie', clearCookie)
    return c.redirect('/', 303)
  })
  app.get('/api/me', async (c) => {
    c.header('Cache-Control', 'no-store')
    return c.json({ user: await currentUser(c) })
  })
  return app
}

/**
 * The inspector's rule, as the middleware's default on Node servers (`isLocalClient`): the
 * socket's peer is a loopback address and the request names no proxy hop. Off
 * @hono/node-server (no socket in `c.env`, as in `app.request()`), nobody.
 */
export function loopbackClient(request: Request, c: Context): boolean {
  let address: string | undefined
  try {
    address = getConnInfo(c).remote.address
  } catch {
    return false
  }
  return isLocalClient(request.headers, address)
}

/** A browser's cross-site form post says so (`Sec-Fetch-Site`); server-side callers send none. */
function sameSite(c: Context): boolean {
  const site = c.req.header('sec-fetch-site')
  return site === undefined || site === 'same-origin' || site === 'none'
}
