import {
  ALICE,
  appPerTest,
  configErrorOf,
  expectNoStoreHeaders,
  METABASE_SECRET,
  METABASE_URL,
  metabaseAnswer,
  metabaseFixture,
  PINNED_SECONDS,
  SECRETS,
  type TestApp,
  verifyMetabaseJwt,
} from '@sso/fixtures'
import { decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { type MetabaseOptions, metabase } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(metabaseFixture)

const apps = appPerTest()
let app: TestApp

const vendor = (extra: Partial<MetabaseOptions> = {}) =>
  metabase({ secret: METABASE_SECRET, metabaseUrl: METABASE_URL, ...extra })
const login = (a: TestApp, query: Record<string, string> = {}, init?: RequestInit) =>
  a.get(`/sso/metabase/login?${new URLSearchParams(query)}`, init)
const post = (a: TestApp, init: RequestInit = {}) =>
  a.get('/sso/metabase/token', { method: 'POST', ...init })
/** What the login redirect forwards to Metabase besides the token. */
const forwarded = async (response: Response) => {
  expect(response.status).toBe(302)
  const { location } = await metabaseAnswer(response)
  const params = Object.fromEntries(location.searchParams)
  delete params.jwt
  return params
}
const loginClaims = async (response: Response) => (await metabaseAnswer(response)).claims
const sdkClaims = async (response: Response) => {
  expect(response.status).toBe(200)
  const body = (await response.json()) as { jwt: string; expiresAt: number }
  return verifyMetabaseJwt(body.jwt)
}

describe('metabase login (flow A: the JWT Identity Provider URI)', () => {
  it.each([
    ['a dashboard', '/dashboard/1'],
    ['a question with a query', '/question/7?display=table'],
    ['the home page', '/'],
    ['a collection with an encoded name', '/collection/3-finance%20reports'],
  ])('forwards return_to on %s', async (_n, returnTo) => {
    app = await apps.start({ vendors: [vendor()] })
    expect(await forwarded(await login(app, { return_to: returnTo }))).toEqual({
      return_to: returnTo,
    })
  })

  it.each([
    // Metabase also accepts its own host, but the decision is relative paths only (rule 2).
    ['Metabase itself as an absolute URL', `${METABASE_URL}/dashboard/1`],
    ['another host', 'https://evil.example/dashboard/1'],
    ['a protocol-relative URL', '//evil.example/dashboard'],
    ['a backslash path', '/\\evil.example'],
    ['javascript:', 'javascript:alert(1)'],
    ['a path with a control character', '/dashboard\n/1'],
    ['a path with a tab', '/\t/evil.example'],
    ['a relative path over 2,048 characters', `/${'a'.repeat(2048)}`],
    ['a path without a leading slash', 'dashboard/1'],
    ['an empty value', ''],
  ])('drops return_to on %s, and still sends the token to metabaseUrl', async (_n, returnTo) => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await login(app, { return_to: returnTo })
    expect(await forwarded(response)).toEqual({})
  })

  it('sends no return_to when none came in, and ignores every other parameter', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await login(app, {
      redirect: 'https://evil.example/',
      jwt: 'eyJhbGciOiJub25lIn0.e30.',
      email: 'mallory@evil.example',
    })
    expect(await forwarded(response)).toEqual({})
  })

  it('redirects with the token-bearing headers: no-store, no-cache, no-referrer', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await login(app, { return_to: '/dashboard/1' })
    expectNoStoreHeaders(response)
    expect(response.headers.get('location')).toMatch(
      /^https:\/\/metabase\.acme\.com\/auth\/sso\?jwt=eyJ[\w-]+\.[\w-]+\.[\w-]+&return_to=%2Fdashboard%2F1$/,
    )
  })

  it('refuses a repeated return_to with a 400 and no token', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await app.get('/sso/metabase/login?return_to=%2Fa&return_to=%2Fb')
    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
    expect(await response.text()).toContain('ERR_SSO_BAD_REQUEST')
  })

  it('keeps return_to through the logged-out round trip', async () => {
    app = await apps.start({ vendors: [vendor()], loginUrl: '/login' })
    app.user = null
    const first = await login(app, { return_to: '/dashboard/1?tab=2' })
    expect(first.status).toBe(302)
    const returnTo = new URL(first.headers.get('location') ?? '', app.url).searchParams.get(
      'returnTo',
    )
    expect(returnTo).toBe('/sso/metabase/login?return_to=%2Fdashboard%2F1%3Ftab%3D2')
    app.user = ALICE
    expect(await forwarded(await app.get(returnTo ?? ''))).toEqual({
      return_to: '/dashboard/1?tab=2',
    })
  })

  it('refuses a user whose email is unverified with a 403 and no token', async () => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, emailVerified: false }
    const response = await login(app, { return_to: '/dashboard/1' })
    expect(response.status).toBe(403)
    expect(response.headers.get('location')).toBeNull()
    const body = await response.text()
    expect(body).toContain('ERR_SSO_EMAIL_UNVERIFIED')
    expect(body).not.toContain('eyJ')
  })

  it('has no logout route: Metabase has none for JWT', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await app.get('/sso/metabase/logout')
    expect(response.status).toBe(404)
    expect(response.headers.get('x-app')).toBe('not-found')
    expect(app.logouts).toBe(0)
  })
})

