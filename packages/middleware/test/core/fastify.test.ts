// The Fastify plugin's own behaviour, beyond the shared host suites it runs too (`HOSTS`): a real
// `@fastify/session`, Fastify's `prefix` and encapsulation, body parsing, `onLogout(request,
// reply)`, `onError: 'next'`, `trustProxy`, and the `app.sso` decorator.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import {
  ACME_SSO_URL,
  ADA,
  acme,
  PINNED_DATE,
  PINNED_SECONDS,
  pinClock,
  SECRETS,
  unpinClock,
} from '@sso/fixtures'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { komo, SsoError, type SsoUser, ssoPlugin } from '../../src/fastify'

declare module 'fastify' {
  interface Session {
    ssoTestUser?: SsoUser
  }
}

const SESSION_SECRET = 'fastify-session-fixture-secret-0123456789abcdef'
const TOKEN = '/sso/komo/token'

let apps: FastifyInstance[] = []
beforeEach(() => pinClock())
afterEach(async () => {
  unpinClock()
  await Promise.all(apps.map((app) => app.close()))
  apps = []
})

/** Starts `app` on a free loopback port; closed after the test. */
async function serve(app: FastifyInstance): Promise<string> {
  apps.push(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}

const komoVendor = () => komo({ secret: SECRETS.komo, expiresIn: 600 })
const getUser = (request: FastifyRequest) => request.session?.ssoTestUser ?? null

/** An app with a real `@fastify/session` and a login route that puts `ADA` in it. */
async function sessionApp(
  register: (app: FastifyInstance) => PromiseLike<unknown> = (app) =>
    app.register(ssoPlugin, { getUser, loginUrl: '/login', vendors: [komoVendor(), acme()] }),
): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: SESSION_SECRET,
    cookieName: 'sid',
    cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
  })
  app.post('/login', async (request) => {
    await request.session.regenerate()
    request.session.ssoTestUser = ADA
    return { ok: true }
  })
  await register(app)
  return app
}

async function logIn(url: string): Promise<string> {
  const response = await fetch(`${url}/login`, { method: 'POST' })
  expect(response.status).toBe(200)
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  expect(cookie).toMatch(/^sid=/)
  return cookie as string
}

async function komoClaims(response: Response) {
  expect(response.status).toBe(200)
  const { token, expiresAt } = (await response.json()) as { token: string; expiresAt: number }
  const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRETS.komo), {
    algorithms: ['HS256'],
    currentDate: PINNED_DATE,
  })
  expect(expiresAt).toBe(PINNED_SECONDS + 600)
  return payload
}

const ADA_CLAIMS = {
  sub: ADA.id,
  email: ADA.email,
  first_name: 'Ada',
  last_name: 'Lovelace',
  iat: PINNED_SECONDS,
  exp: PINNED_SECONDS + 600,
}

