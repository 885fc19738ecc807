// The middleware's behaviour as an app sees it, identical behind every host: bare node:http,
// Connect, Express 4 and 5 (all through `ssoMiddleware`) and the Fetch adapter (`ssoHandler`).
// The vendor is `acme`, written with `defineVendor` in @sso/fixtures (packages/fixtures/src/acme-vendor.ts).
import { jwtVerify } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  defineVendor,
  isSafeRelativePath,
  type SsoEvent,
  SsoError,
  type SsoUser,
  type Vendor,
} from '../../src/index'
import { createSigner } from '../../src/vendor-kit'
import {
  acme,
  ACME_SSO_URL,
  ADA,
  type AnyOptions,
  BOOM_MESSAGE,
  byName,
  EC_PRIVATE_PEM,
  GARBAGE_PEM,
  HOSTS,
  HS256_SECRET,
  pinClock,
  PINNED_SECONDS,
  type Running,
  type Sent,
  unpinClock,
} from '@sso/fixtures'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const GETUSER_SECRET = 'session store says: password=correct-horse-battery-staple'

/** Reads and verifies the `jwt` a redirect carries. */
async function tokenIn(location: string | null) {
  expect(location).toBeTruthy()
  const url = new URL(location as string)
  const jwt = url.searchParams.get('jwt')
  expect(jwt).toBeTruthy()
  const { payload, protectedHeader } = await jwtVerify(
    jwt as string,
    new TextEncoder().encode(HS256_SECRET),
    { algorithms: ['HS256'] },
  )
  return { url, jwt: jwt as string, payload, protectedHeader }
}

/** The returnTo of a login redirect, checked to be a safe relative path. */
function returnToOf(location: string | null): string {
  expect(location).toBeTruthy()
  const returnTo = new URL(location as string, 'http://base.invalid').searchParams.get('returnTo')
  expect(returnTo).not.toBeNull()
  expect(isSafeRelativePath(returnTo)).toBe(true)
  return returnTo as string
}

/** A second vendor (its own id and an ES256 key) to mount next to acme. */
function beta(): Vendor {
  const signer = createSigner({ privateKey: EC_PRIVATE_PEM, algorithm: 'ES256' }, 'beta()', [
    'ES256',
  ])
  return defineVendor({
    id: 'beta',
    ready: signer.ready,
    routes: [
      {
        name: 'token',
        method: 'POST',
        path: '/beta/token',
        kind: 'api',
        handle: async () => ({ kind: 'json', body: await signer.sign({}), token: true }),
      },
    ],
  })
}