describe('metabase: the token', () => {
  it('signs HS256 with the header {"alg":"HS256","typ":"JWT"} and exact claims', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const { location, claims } = await metabaseAnswer(await login(app))
    expect(JSON.stringify(decodeProtectedHeader(location.searchParams.get('jwt') ?? ''))).toBe(
      '{"alg":"HS256","typ":"JWT"}',
    )
    expect(claims).toEqual({
      email: ALICE.email,
      first_name: 'Alice',
      last_name: 'Liddell',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 600,
    })
  })

  it('verifies only with its own signing key', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const { location } = await metabaseAnswer(await login(app))
    await expect(verifyMetabaseJwt(location.searchParams.get('jwt'), SECRETS.komo)).rejects.toThrow(
      /signature/,
    )
  })

  it.each([
    ['first and last name', {}, { first_name: 'Alice', last_name: 'Liddell' }],
    [
      'a single name, split at its first space',
      { firstName: undefined, lastName: undefined, name: 'Bo Van Dyke' },
      { first_name: 'Bo', last_name: 'Van Dyke' },
    ],
    [
      'a one-word name',
      { firstName: undefined, lastName: undefined, name: 'Cher' },
      { first_name: 'Cher' },
    ],
    ['no name at all', { firstName: undefined, lastName: undefined }, {}],
  ])('maps %s to first_name and last_name', async (_n, patch, names) => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, ...patch }
    expect(await loginClaims(await login(app))).toEqual({
      email: ALICE.email,
      ...names,
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 600,
    })
  })

  it('takes expiresIn for exp, on both routes', async () => {
    app = await apps.start({ vendors: [vendor({ expiresIn: 120 })] })
    expect((await loginClaims(await login(app))).exp).toBe(PINNED_SECONDS + 120)
    const response = await post(app)
    const body = (await response.clone().json()) as { expiresAt: number }
    expect(body.expiresAt).toBe(PINNED_SECONDS + 120)
    expect((await sdkClaims(response)).exp).toBe(PINNED_SECONDS + 120)
  })

  it('removes groups from the claims hook without allowGroupClaims, recording the name only', async () => {
    const claims = () => ({ groups: ['Administrators', 'Finance'], department: 'Finance' })
    app = await apps.start({ vendors: [vendor({ claims })] })
    const sent = await loginClaims(await login(app))
    expect(sent).not.toHaveProperty('groups')
    expect(sent.department).toBe('Finance')
    const sdk = await sdkClaims(await post(app))
    expect(sdk).not.toHaveProperty('groups')
    const removed = app.events.filter((e) => e.type === 'claims.removed')
    expect(removed).toEqual([
      {
        type: 'claims.removed',
        vendor: 'metabase',
        route: 'login',
        userId: ALICE.id,
        claims: ['groups'],
      },
      {
        type: 'claims.removed',
        vendor: 'metabase',
        route: 'token',
        userId: ALICE.id,
        claims: ['groups'],
      },
    ])
    expect(JSON.stringify(app.events)).not.toContain('Administrators')
  })

  it('passes groups with allowGroupClaims: true, and records nothing', async () => {
    const claims = () => ({ groups: ['Administrators', 'Finance'] })
    app = await apps.start({ vendors: [vendor({ claims, allowGroupClaims: true })] })
    expect((await loginClaims(await login(app))).groups).toEqual(['Administrators', 'Finance'])
    expect((await sdkClaims(await post(app))).groups).toEqual(['Administrators', 'Finance'])
    expect(app.events.map((e) => e.type)).not.toContain('claims.removed')
  })

  it('never defaults groups, even with allowGroupClaims: true', async () => {
    app = await apps.start({ vendors: [vendor({ allowGroupClaims: true })] })
    app.user = { ...ALICE, groups: ['Administrators'] }
    expect(await loginClaims(await login(app))).not.toHaveProperty('groups')
  })

  it('lets the claims hook add user attributes, but not change iat or exp', async () => {
    const claims = () => ({ department: 'Finance', region: 'EU', iat: 1, exp: 9_999_999_999 })
    app = await apps.start({ vendors: [vendor({ claims })] })
    expect(await loginClaims(await login(app))).toEqual({
      email: ALICE.email,
      first_name: 'Alice',
      last_name: 'Liddell',
      department: 'Finance',
      region: 'EU',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 600,
    })
  })
})