describe('ssoPlugin with @fastify/session', () => {
  it("signs in the session's user: getUser receives the Fastify request", async () => {
    const url = await serve(await sessionApp())
    const loggedOut = await fetch(`${url}${TOKEN}`, { method: 'POST' })
    expect(loggedOut.status).toBe(401)
    expect(await loggedOut.json()).toMatchObject({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } })

    const cookie = await logIn(url)
    const signedIn = await fetch(`${url}${TOKEN}`, { method: 'POST', headers: { cookie } })
    expect(signedIn.headers.get('cache-control')).toBe('no-store')
    expect(signedIn.headers.get('pragma')).toBe('no-cache')
    expect(signedIn.headers.get('referrer-policy')).toBe('no-referrer')
    expect(await komoClaims(signedIn)).toEqual(ADA_CLAIMS)
  })

  it('sends a logged-out browser to loginUrl with the path it asked for, then signs it in', async () => {
    const url = await serve(await sessionApp())
    const target = '/sso/acme/login?redirect_url=https%3A%2F%2Facme.example%2Fback'
    const out = await fetch(`${url}${target}`, { redirect: 'manual' })
    expect(out.status).toBe(302)
    expect(out.headers.get('location')).toBe(`/login?returnTo=${encodeURIComponent(target)}`)

    const cookie = await logIn(url)
    const back = await fetch(`${url}${target}`, { redirect: 'manual', headers: { cookie } })
    expect(back.status).toBe(302)
    const location = new URL(back.headers.get('location') as string)
    expect(`${location.origin}${location.pathname}`).toBe('https://acme.example/back')
    expect(location.searchParams.get('jwt')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(back.headers.get('content-type')).toBeNull()
  })

  it('gives onLogout the request and the reply: the session ends and a cookie the reply clears is sent', async () => {
    const seen: { session: boolean; reply: boolean }[] = []
    const app = await sessionApp((app) =>
      app.register(ssoPlugin, {
        getUser,
        vendors: [acme()],
        onLogout: async (request, reply) => {
          seen.push({
            session: request.session.ssoTestUser?.id === ADA.id,
            reply: reply.sent === false,
          })
          reply.clearCookie('app_prefs', { path: '/' })
          await request.session.destroy()
        },
      }),
    )
    const url = await serve(app)
    const cookie = await logIn(url)
    const out = await fetch(`${url}/sso/acme/logout`, { redirect: 'manual', headers: { cookie } })
    expect(out.status).toBe(302)
    expect(out.headers.get('location')).toBe('/')
    expect(out.headers.getSetCookie().some((c) => c.startsWith('app_prefs=;'))).toBe(true)
    expect(seen).toEqual([{ session: true, reply: true }])
    const after = await fetch(`${url}${TOKEN}`, { method: 'POST', headers: { cookie } })
    expect(after.status).toBe(404)
  })
})

describe('prefix and encapsulation', () => {
  it("mounts under the register call's prefix, inside a plugin's own prefix, with returnTo the full path", async () => {
    const app = Fastify()
    let user: SsoUser | null = null
    await app.register(
      async (api) => {
        await api.register(ssoPlugin, {
          getUser: () => user,
          loginUrl: '/login',
          vendors: [komoVendor(), acme()],
          prefix: '/v1',
        })
      },
      { prefix: '/api' },
    )
    app.setNotFoundHandler((_request, reply) => reply.code(404).send('app: not found'))
    const url = await serve(app)
    const out = await fetch(`${url}/api/v1/sso/acme/login?x=1`, { redirect: 'manual' })
    expect(out.headers.get('location')).toBe(
      `/login?returnTo=${encodeURIComponent('/api/v1/sso/acme/login?x=1')}`,
    )
    user = ADA
    expect(await komoClaims(await fetch(`${url}/api/v1${TOKEN}`, { method: 'POST' }))).toEqual(
      ADA_CLAIMS,
    )
    for (const path of [TOKEN, `/api${TOKEN}`, '/api/v1/sso/nothing']) {
      const missed = await fetch(`${url}${path}`, { method: 'POST' })
      expect([path, missed.status, await missed.text()]).toEqual([path, 404, 'app: not found'])
    }
  })

  it("keeps to its context: the app's own routes, parsers and decorators are untouched", async () => {
    const app = Fastify({ bodyLimit: 1024 })
    await app.register(ssoPlugin, { getUser: () => ADA, vendors: [komoVendor()] })
    app.get('/sso/status', async () => 'app route')
    app.post('/echo', async (request) => request.body)
    await app.register(async (sibling) => {
      sibling.get('/sibling', async () => (sibling.hasDecorator('sso') ? 'sees sso' : 'no sso'))
    })
    const url = await serve(app)
    expect(await (await fetch(`${url}/sso/status`)).text()).toBe('app route')
    expect(await (await fetch(`${url}/sibling`)).text()).toBe('sees sso')
    const json = { method: 'POST', headers: { 'content-type': 'application/json' } }
    expect(await (await fetch(`${url}/echo`, { ...json, body: '{"a":1}' })).json()).toEqual({
      a: 1,
    })
    expect((await fetch(`${url}/echo`, { ...json, body: '{bad' })).status).toBe(400)
    expect((await fetch(`${url}/echo`, { ...json, body: 'x'.repeat(2048) })).status).toBe(413)
  })

  it('is visible only inside the plugin that registers it', async () => {
    const app = Fastify()
    let inside: SsoError | boolean = false
    await app.register(async (child) => {
      await child.register(ssoPlugin, { getUser: () => ADA, vendors: [komoVendor()] })
      inside = child.hasDecorator('sso')
    })
    await app.ready()
    apps.push(app)
    expect(inside).toBe(true)
    expect(app.hasDecorator('sso')).toBe(false)
  })

  it("runs the app's hooks before its routes", async () => {
    const app = Fastify()
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers['x-blocked']) return reply.code(429).send('slow down')
    })
    await app.register(ssoPlugin, { getUser: () => ADA, vendors: [komoVendor()] })
    const url = await serve(app)
    const blocked = await fetch(`${url}${TOKEN}`, { method: 'POST', headers: { 'x-blocked': '1' } })
    expect(blocked.status).toBe(429)
    expect(await komoClaims(await fetch(`${url}${TOKEN}`, { method: 'POST' }))).toEqual(ADA_CLAIMS)
  })
})