function expectNoSecretsIn(sent: Sent, ...secrets: string[]): void {
  const everything = `${sent.body}\n${JSON.stringify([...sent.headers])}`
  for (const secret of secrets) expect(everything).not.toContain(secret)
  // No stack trace and no source location either.
  expect(everything).not.toMatch(/\n\s+at |\.ts:\d+|node_modules|file:\/\//)
}

describe.each(byName(HOSTS))('%s', (_name, host) => {
  let running: Running | undefined
  afterEach(async () => {
    unpinClock()
    await running?.close()
    running = undefined
  })

  async function start(options: Partial<AnyOptions> = {}, mountPath?: string): Promise<Running> {
    running = await host.start({ getUser: () => null, vendors: [acme()], ...options }, mountPath)
    return running
  }

  describe('pass-through', () => {
    it.each(['/', '/login', '/ssox/acme/login', '/api/sso/acme/login', '/static/app.js?v=1'])(
      'hands %s to the next handler without asking for the user',
      async (path) => {
        const getUser = vi.fn(() => ADA)
        const app = await start({ getUser })
        const sent = await app.send(path)
        expect(sent).toMatchObject({ passedOn: true, appError: false })
        expect(getUser).not.toHaveBeenCalled()
      },
    )

    it.each(['/sso', '/sso/', '/sso/acme', '/sso/acme/unknown', '/sso/other/login'])(
      'hands %s (under basePath, but no route) to the next handler',
      async (path) => {
        const getUser = vi.fn(() => ADA)
        const app = await start({ getUser })
        expect(await app.send(path)).toMatchObject({ passedOn: true, appError: false })
        expect(getUser).not.toHaveBeenCalled()
      },
    )
  })

  describe('logged-out browser', () => {
    it('redirects to loginUrl with returnTo = the relative path and query', async () => {
      const app = await start({ loginUrl: '/login' })
      const path = '/sso/acme/login?redirect_url=https%3A%2F%2Feu.acme.example%2Fcb&lang=en'
      const sent = await app.send(path)
      expect(sent.status).toBe(302)
      const location = sent.headers.get('location')
      expect(location?.startsWith('/login?returnTo=')).toBe(true)
      expect(returnToOf(location)).toBe(path)
    })

    it('keeps the query loginUrl already has and works with an absolute loginUrl', async () => {
      const app = await start({ loginUrl: 'https://accounts.example/signin?app=kb' })
      const sent = await app.send('/sso/acme/login?x=1')
      expect(sent.status).toBe(302)
      const location = new URL(sent.headers.get('location') as string)
      expect(location.origin + location.pathname).toBe('https://accounts.example/signin')
      expect(location.searchParams.get('app')).toBe('kb')
      expect(returnToOf(location.href)).toBe('/sso/acme/login?x=1')
    })

    it('hands a loginUrl function the relative returnTo and the request', async () => {
      const loginUrl = vi.fn(
        (returnTo: string, _req: unknown) => `/signin#${encodeURIComponent(returnTo)}`,
      )
      const app = await start({ loginUrl })
      const sent = await app.send('/sso/acme/login?x=1')
      expect(sent.status).toBe(302)
      expect(sent.headers.get('location')).toBe('/signin#%2Fsso%2Facme%2Flogin%3Fx%3D1')
      expect(loginUrl).toHaveBeenCalledTimes(1)
      expect(loginUrl.mock.calls[0]?.[0]).toBe('/sso/acme/login?x=1')
      expect(loginUrl.mock.calls[0]?.[1]).toHaveProperty('headers')
    })

    it('answers a 401 page when there is no loginUrl', async () => {
      const app = await start()
      const sent = await app.send('/sso/acme/login')
      expect(sent.status).toBe(401)
      expect(sent.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(sent.headers.get('location')).toBeNull()
      expect(sent.body).toContain('Please sign in first')
      expect(sent.body).toContain('ERR_SSO_UNAUTHENTICATED')
    })

    it('answers an API route with 401 JSON {"error":{"code":"ERR_SSO_UNAUTHENTICATED"}}, loginUrl or not', async () => {
      const app = await start({ loginUrl: '/login', exposeErrors: false })
      const sent = await app.send('/sso/acme/token', { method: 'POST' })
      expect(sent.status).toBe(401)
      expect(sent.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(sent.headers.get('location')).toBeNull()
      expect(sent.body).toBe('{"error":{"code":"ERR_SSO_UNAUTHENTICATED"}}')
    })

    it('adds the developer message and vendor to the 401 JSON only when errors are exposed', async () => {
      const app = await start({ exposeErrors: true })
      const sent = await app.send('/sso/acme/token', { method: 'POST' })
      expect(JSON.parse(sent.body)).toEqual({
        error: {
          code: 'ERR_SSO_UNAUTHENTICATED',
          message: 'No user is signed in.',
          vendor: 'acme',
        },
      })
    })
  })

  describe('signed-in user', () => {
    it.each([
      ['a sync getUser', () => ADA],
      ['an async getUser', async () => ADA],
      [
        'a getUser that resolves later',
        () => new Promise<SsoUser>((r) => setTimeout(() => r(ADA), 20)),
      ],
    ])('redirects to the vendor with a signed token, from %s', async (_name, getUser) => {
      pinClock()
      const app = await start({ getUser, loginUrl: '/login' })
      const sent = await app.send('/sso/acme/login')
      expect(sent.status).toBe(302)
      const { url, payload, protectedHeader } = await tokenIn(sent.headers.get('location'))
      expect(url.origin + url.pathname).toBe(ACME_SSO_URL)
      expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
      expect(payload).toEqual({
        sub: ADA.id,
        email: ADA.email,
        name: 'Ada Lovelace',
        iat: PINNED_SECONDS,
        exp: PINNED_SECONDS + 300,
        jti: expect.stringMatching(UUID_V4),
      })
    })

    it('sends the token to an allow-listed redirect_url from the request', async () => {
      const app = await start({ getUser: () => ADA })
      const sent = await app.send(
        `/sso/acme/login?redirect_url=${encodeURIComponent('https://eu.acme.example/cb?state=s1')}`,
      )
      expect(sent.status).toBe(302)
      const { url, payload } = await tokenIn(sent.headers.get('location'))
      expect(url.host).toBe('eu.acme.example')
      expect(url.searchParams.get('state')).toBe('s1')
      expect(payload.sub).toBe(ADA.id)
    })

    it('calls getUser once per request', async () => {
      const getUser = vi.fn(() => ADA)
      const app = await start({ getUser })
      await app.send('/sso/acme/login')
      expect(getUser).toHaveBeenCalledTimes(1)
    })

    it('answers an API route with JSON', async () => {
      const app = await start({ getUser: () => ADA })
      const sent = await app.send('/sso/acme/token', { method: 'POST' })
      expect(sent.status).toBe(200)
      expect(sent.headers.get('content-type')).toBe('application/json; charset=utf-8')
      const body = JSON.parse(sent.body) as { token: string; expiresAt: number }
      expect(body).toEqual({ token: expect.any(String), expiresAt: expect.any(Number) })
    })

    it('refuses a user whose email is not verified with a 403', async () => {
      const app = await start({ getUser: () => ({ ...ADA, emailVerified: false }) })
      const sent = await app.send('/sso/acme/login')
      expect(sent.status).toBe(403)
      expect(sent.headers.get('location')).toBeNull()
      expect(sent.body).toContain('ERR_SSO_EMAIL_UNVERIFIED')
      expectNoSecretsIn(sent, ADA.email)
    })
  })

  describe('getUser failures', () => {
    it.each([
      [
        'throws',
        () => {
          throw new Error(GETUSER_SECRET)
        },
      ],
      ['rejects', async () => Promise.reject(new Error(GETUSER_SECRET))],
      ['throws a non-Error', () => Promise.reject(GETUSER_SECRET)],
    ])('answers a 500 page revealing nothing when getUser %s', async (_name, getUser) => {
      const app = await start({ getUser, loginUrl: '/login' })
      const sent = await app.send('/sso/acme/login')
      expect(sent.status).toBe(500)
      expect(sent.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(sent.body).toContain('Something went wrong')
      expect(sent.body).toContain('ERR_SSO_GET_USER_FAILED')
      expectNoSecretsIn(sent, GETUSER_SECRET, 'correct-horse', 'Error:')
    })

    it('answers an API route with 500 JSON naming only the code', async () => {
      const getUser = () => {
        throw new Error(GETUSER_SECRET)
      }
      const app = await start({ getUser, exposeErrors: false })
      const sent = await app.send('/sso/acme/token', { method: 'POST' })
      expect(sent.status).toBe(500)
      expect(sent.body).toBe('{"error":{"code":"ERR_SSO_GET_USER_FAILED"}}')
    })

    it('answers a 500 page revealing nothing when a vendor route throws', async () => {
      const app = await start({ getUser: () => ADA })
      const sent = await app.send('/sso/acme/boom')
      expect(sent.status).toBe(500)
      expect(sent.body).toContain('ERR_SSO_INTERNAL')
      expectNoSecretsIn(sent, BOOM_MESSAGE, 'hunter2')
    })
  })

  describe('invalid user shapes', () => {
    const SHAPES: [string, unknown][] = [
      ['an object without id', { email: ADA.email }],
      ['an empty id', { id: '', email: ADA.email }],
      ['a numeric id', { id: 42, email: ADA.email }],
      ['a non-string email', { id: 'u1', email: 42 }],
      ['a non-string name', { id: 'u1', email: ADA.email, name: { first: 'Ada' } }],
      ['a non-boolean emailVerified', { id: 'u1', email: ADA.email, emailVerified: 'yes' }],
      ['a string', 'ada'],
      ['an array', [ADA]],
      ['true', true],
      ['a number', 7],
    ]

    it.each(SHAPES)('answers 422 when getUser returns %s (browser route)', async (_name, user) => {
      const app = await start({ getUser: () => user as SsoUser, loginUrl: '/login' })
      const sent = await app.send('/sso/acme/login')
      expect(sent.status).toBe(422)
      expect(sent.headers.get('location')).toBeNull()
      expect(sent.body).toContain('ERR_SSO_USER_INVALID')
      expectNoSecretsIn(sent, ADA.email)
    })

    it.each(SHAPES)('answers 422 JSON when getUser returns %s (API route)', async (_name, user) => {
      const app = await start({ getUser: async () => user as SsoUser, exposeErrors: false })
      const sent = await app.send('/sso/acme/token', { method: 'POST' })
      expect(sent.status).toBe(422)
      expect(sent.body).toBe('{"error":{"code":"ERR_SSO_USER_INVALID"}}')
    })
  })

  describe('security headers', () => {
    const SCENARIOS: [
      string,
      Partial<AnyOptions>,
      string,
      RequestInit,
      number,
      'html' | 'json' | 'none',
    ][] = [
      ['a token redirect', { getUser: () => ADA }, '/sso/acme/login', {}, 302, 'none'],
      ['a login redirect', { loginUrl: '/login' }, '/sso/acme/login', {}, 302, 'none'],
      ['a relative redirect', {}, '/sso/acme/back?referrer_uri=%2Fhome', {}, 302, 'none'],
      ['a 401 page', {}, '/sso/acme/login', {}, 401, 'html'],
      ['a 401 JSON answer', {}, '/sso/acme/token', { method: 'POST' }, 401, 'json'],
      [
        'a token as JSON',
        { getUser: () => ADA },
        '/sso/acme/token',
        { method: 'POST' },
        200,
        'json',
      ],
      ['an HTML page', { getUser: () => ADA }, '/sso/acme/profile', {}, 200, 'html'],
      [
        'a refused redirect',
        { getUser: () => ADA },
        '/sso/acme/login?redirect_url=https%3A%2F%2Fevil.com',
        {},
        400,
        'html',
      ],
      ['a 405', {}, '/sso/acme/token', {}, 405, 'json'],
      ['a 422 page', { getUser: () => ({}) as SsoUser }, '/sso/acme/login', {}, 422, 'html'],
      ['a 500 page', { getUser: () => ADA }, '/sso/acme/boom', {}, 500, 'html'],
    ]

    it.each(SCENARIOS)(
      'sets no-store, no-cache and no-referrer on %s',
      async (_name, options, path, init, status, kind) => {
        const app = await start(options)
        const sent = await app.send(path, init)
        expect(sent.status).toBe(status)
        expect(sent.headers.get('cache-control')).toBe('no-store')
        expect(sent.headers.get('pragma')).toBe('no-cache')
        expect(sent.headers.get('referrer-policy')).toBe('no-referrer')
        expect(sent.headers.get('x-content-type-options')).toBe('nosniff')
        if (kind === 'html') {
          expect(sent.headers.get('content-type')).toBe('text/html; charset=utf-8')
          expect(sent.headers.get('content-security-policy')).toMatch(
            /(^|;\s*)frame-ancestors 'none'(;|$)/,
          )
          expect(sent.headers.get('content-security-policy')).toMatch(
            /(^|;\s*)default-src 'none'(;|$)/,
          )
        }
        if (kind === 'json')
          expect(sent.headers.get('content-type')).toBe('application/json; charset=utf-8')
      },
    )
  })

  describe('redirect targets are checked by the core', () => {
    it('refuses a redirect_url off the allow-list with a 400 and no token', async () => {
      const app = await start({ getUser: () => ADA })
      const sent = await app.send(
        `/sso/acme/login?redirect_url=${encodeURIComponent('https://acme.example.evil.com/')}`,
      )
      expect(sent.status).toBe(400)
      expect(sent.headers.get('location')).toBeNull()
      expect(sent.body).toContain('ERR_SSO_REDIRECT_NOT_ALLOWED')
      expect(sent.body).not.toContain('evil.com')
    })

    it('re-checks an allow-list redirect the vendor did not check itself', async () => {
      const app = await start({ getUser: () => ADA })
      const sent = await app.send(
        `/sso/acme/forward?to=${encodeURIComponent('https://evil.com/?jwt=x')}`,
      )
      expect(sent.status).toBe(400)
      expect(sent.headers.get('location')).toBeNull()
    })

    it('re-checks a relative redirect the vendor did not check itself', async () => {
      const app = await start()
      const sent = await app.send(
        `/sso/acme/back?referrer_uri=${encodeURIComponent('//evil.com/x')}`,
      )
      expect(sent.status).toBe(400)
      expect(sent.headers.get('location')).toBeNull()
    })
  })

  describe('malformed input', () => {
    it.each([
      [
        'a repeated parameter',
        '/sso/acme/login?redirect_url=https%3A%2F%2Facme.example&redirect_url=https%3A%2F%2Fevil.com',
      ],
      ['a badly encoded parameter', '/sso/acme/login?redirect_url=%E0%A4%A'],
      ['an invalid percent escape', '/sso/acme/login?redirect_url=%ZZ'],
      [
        'a parameter over 4096 characters',
        `/sso/acme/login?redirect_url=https%3A%2F%2Facme.example%2F${'a'.repeat(5000)}`,
      ],
      ['a bad escape on a route that reads no parameter', '/sso/acme/profile?utm=%ZZ'],
      ['a bad escape in a parameter name', '/sso/acme/login?%E0%A4%A=1'],
    ])('answers %s with a 400 ERR_SSO_BAD_REQUEST and no token', async (_name, path) => {
      const app = await start({ getUser: () => ADA })
      const sent = await app.send(path)
      expect(sent.status).toBe(400)
      expect(sent.headers.get('location')).toBeNull()
      expect(sent.body).toContain('ERR_SSO_BAD_REQUEST')
    })
  })

  describe("onError: 'next'", () => {
    it("hands a request-time SsoError to the app's error handler", async () => {
      const cause = new Error(GETUSER_SECRET)
      const app = await start({
        getUser: () => {
          throw cause
        },
        onError: 'next',
      })
      const sent = await app.send('/sso/acme/login')
      expect(sent.appError).toBe(true)
      expect(app.errors).toHaveLength(1)
      const error = app.errors[0]
      expect(error).toBeInstanceOf(SsoError)
      expect(error).toMatchObject({
        code: 'ERR_SSO_GET_USER_FAILED',
        message: 'getUser threw.',
        status: 500,
        vendor: 'acme',
        cause,
      })
    })

    it("hands a refused redirect, a bad query and a logged-out API call to the app's error handler", async () => {
      let user: SsoUser | null = ADA
      const app = await start({ getUser: () => user, onError: 'next' })
      const refused = await app.send('/sso/acme/login?redirect_url=https%3A%2F%2Fevil.com')
      await app.send('/sso/acme/login?redirect_url=%ZZ')
      user = null
      await app.send('/sso/acme/token', { method: 'POST' })
      expect(refused.headers.get('location')).toBeNull()
      expect(app.errors).toEqual([
        expect.objectContaining({ code: 'ERR_SSO_REDIRECT_NOT_ALLOWED', status: 400 }),
        expect.objectContaining({ code: 'ERR_SSO_BAD_REQUEST', status: 400 }),
        expect.objectContaining({ code: 'ERR_SSO_UNAUTHENTICATED', status: 401 }),
      ])
      for (const error of app.errors) expect(error).toBeInstanceOf(SsoError)
    })

    it('still redirects a logged-out browser to loginUrl', async () => {
      const app = await start({ loginUrl: '/login', onError: 'next' })
      const sent = await app.send('/sso/acme/login')
      expect(sent.status).toBe(302)
      expect(app.errors).toEqual([])
    })

    it("hands a 405 to the app's error handler like every other request-time error", async () => {
      const app = await start({ onError: 'next' })
      const sent = await app.send('/sso/acme/token')
      expect(sent.appError).toBe(true)
      expect(app.errors).toEqual([
        expect.objectContaining({ code: 'ERR_SSO_METHOD_NOT_ALLOWED', status: 405, allow: 'POST' }),
      ])
    })

    it("hands a badly encoded path to the app's error handler like every other request-time error", async () => {
      const app = await start({ basePath: '/t/:tenant/sso', onError: 'next' })
      const sent = await app.send('/t/%ZZ/sso/acme/login')
      if (host.routerRefusesBadPaths) {
        // Fastify answers before any plugin runs: still a 400 that echoes nothing of ours.
        expect(sent.status).toBe(400)
        expect(JSON.parse(sent.body)).toMatchObject({ code: 'FST_ERR_BAD_URL' })
        expect(app.errors).toEqual([])
        return
      }
      expect(sent.appError).toBe(true)
      expect(app.errors).toEqual([
        expect.objectContaining({ code: 'ERR_SSO_BAD_REQUEST', status: 400 }),
      ])
    })
  })

  describe('onEvent', () => {
    it('reports what happened by user id only: never the email or the token', async () => {
      const events: SsoEvent[] = []
      let user: SsoUser | null = ADA
      const app = await start({
        getUser: () => user,
        onEvent: (e) => events.push(e),
        loginUrl: '/login',
      })

      const issued = await app.send('/sso/acme/login')
      const { jwt, payload } = await tokenIn(issued.headers.get('location'))
      await app.send('/sso/acme/login?redirect_url=https%3A%2F%2Fevil.com')
      await app.send('/sso/acme/login?redirect_url=%ZZevil.com')
      user = { ...ADA, emailVerified: false }
      await app.send('/sso/acme/login')
      user = null
      await app.send('/sso/acme/login')
      await app.send('/sso/acme/boom')

      expect(events).toEqual([
        { type: 'token.issued', vendor: 'acme', route: 'login', userId: ADA.id, jti: payload.jti },
        {
          type: 'request.refused',
          vendor: 'acme',
          route: 'login',
          code: 'ERR_SSO_REDIRECT_NOT_ALLOWED',
        },
        { type: 'request.refused', vendor: 'acme', route: 'login', code: 'ERR_SSO_BAD_REQUEST' },
        {
          type: 'request.refused',
          vendor: 'acme',
          route: 'login',
          code: 'ERR_SSO_EMAIL_UNVERIFIED',
        },
        { type: 'login.required', vendor: 'acme', route: 'login', code: 'ERR_SSO_UNAUTHENTICATED' },
        { type: 'error', vendor: 'acme', route: 'boom', code: 'ERR_SSO_INTERNAL' },
      ])
      const all = JSON.stringify(events)
      for (const secret of [ADA.email, jwt, HS256_SECRET, 'evil.com', BOOM_MESSAGE]) {
        expect(all).not.toContain(secret)
      }
    })

    it('reports a getUser failure as an error event without its message', async () => {
      const events: SsoEvent[] = []
      const app = await start({
        getUser: () => {
          throw new Error(GETUSER_SECRET)
        },
        onEvent: (e) => events.push(e),
      })
      await app.send('/sso/acme/token', { method: 'POST' })
      expect(events).toEqual([
        { type: 'error', vendor: 'acme', route: 'token', code: 'ERR_SSO_GET_USER_FAILED' },
      ])
    })

    it('answers as usual when onEvent throws', async () => {
      const onEvent = vi.fn(() => {
        throw new Error('audit log is down')
      })
      const app = await start({ getUser: () => ADA, onEvent })
      const signedIn = await app.send('/sso/acme/login')
      expect(signedIn.status).toBe(302)
      await tokenIn(signedIn.headers.get('location'))

      const loggedOut = await host.start({
        getUser: () => null,
        vendors: [acme()],
        onEvent,
        loginUrl: '/login',
      })
      try {
        const sent = await loggedOut.send('/sso/acme/login')
        expect(sent.status).toBe(302)
        expect(returnToOf(sent.headers.get('location'))).toBe('/sso/acme/login')
      } finally {
        await loggedOut.close()
      }
      expect(onEvent).toHaveBeenCalledTimes(2)
    })
  })

  describe('onLogout', () => {
    it('runs onLogout before the vendor redirects back', async () => {
      const onLogout = vi.fn(async () => {})
      const app = await start({ getUser: () => ADA, onLogout })
      const sent = await app.send('/sso/acme/logout')
      expect(sent.status).toBe(302)
      expect(sent.headers.get('location')).toBe('/')
      expect(onLogout).toHaveBeenCalledTimes(1)
    })
  })

  describe('ready', () => {
    it('resolves once every vendor key is imported', async () => {
      const app = await start({ vendors: [acme(), beta()] })
      await expect(app.ready).resolves.toBeUndefined()
    })

    it('rejects with ERR_SSO_CONFIG for a bad key, and requests answer 500 without the key', async () => {
      const app = await start({
        getUser: () => ADA,
        vendors: [acme({ key: { privateKey: GARBAGE_PEM, algorithm: 'RS256' } })],
      })
      await expect(app.ready).rejects.toMatchObject({
        code: 'ERR_SSO_CONFIG',
        message:
          'acme(): the RS256 key could not be imported; check that it is a valid private key.',
      })
      const sent = await app.send('/sso/acme/login')
      expect(sent.status).toBe(500)
      expect(sent.headers.get('location')).toBeNull()
      expectNoSecretsIn(sent, 'bm90IGEga2V5', ADA.email)
    })
  })

  describe('HEAD', () => {
    it('answers HEAD on a page like GET, without a body', async () => {
      const app = await start({ getUser: () => ADA })
      const sent = await app.send('/sso/acme/profile', { method: 'HEAD' })
      expect(sent.status).toBe(200)
      expect(sent.body).toBe('')
      expect(sent.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(sent.headers.get('cache-control')).toBe('no-store')
    })

    it('redirects a logged-out HEAD like GET', async () => {
      const app = await start({ loginUrl: '/login' })
      const sent = await app.send('/sso/acme/login?x=1', { method: 'HEAD' })
      expect(sent.status).toBe(302)
      expect(returnToOf(sent.headers.get('location'))).toBe('/sso/acme/login?x=1')
    })

    it('answers HEAD on a POST-only route with 405 and Allow: POST', async () => {
      const app = await start()
      const sent = await app.send('/sso/acme/token', { method: 'HEAD' })
      expect(sent.status).toBe(405)
      expect(sent.headers.get('allow')).toBe('POST')
    })
  })
})

describe.each(byName(HOSTS.filter((h) => h.mounts)))(
  "%s mounted with app.use('/prefix', middleware)",
  (_name, host) => {
    let running: Running | undefined
    afterEach(async () => {
      await running?.close()
      running = undefined
    })

    async function start(options: Partial<AnyOptions>): Promise<Running> {
      running = await host.start({ getUser: () => null, vendors: [acme()], ...options }, '/prefix')
      return running
    }

    it('serves routes under the prefix and builds returnTo from the full path', async () => {
      const app = await start({ loginUrl: '/login' })
      const sent = await app.send('/prefix/sso/acme/login?x=1')
      expect(sent.status).toBe(302)
      expect(returnToOf(sent.headers.get('location'))).toBe('/prefix/sso/acme/login?x=1')
    })

    it('signs users in under the prefix', async () => {
      const app = await start({ getUser: () => ADA })
      const sent = await app.send('/prefix/sso/acme/login')
      expect((await tokenIn(sent.headers.get('location'))).payload.sub).toBe(ADA.id)
    })

    it('leaves the unprefixed path to the app', async () => {
      const app = await start({ getUser: () => ADA })
      expect(await app.send('/sso/acme/login')).toMatchObject({ passedOn: true })
    })
  },
)