describe('metabase token endpoint (flow B: the embedding SDK)', () => {
  it('answers exactly { jwt, expiresAt } with no-store, the same claims as the login', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await post(app, {
      headers: { 'sec-fetch-site': 'same-origin', origin: app.url },
    })
    expect(response.status).toBe(200)
    expectNoStoreHeaders(response)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'jwt'])
    expect(body.expiresAt).toBe(PINNED_SECONDS + 600)
    expect(await verifyMetabaseJwt(body.jwt as string)).toEqual({
      email: ALICE.email,
      first_name: 'Alice',
      last_name: 'Liddell',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 600,
    })
    expect(app.events).toContainEqual({
      type: 'token.issued',
      vendor: 'metabase',
      route: 'token',
      userId: ALICE.id,
    })
  })

  it('answers 401 JSON when logged out, even with loginUrl', async () => {
    app = await apps.start({ vendors: [vendor()], loginUrl: '/login' })
    app.user = null
    const response = await post(app)
    expect(response.status).toBe(401)
    expect(response.headers.get('location')).toBeNull()
    expect(await response.json()).toEqual({
      error: expect.objectContaining({ code: 'ERR_SSO_UNAUTHENTICATED' }),
    })
  })

  it('refuses an unverified email with a 403 JSON and no token', async () => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, emailVerified: false }
    const response = await post(app)
    expect(response.status).toBe(403)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({
      error: expect.objectContaining({ code: 'ERR_SSO_EMAIL_UNVERIFIED' }),
    })
    expect(text).not.toContain('eyJ')
  })

  it.each([
    ['cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['same-site', { 'sec-fetch-site': 'same-site' }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['a null Origin', { origin: 'null' }],
    ['Metabase itself as Origin', { origin: METABASE_URL }],
  ])('refuses a request with %s with a 403 and no token', async (_n, headers) => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await post(app, { headers })
    expect(response.status).toBe(403)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({
      error: expect.objectContaining({ code: 'ERR_SSO_FORBIDDEN' }),
    })
    expect(text).not.toContain('eyJ')
  })

  it("is POST-only (the SDK's default GET gets a 405) and keeps CORS closed", async () => {
    app = await apps.start({ vendors: [vendor()] })
    const get = await app.get('/sso/metabase/token')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    expect(await get.text()).not.toContain('eyJ')
    const preflight = await app.get('/sso/metabase/token', {
      method: 'OPTIONS',
      headers: { origin: METABASE_URL, 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(405)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    expect((await post(app)).headers.get('access-control-allow-origin')).toBeNull()
  })

  it('takes identity from the session only, never from the body', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await post(app, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@acme.example', groups: ['Administrators'] }),
    })
    const claims = await sdkClaims(response)
    expect(claims.email).toBe(ALICE.email)
    expect(claims).not.toHaveProperty('groups')
  })

  it('accepts extra origins named in allowedOrigins, and no others', async () => {
    app = await apps.start({ vendors: [vendor({ allowedOrigins: ['https://app.example.com'] })] })
    expect((await post(app, { headers: { origin: 'https://app.example.com' } })).status).toBe(200)
    expect((await post(app, { headers: { origin: 'https://other.example.com' } })).status).toBe(403)
  })

  it('moves with paths.token, and the old path is handed on', async () => {
    app = await apps.start({ vendors: [vendor({ paths: { token: '/bi/jwt' } })] })
    expect((await app.get('/sso/bi/jwt', { method: 'POST' })).status).toBe(200)
    const old = await post(app)
    expect(old.status).toBe(404)
    expect(old.headers.get('x-app')).toBe('not-found')
    expect(await forwarded(await login(app))).toEqual({})
  })
})