describe('request bodies', () => {
  // The routes read no body; every host leaves it unread. Fastify must not parse it first and
  // answer 400, 413 or 415 instead of the route.
  it.each([
    ['no body', undefined, undefined],
    ['an empty JSON body', 'application/json', ''],
    ['a JSON body', 'application/json', '{"user":{"id":"mallory"}}'],
    ['malformed JSON', 'application/json', '{bad'],
    ['a text/plain body', 'text/plain', 'hello'],
    ['a form body', 'application/x-www-form-urlencoded', 'id=mallory'],
    ['an unknown type', 'application/x-unknown', 'x'],
    ['a body of 5 MB, over Fastify bodyLimit', 'application/json', 'x'.repeat(5 * 1024 * 1024)],
  ])(
    'serves a token POST with %s, reading identity from the session only',
    async (_, type, body) => {
      const app = Fastify({ bodyLimit: 1024 })
      await app.register(ssoPlugin, { getUser: () => ADA, vendors: [komoVendor()] })
      const url = await serve(app)
      const response = await fetch(`${url}${TOKEN}`, {
        method: 'POST',
        body,
        headers: type ? { 'content-type': type } : {},
      })
      expect(await komoClaims(response)).toEqual(ADA_CLAIMS)
    },
  )
})

describe("onError: 'next'", () => {
  it("hands request-time errors to Fastify's error handler", async () => {
    const app = Fastify()
    const errors: unknown[] = []
    app.setErrorHandler((error, _request, reply) => {
      errors.push(error)
      return reply.code(418).send('app error handler')
    })
    await app.register(ssoPlugin, { getUser: () => null, vendors: [komoVendor()], onError: 'next' })
    const url = await serve(app)
    const response = await fetch(`${url}${TOKEN}`, { method: 'POST' })
    expect([response.status, await response.text()]).toEqual([418, 'app error handler'])
    expect(errors).toEqual([expect.any(SsoError)])
    expect(errors[0]).toMatchObject({ code: 'ERR_SSO_UNAUTHENTICATED', status: 401 })
  })

  it("answers with the error's status under Fastify's default handler", async () => {
    const app = Fastify()
    await app.register(ssoPlugin, { getUser: () => null, vendors: [komoVendor()], onError: 'next' })
    const url = await serve(app)
    const response = await fetch(`${url}${TOKEN}`, { method: 'POST' })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ code: 'ERR_SSO_UNAUTHENTICATED' })
  })
})

describe('trustProxy', () => {
  // Komo's token route refuses an Origin other than the app's own; the app's origin is what
  // Fastify says: `request.protocol` and `request.host`, which honour `trustProxy`.
  const behindProxy = {
    method: 'POST',
    headers: {
      origin: 'https://app.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example',
    },
  }

  it.each([
    [true, 200],
    [false, 403],
  ])('with trustProxy %s answers %i to the public origin', async (trustProxy, status) => {
    const app = Fastify({ trustProxy })
    await app.register(ssoPlugin, { getUser: () => ADA, vendors: [komoVendor()] })
    const url = await serve(app)
    const response = await fetch(`${url}${TOKEN}`, behindProxy)
    expect(response.status).toBe(status)
  })
})

