// The Fetch handler as real apps use it (#15): the framework's context handed to every app hook,
// `onLogout` adding headers (a cleared cookie) to the Response, and lazy options built on first
// use so a build step needs no secrets.
import { ACME_SSO_URL, ADA, ALICE, acme, SECRETS } from '@sso/fixtures'
import { describe, expect, expectTypeOf, it, vi } from 'vitest'
import { isSsoError, komo, type SsoFetchHandler, ssoHandler } from '../../src/fetch'

const APP = 'https://app.example.com'
const get = (path: string, init: RequestInit = {}) =>
  new Request(`${APP}${path}`, {
    ...init,
    headers: { 'sec-fetch-dest': 'document', ...init.headers },
  })
const post = (path: string) =>
  new Request(`${APP}${path}`, {
    method: 'POST',
    headers: { origin: APP, 'sec-fetch-site': 'same-origin' },
  })

interface HonoLike {
  var: { user: typeof ALICE | null; tenantOf?: string }
}
const ctx = (user: typeof ALICE | null, tenantOf?: string): HonoLike => ({
  var: { user, tenantOf },
})

describe('the context argument', () => {
  it('reaches getUser: the user comes from the framework context, not the request', async () => {
    const sso = ssoHandler<Request, HonoLike>({
      getUser: (_req, c) => c.var.user,
      vendors: [komo({ secret: SECRETS.komo })],
    })
    const signedIn = await sso(post('/sso/komo/token'), ctx(ALICE))
    expect(signedIn?.status).toBe(200)
    const out = await sso(post('/sso/komo/token'), ctx(null))
    expect(out?.status).toBe(401)
  })

  it('reaches loginUrl, onLogout and both tenant hooks as their last argument', async () => {
    const seen: Record<string, unknown> = {}
    const context = ctx(ALICE, 'acme')
    const sso = ssoHandler<Request, HonoLike>({
      getUser: (_req, c) => {
        seen.getUser = c
        return c.var.user
      },
      loginUrl: (returnTo, _req, c) => {
        seen.loginUrl = c
        return `/login?returnTo=${encodeURIComponent(returnTo)}`
      },
      onLogout: (_req, _res, c) => {
        seen.onLogout = c
      },
      basePath: '/sso',
      tenants: {
        id: (_req, c) => {
          seen.id = c
          return c.var.tenantOf ?? null
        },
        authorize: (_user, _tenant, _req, c) => {
          seen.authorize = c
          return true
        },
        resolve: () => [acme()],
      },
    })
    expect((await sso(get('/sso/acme/login'), context))?.status).toBe(302)
    expect((await sso(get('/sso/acme/logout'), context))?.status).toBe(302)
    const loggedOut = ctx(null, 'acme')
    const login = await sso(get('/sso/acme/login'), loggedOut)
    expect(login?.headers.get('location')).toBe('/login?returnTo=%2Fsso%2Facme%2Flogin')
    expect(seen).toEqual({
      getUser: loggedOut,
      loginUrl: loggedOut,
      onLogout: context,
      id: loggedOut,
      authorize: context,
    })
  })

  it('is undefined when the handler is called with the request alone', async () => {
    const getUser = vi.fn((_req: Request, _c: undefined) => ALICE)
    const sso = ssoHandler({ getUser, vendors: [acme()] })
    await sso(get('/sso/acme/login'))
    expect(getUser).toHaveBeenCalledTimes(1)
    expect(getUser.mock.calls[0]?.[1]).toBeUndefined()
  })

  it('is typed by the Ctx parameter: required when named, absent otherwise', () => {
    const plain = ssoHandler({ getUser: () => null, vendors: [acme()] })
    expectTypeOf(plain).parameters.toEqualTypeOf<[request: Request, context?: undefined]>()
    const typed: SsoFetchHandler<Request, HonoLike> = ssoHandler<Request, HonoLike>({
      getUser: (_req, c) => {
        expectTypeOf(c).toEqualTypeOf<HonoLike>()
        return c.var.user
      },
      vendors: [acme()],
    })
    expectTypeOf(typed).parameters.toEqualTypeOf<[request: Request, context: HonoLike]>()
    // @ts-expect-error the context is required once Ctx names one
    void (() => typed(get('/')))
  })
})