describe('metabase configuration', () => {
  it.each([
    [{ secret: METABASE_SECRET }, /metabase\(\{ metabaseUrl \}\): is required/],
    [
      { secret: METABASE_SECRET, metabaseUrl: 'http://metabase.acme.com' },
      /metabase\(\{ metabaseUrl \}\): must use https/,
    ],
    [
      { secret: METABASE_SECRET, metabaseUrl: 'metabase.acme.com' },
      /metabase\(\{ metabaseUrl \}\): must be an absolute URL/,
    ],
    [
      { secret: METABASE_SECRET, metabaseUrl: 'https://metabase.acme.com/?x=1' },
      /metabase\(\{ metabaseUrl \}\): must not hold credentials, a query or a fragment/,
    ],
    [{ secret: 'too-short', metabaseUrl: METABASE_URL }, /at least 32 bytes/],
    [
      { secret: METABASE_SECRET, metabaseUrl: METABASE_URL, expiresIn: 0 },
      /`expiresIn` must be a positive whole number/,
    ],
    [
      { secret: METABASE_SECRET, metabaseUrl: METABASE_URL, expiresIn: 3601 },
      /capped at 3600 seconds/,
    ],
    [
      { secret: METABASE_SECRET, metabaseUrl: METABASE_URL, allowedOrigins: ['app.example.com'] },
      /`allowedOrigins` entries must be origins/,
    ],
    [
      { secret: METABASE_SECRET, metabaseUrl: METABASE_URL, allowGroupClaim: true },
      /did you mean `allowGroupClaims`/,
    ],
  ])('refuses %j at construction with the fix', (options, message) => {
    const caught = configErrorOf(() => metabase(options as never), message)
    expect(caught.message).toMatch(/^metabase\(/)
  })

  it('accepts a loopback http metabaseUrl (a simulator) and strips a trailing slash', async () => {
    app = await apps.start({
      vendors: [vendor({ metabaseUrl: 'http://127.0.0.1:4112/' })],
    })
    const location = new URL((await login(app)).headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:4112/auth/sso')
  })

  it('accepts a short secret only with the loudly named escape hatch', () => {
    expect(
      metabase({
        secret: 'short-key',
        dangerouslyAllowShortSecret: true,
        metabaseUrl: METABASE_URL,
      }).id,
    ).toBe('metabase')
  })
})