describe('registration', () => {
  it('exposes ready, invalidate and invalidateAll on app.sso', async () => {
    const app = Fastify()
    await app.register(ssoPlugin, { getUser: () => ADA, vendors: [komoVendor()] })
    apps.push(app)
    await expect(app.sso.ready).resolves.toBeUndefined()
    expect(typeof app.sso.invalidate).toBe('function')
    expect(typeof app.sso.invalidateAll).toBe('function')
  })

  it('refuses a second registration in one context without its own decorator, and takes one with it', async () => {
    const app = Fastify()
    apps.push(app)
    await app.register(ssoPlugin, { getUser: () => ADA, vendors: [komoVendor()] })
    await expect(
      app.register(ssoPlugin, {
        getUser: () => ADA,
        basePath: '/t/:tenant/sso',
        tenants: { resolve: () => [komoVendor()] },
      }),
    ).rejects.toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message:
        'ssoPlugin(): this Fastify instance already has an "sso" decorator (a second registration?). Give this one its own: app.register(ssoPlugin, { decorator: \'ssoTenants\', ... }), or decorator: false.',
    })
  })

  it('serves vendors and tenants side by side under their own decorators', async () => {
    const app = Fastify()
    await app.register(ssoPlugin, { getUser: () => ADA, vendors: [komoVendor()] })
    await app.register(ssoPlugin, {
      getUser: () => ADA,
      basePath: '/t/:tenant/sso',
      tenants: { resolve: (tenant) => (tenant === 'acme' ? [komoVendor()] : null) },
      decorator: 'ssoTenants',
    })
    const url = await serve(app)
    expect((app as unknown as Record<string, unknown>).ssoTenants).toMatchObject({
      ready: expect.any(Promise),
    })
    expect(await komoClaims(await fetch(`${url}${TOKEN}`, { method: 'POST' }))).toEqual(ADA_CLAIMS)
    expect(await komoClaims(await fetch(`${url}/t/acme${TOKEN}`, { method: 'POST' }))).toEqual(
      ADA_CLAIMS,
    )
    expect((await fetch(`${url}/t/globex${TOKEN}`, { method: 'POST' })).status).toBe(404)
  })

  it.each([
    [
      'no options',
      undefined,
      'ssoPlugin(): `getUser` must be a function returning the signed-in user or null, e.g. (req) => req.session?.user ?? null.',
    ],
    [
      'a bad decorator',
      { getUser: () => null, vendors: [], decorator: '' },
      'ssoPlugin(): `decorator` must be a non-empty name such as "sso", or false.',
    ],
  ])('fails registration with ERR_SSO_CONFIG for %s', async (_, options, message) => {
    const app = Fastify()
    apps.push(app)
    await expect(
      app.register(ssoPlugin, options as unknown as Parameters<typeof ssoPlugin>[1]),
    ).rejects.toMatchObject({ code: 'ERR_SSO_CONFIG', message })
  })

  it("refuses an unknown option, but not Fastify's own register options", async () => {
    const app = Fastify()
    apps.push(app)
    await app.register(ssoPlugin, {
      getUser: () => null,
      vendors: [komoVendor()],
      prefix: '/x',
      logLevel: 'silent',
    } as Parameters<typeof ssoPlugin>[1])
    const other = Fastify()
    apps.push(other)
    await expect(
      other.register(ssoPlugin, {
        getUser: () => null,
        vendors: [komoVendor()],
        loginURL: '/login',
      } as Parameters<typeof ssoPlugin>[1]),
    ).rejects.toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message: expect.stringContaining('loginURL'),
    })
  })
})

// The redirect and its claims, as the app's browser would see it under the plugin (acme).
it('redirects with the acme token to the configured vendor URL', async () => {
  const app = Fastify()
  await app.register(ssoPlugin, { getUser: () => ADA, vendors: [acme()] })
  const url = await serve(app)
  const response = await fetch(`${url}/sso/acme/login`, { redirect: 'manual' })
  expect(response.status).toBe(302)
  expect(response.headers.get('location')?.startsWith(`${ACME_SSO_URL}?jwt=`)).toBe(true)
})
