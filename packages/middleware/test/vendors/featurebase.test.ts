import { decodeProtectedHeader } from 'jose'
import {
  ALICE,
  appPerTest,
  configErrorOf,
  expectNoStoreHeaders,
  FEATUREBASE_JWT_URL,
  FEATUREBASE_PORTAL,
  FEATUREBASE_RETURN_TO,
  FEATUREBASE_SECRET,
  featurebaseAnswer,
  featurebaseFixture,
  PINNED_SECONDS,
  type TestApp,
  verifyFeaturebaseJwt,
} from '@sso/fixtures'
import { describe, expect, it } from 'vitest'
import { type FeaturebaseOptions, featurebase, type SsoUser } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(featurebaseFixture)

const apps = appPerTest()
const build = (extra: Partial<FeaturebaseOptions> = {}) =>
  featurebase({ secret: FEATUREBASE_SECRET, portalUrl: FEATUREBASE_PORTAL, ...extra })
const start = (extra: Partial<FeaturebaseOptions> = {}) =>
  apps.start({ vendors: [build(extra)], loginUrl: '/login' })
const login = (app: TestApp, returnTo?: string) =>
  app.get(
    `/sso/featurebase/login${returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`}`,
  )
const post = (app: TestApp, init: RequestInit = {}) =>
  app.get('/sso/featurebase/token', { method: 'POST', ...init })
const tokenOf = async (response: Response) => {
  expect(response.status).toBe(200)
  const body = (await response.json()) as { token: string; expiresAt: number }
  return { ...body, claims: await verifyFeaturebaseJwt(body.token) }
}

describe('featurebase portal SSO (flow A)', () => {
  it('redirects to {portalUrl}/api/v1/auth/access/jwt with the exact claims and header', async () => {
    const app = await start()
    const response = await login(app, FEATUREBASE_RETURN_TO)
    expect(response.status).toBe(302)
    expectNoStoreHeaders(response)
    const location = new URL(response.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe(FEATUREBASE_JWT_URL)
    expect([...location.searchParams.keys()]).toEqual(['jwt', 'return_to'])
    expect(location.searchParams.get('return_to')).toBe(FEATUREBASE_RETURN_TO)
    const jwt = location.searchParams.get('jwt') ?? ''
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(await verifyFeaturebaseJwt(jwt)).toEqual({
      userId: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 600,
    })
  })

  it('maps profilePicture (https only), locale when the user has one, and name fallbacks', async () => {
    const app = await start()
    app.user = {
      id: 'u-7',
      email: 'bo@example.com',
      name: 'Bo',
      picture: 'https://cdn.example.com/bo.png',
      locale: 'fr',
      tagline: 'not a Featurebase claim',
      role: 'admin',
    } as SsoUser
    const { claims } = await featurebaseAnswer(await login(app))
    expect(claims).toEqual({
      userId: 'u-7',
      email: 'bo@example.com',
      name: 'Bo',
      profilePicture: 'https://cdn.example.com/bo.png',
      locale: 'fr',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 600,
    })
    for (const [user, name] of [
      [{ id: 'u-8', email: 'cy@example.com', username: 'cy' }, 'cy'],
      [{ id: 'u-9', email: 'di@example.com' }, 'di'],
      [{ id: 'u-10', email: 'ed@example.com', firstName: 'Ed' }, 'Ed'],
    ] as const) {
      app.user = { ...user, picture: 'http://cdn.example.com/x.png', locale: '' } as SsoUser
      const { claims: other } = await featurebaseAnswer(await login(app))
      expect(other).toEqual({
        userId: user.id,
        email: user.email,
        name,
        iat: PINNED_SECONDS,
        exp: PINNED_SECONDS + 600,
      })
    }
  })

  it.each([
    ['the portal itself', `${FEATUREBASE_PORTAL}/`],
    ['a portal page with a query', `${FEATUREBASE_PORTAL}/p/x?b=1#c`],
    [
      'another *.featurebase.app portal (the default allowedHosts)',
      'https://other.featurebase.app/',
    ],
    ['an upper-case scheme and host, written as parsed', 'HTTPS://ACME.FEATUREBASE.APP:443/p'],
  ])('forwards return_to on %s', async (_, value) => {
    const app = await start()
    const { returnTo } = await featurebaseAnswer(await login(app, value))
    expect(returnTo).toBe(new URL(value).href)
  })

  it.each([
    ['a foreign https URL', 'https://evil.example/p'],
    ['http on the portal host', 'http://acme.featurebase.app/p'],
    ['the bare suffix', 'https://featurebase.app/'],
    ['a look-alike', 'https://acme.featurebase.app.evil.example/'],
    ['userinfo', 'https://acme.featurebase.app@evil.example/'],
    ['a non-default port', 'https://acme.featurebase.app:8443/'],
    ['a relative path', '/p/x'],
    ['a protocol-relative URL', '//evil.example/'],
    ['javascript:', 'javascript:alert(1)'],
    ['an empty value', ''],
  ])(
    'replaces return_to by portalUrl on %s, and still sends the token only to the portal',
    async (_, value) => {
      const app = await start()
      const { returnTo, claims } = await featurebaseAnswer(await login(app, value))
      expect(returnTo).toBe(FEATUREBASE_PORTAL)
      expect(claims.userId).toBe(ALICE.id)
    },
  )

  it('sends return_to=portalUrl when none came in', async () => {
    const app = await start()
    const { returnTo } = await featurebaseAnswer(await login(app))
    expect(returnTo).toBe(FEATUREBASE_PORTAL)
  })

  it('takes a custom domain portal: its host is a return_to target, the default list is replaced', async () => {
    const app = await start({
      portalUrl: 'https://feedback.acme.com',
      allowedHosts: ['roadmap.acme.com'],
    })
    const answer = (response: Response) => featurebaseAnswer(response, 'https://feedback.acme.com')
    expect((await answer(await login(app, 'https://feedback.acme.com/p/1'))).returnTo).toBe(
      'https://feedback.acme.com/p/1',
    )
    expect((await answer(await login(app, 'https://roadmap.acme.com/'))).returnTo).toBe(
      'https://roadmap.acme.com/',
    )
    expect((await answer(await login(app, 'https://acme.featurebase.app/'))).returnTo).toBe(
      'https://feedback.acme.com',
    )
  })

  it('takes a loopback simulator portal over http: return_to on its own origin only', async () => {
    const portal = 'http://127.0.0.1:4111'
    const app = await start({ portalUrl: portal })
    const answer = (response: Response) => featurebaseAnswer(response, portal)
    expect((await answer(await login(app, `${portal}/p/1`))).returnTo).toBe(`${portal}/p/1`)
    expect((await answer(await login(app, 'http://127.0.0.1:4112/p/1'))).returnTo).toBe(portal)
    expect((await answer(await login(app, 'http://localhost:4111/p/1'))).returnTo).toBe(portal)
  })

  it('checks return_to before the user: a logged-out browser is sent to login with the route as returnTo', async () => {
    const app = await start()
    app.user = null
    const response = await login(app, 'https://evil.example/')
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get('location') ?? '', app.url)
    expect(location.pathname).toBe('/login')
    expect(location.searchParams.get('returnTo')).toBe(
      `/sso/featurebase/login?return_to=${encodeURIComponent('https://evil.example/')}`,
    )
    expect(response.headers.get('location')).not.toMatch(/eyJ/)
  })

  it.each([
    ['repeated', `return_to=${encodeURIComponent(FEATUREBASE_PORTAL)}&return_to=x`],
    ['over 4,096 characters', `return_to=${'a'.repeat(5000)}`],
    ['badly encoded', 'return_to=%E0%A4%A'],
  ])(
    'refuses a return_to that is %s with a 400 ERR_SSO_BAD_REQUEST and no token',
    async (_, query) => {
      const app = await start()
      const response = await app.get(`/sso/featurebase/login?${query}`)
      expect(response.status).toBe(400)
      expect(response.headers.get('location')).toBeNull()
      const body = await response.text()
      expect(body).toContain('ERR_SSO_BAD_REQUEST')
      expect(body).not.toMatch(/eyJ/)
    },
  )

  it('has no logout route', async () => {
    const app = await start()
    expect((await app.get('/sso/featurebase/logout')).status).toBe(404)
  })
})