describe('onLogout adds headers to the Response', () => {
  const logoutHandler = (
    onLogout: Parameters<typeof ssoHandler>[0] extends infer O
      ? O extends { onLogout?: infer L }
        ? L
        : never
      : never,
  ) => ssoHandler({ getUser: () => ALICE, vendors: [acme()], onLogout })

  it('clears the session cookie on the logout redirect, every cookie kept apart', async () => {
    const sso = logoutHandler((_req, res) => {
      res.headers.append('Set-Cookie', 'sid=; Max-Age=0; Path=/; HttpOnly')
      res.headers.append('Set-Cookie', 'csrf=; Max-Age=0; Path=/')
      res.headers.set('X-Logged-Out', '1')
    })
    const res = await sso(get('/sso/acme/logout'))
    expect(res?.status).toBe(302)
    expect(res?.headers.get('location')).toBe('/')
    expect(res?.headers.getSetCookie()).toEqual([
      'sid=; Max-Age=0; Path=/; HttpOnly',
      'csrf=; Max-Age=0; Path=/',
    ])
    expect(res?.headers.get('x-logged-out')).toBe('1')
  })

  it('cannot replace a header the core sets: Location, Cache-Control and the security headers keep the core value', async () => {
    const sso = logoutHandler((_req, res) => {
      res.headers.set('Location', 'https://evil.example/')
      res.headers.set('Cache-Control', 'public, max-age=3600')
      res.headers.set('Referrer-Policy', 'unsafe-url')
    })
    const res = await sso(get('/sso/acme/logout'))
    expect(res?.headers.get('location')).toBe('/')
    expect(res?.headers.get('cache-control')).toContain('no-store')
    expect(res?.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('adds nothing when onLogout touches no header, and an async onLogout is awaited', async () => {
    let done = false
    const sso = logoutHandler(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      done = true
      res.headers.append('Set-Cookie', 'sid=; Max-Age=0')
    })
    const res = await sso(get('/sso/acme/logout'))
    expect(done).toBe(true)
    expect(res?.headers.getSetCookie()).toEqual(['sid=; Max-Age=0'])
    const quiet = await logoutHandler(() => {})(get('/sso/acme/logout'))
    expect(quiet?.headers.getSetCookie()).toEqual([])
  })
})

describe('lazy options', () => {
  it('are not read at construction: no secret needed until the first request', async () => {
    const options = vi.fn(() => ({
      getUser: () => ALICE,
      vendors: [komo({ secret: SECRETS.komo })],
    }))
    const sso = ssoHandler(options)
    expect(options).not.toHaveBeenCalled()
    const [a, b] = await Promise.all([sso(post('/sso/komo/token')), sso(post('/sso/komo/token'))])
    expect(a?.status).toBe(200)
    expect(b?.status).toBe(200)
    await sso(post('/sso/komo/token'))
    expect(options).toHaveBeenCalledTimes(1)
  })

  it('may be async, and `ready` builds them', async () => {
    const options = vi.fn(async () => ({ getUser: () => ADA, vendors: [acme()] }))
    const sso = ssoHandler(options)
    await sso.ready
    expect(options).toHaveBeenCalledTimes(1)
    const res = await sso(get('/sso/acme/login'))
    expect(
      new URL(res?.headers.get('location') ?? '').origin +
        new URL(res?.headers.get('location') ?? '').pathname,
    ).toBe(ACME_SSO_URL)
    expect(await sso(get('/elsewhere'))).toBeNull()
    expect(options).toHaveBeenCalledTimes(1)
  })

  it('fail loudly on first use when invalid: every call rejects with the same ERR_SSO_CONFIG naming the option', async () => {
    const sso = ssoHandler(() => ({
      getUser: () => ALICE,
      vendors: [komo({ secret: SECRETS.komo })],
      basePath: 'sso',
    }))
    const first = await sso(post('/sso/komo/token')).catch((error: unknown) => error)
    expect(isSsoError(first) && first.code).toBe('ERR_SSO_CONFIG')
    expect((first as Error).message).toContain('ssoHandler({ basePath })')
    const again = await sso(post('/sso/komo/token')).catch((error: unknown) => error)
    expect(again).toBe(first)
    await expect(sso.ready).rejects.toBe(first)
  })

  it("pass a factory's own ERR_SSO_CONFIG through unchanged", async () => {
    const sso = ssoHandler(() => ({ getUser: () => ALICE, vendors: [komo({ secret: 'short' })] }))
    const error = await sso(post('/sso/komo/token')).catch((e: unknown) => e)
    expect(isSsoError(error) && error.code).toBe('ERR_SSO_CONFIG')
    expect((error as Error).message).toMatch(/^komo\(\)/)
  })

  it('fail loudly when the options function throws (a missing secret), with the cause kept off the message', async () => {
    const sso = ssoHandler(() => {
      throw new Error('KOMO_SSO_SECRET is not set')
    })
    const error = await sso(post('/sso/komo/token')).catch((e: unknown) => e)
    expect(isSsoError(error) && error.code).toBe('ERR_SSO_CONFIG')
    expect((error as Error).message).toBe('The options function given to ssoHandler() threw.')
    expect(((error as Error).cause as Error).message).toBe('KOMO_SSO_SECRET is not set')
  })

  it('invalidate and invalidateAll before the first request do nothing and do not build', () => {
    const options = vi.fn(() => ({ getUser: () => ALICE, vendors: [acme()] }))
    const sso = ssoHandler(options)
    sso.invalidate('acme')
    sso.invalidateAll()
    expect(options).not.toHaveBeenCalled()
  })
})

describe("the request's origin, for the same-origin rule", () => {
  const sso = ssoHandler({ getUser: () => ALICE, vendors: [komo({ secret: SECRETS.komo })] })
  // `next start` builds Request.url from its own address, whatever Host the browser sent.
  const asNextStartBuildsIt = (headers: Record<string, string>) =>
    new Request('http://localhost:3000/sso/komo/token', { method: 'POST', headers })

  it('is the Host the browser sent, with the URL scheme, when the server builds the URL from its own address', async () => {
    const res = await sso(
      asNextStartBuildsIt({ host: '127.0.0.1:4300', origin: 'http://127.0.0.1:4300' }),
    )
    expect(res?.status).toBe(200)
  })

  it("refuses an Origin that is the server's own address but not the Host the browser sent", async () => {
    const res = await sso(
      asNextStartBuildsIt({ host: '127.0.0.1:4300', origin: 'http://localhost:3000' }),
    )
    expect(res?.status).toBe(403)
  })

  it("falls back to the URL's origin without a Host header", async () => {
    expect((await sso(asNextStartBuildsIt({ origin: 'http://localhost:3000' })))?.status).toBe(200)
    expect((await sso(asNextStartBuildsIt({ origin: 'http://127.0.0.1:4300' })))?.status).toBe(403)
  })
})