describe('featurebase SDK token (flow B)', () => {
  it('answers { token, expiresAt } with the same claims, no-store', async () => {
    const app = await start({ expiresIn: 1800 })
    const response = await post(app)
    expectNoStoreHeaders(response)
    const { token, expiresAt, claims } = await tokenOf(response)
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(expiresAt).toBe(PINNED_SECONDS + 1800)
    expect(claims).toEqual({
      userId: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 1800,
    })
    expect(app.events).toContainEqual(
      expect.objectContaining({ type: 'token.issued', vendor: 'featurebase', route: 'token' }),
    )
  })

  it('answers 401 JSON when logged out and 403 when the email is unverified', async () => {
    const app = await start()
    app.user = null
    const out = await post(app)
    expect(out.status).toBe(401)
    expect(await out.json()).toEqual({
      error: expect.objectContaining({ code: 'ERR_SSO_UNAUTHENTICATED' }),
    })
    app.user = { ...ALICE, emailVerified: false }
    const unverified = await post(app)
    expect(unverified.status).toBe(403)
    expect(await unverified.json()).toEqual({
      error: expect.objectContaining({ code: 'ERR_SSO_EMAIL_UNVERIFIED' }),
    })
  })

  it.each([
    ['cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['same-site', { 'sec-fetch-site': 'same-site' }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['a null Origin', { origin: 'null' }],
  ])('refuses a request with %s with a 403 and no token', async (_, headers) => {
    const app = await start()
    const response = await post(app, { headers })
    expect(response.status).toBe(403)
    const body = await response.text()
    expect(body).toContain('ERR_SSO_FORBIDDEN')
    expect(body).not.toContain('eyJ')
  })

  it('serves same-origin browsers, server-side callers and allowedOrigins only', async () => {
    const app = await start({ allowedOrigins: ['https://app.example.com'] })
    expect(
      (await post(app, { headers: { 'sec-fetch-site': 'same-origin', origin: app.url } })).status,
    ).toBe(200)
    expect((await post(app)).status).toBe(200)
    expect((await post(app, { headers: { origin: 'https://app.example.com' } })).status).toBe(200)
    expect((await post(app, { headers: { origin: 'https://other.example.com' } })).status).toBe(403)
  })

  it('is POST-only, keeps CORS closed, and never reads identity from the body', async () => {
    const app = await start()
    const get = await app.get('/sso/featurebase/token')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const preflight = await app.get('/sso/featurebase/token', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    const response = await post(app, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'admin', email: 'admin@acme.example' }),
    })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    const { claims } = await tokenOf(response)
    expect(claims.userId).toBe(ALICE.id)
    expect(claims.email).toBe(ALICE.email)
  })

  it('takes the claims hook (companies, roles, custom fields), but not iat or exp', async () => {
    const app = await start({
      claims: (user) => ({
        companies: [{ id: 'acme', name: 'Acme' }],
        roles: ['beta'],
        customFields: { plan: 'pro' },
        locale: 'de',
        userId: `ext-${user.id}`,
        iat: 1,
        exp: 2,
      }),
    })
    const { claims } = await tokenOf(await post(app))
    expect(claims).toEqual({
      userId: `ext-${ALICE.id}`,
      email: ALICE.email,
      name: 'Alice Liddell',
      locale: 'de',
      companies: [{ id: 'acme', name: 'Acme' }],
      roles: ['beta'],
      customFields: { plan: 'pro' },
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 600,
    })
  })

  it('takes renamed paths for both routes', async () => {
    const app = await start({ paths: { login: '/feedback/sso', token: '/feedback/jwt' } })
    const { claims } = await tokenOf(await app.get('/sso/feedback/jwt', { method: 'POST' }))
    expect(claims.userId).toBe(ALICE.id)
    expect((await featurebaseAnswer(await app.get('/sso/feedback/sso'))).claims.userId).toBe(
      ALICE.id,
    )
    expect((await app.get('/sso/featurebase/login')).status).toBe(404)
    expect((await post(app)).status).toBe(404)
  })
})

describe('featurebase configuration', () => {
  it.each([
    [{ portalUrl: undefined }, /featurebase\(\{ portalUrl \}\): is required/],
    [
      { portalUrl: 'acme.featurebase.app' },
      /featurebase\(\{ portalUrl \}\): must be an absolute URL/,
    ],
    [
      { portalUrl: 'http://acme.featurebase.app' },
      /featurebase\(\{ portalUrl \}\): must use https/,
    ],
    [{ portalUrl: 'https://acme.featurebase.app/?x=1' }, /must not hold credentials, a query/],
    [{ portalUrl: 'https://u:p@acme.featurebase.app' }, /must not hold credentials/],
    [{ allowedHosts: ['https://evil.example/path'] }, /featurebase\(\{ allowedHosts \}\)/],
    [{ allowedHosts: ['*.app'] }, /featurebase\(\{ allowedHosts \}\): .*registrable suffix/],
    [{ allowedHosts: ['http://feedback.acme.com'] }, /http is allowed only for loopback/],
    [{ expiresIn: 0 }, /featurebase\(\): `expiresIn` must be a positive whole number/],
    [{ expiresIn: 3601 }, /featurebase\(\): `expiresIn` is capped at 3600/],
    [
      { allowedOrigins: ['not an origin'] },
      /featurebase\(\): `allowedOrigins` entries must be origins/,
    ],
    [{ secret: 'short' }, /featurebase\(\): `secret` is 5 bytes/],
    [{ paths: { logout: '/x' } }, /featurebase\(\{ paths \}\): has no route "logout"/],
  ] as [Partial<FeaturebaseOptions>, RegExp][])('refuses %j at construction', (extra, message) => {
    configErrorOf(() => build(extra), message)
  })

  it('accepts an empty allowedHosts (the portal only) and a portal with a trailing slash', async () => {
    const app = await start({ allowedHosts: [], portalUrl: `${FEATUREBASE_PORTAL}/` })
    const { returnTo } = await featurebaseAnswer(await login(app, 'https://other.featurebase.app/'))
    expect(returnTo).toBe(FEATUREBASE_PORTAL)
    expect((await featurebaseAnswer(await login(app, `${FEATUREBASE_PORTAL}/p`))).returnTo).toBe(
      `${FEATUREBASE_PORTAL}/p`,
    )
  })
})
