import { createHmac } from 'node:crypto'
import {
  ALICE,
  appPerTest,
  configErrorOf,
  expectNoStoreHeaders,
  INTERCOM_SECRET,
  intercomAnswer,
  intercomFixture,
  PINNED_SECONDS,
  type TestApp,
  verifyHs256,
} from '@sso/fixtures'
import { describe, expect, it } from 'vitest'
import { type IntercomOptions, intercom, type SsoUser } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(intercomFixture)

const apps = appPerTest()
const start = (options: Partial<IntercomOptions> = {}, extra = {}) =>
  apps.start({
    vendors: [intercom({ secret: INTERCOM_SECRET, ...options } as IntercomOptions)],
    loginUrl: '/login',
    ...extra,
  })
const post = (app: TestApp, init: RequestInit = {}) =>
  app.get('/sso/intercom/token', { method: 'POST', ...init })
const claimsOf = async (response: Response) => {
  expect(response.status).toBe(200)
  const { token } = (await response.json()) as { token: string }
  return verifyHs256(token, INTERCOM_SECRET)
}
const headerOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())
const userHashOf = (userId: string) =>
  createHmac('sha256', INTERCOM_SECRET).update(userId).digest('hex')

describe('intercom token endpoint (Messenger JWT)', () => {
  it('answers exactly { token, expiresAt }: HS256, typ JWT, user_id, email, name, iat, exp = iat + 1 h', async () => {
    const app = await start()
    const response = await post(app, {
      headers: { 'sec-fetch-site': 'same-origin', origin: app.url },
    })
    expect(response.status).toBe(200)
    expectNoStoreHeaders(response)
    const body = (await response.clone().json()) as { token: string; expiresAt: number }
    expect(headerOf(body.token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(await verifyHs256(body.token, INTERCOM_SECRET)).toEqual({
      user_id: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 3600,
    })
    expect(body.expiresAt).toBe(PINNED_SECONDS + 3600)
    await intercomAnswer(response)
    expect(app.events).toEqual([
      { type: 'token.issued', vendor: 'intercom', route: 'token', userId: ALICE.id },
    ])
  })

  it('does not check emailVerified: an unverified user still gets a token with the email', async () => {
    const app = await start()
    app.user = { ...ALICE, emailVerified: false }
    const claims = await claimsOf(await post(app))
    expect(claims.user_id).toBe(ALICE.id)
    expect(claims.email).toBe(ALICE.email)
  })

  it.each<[string, Partial<SsoUser>, Record<string, unknown>]>([
    ['no email', { id: 'u-1', name: 'Bo' }, { user_id: 'u-1', name: 'Bo' }],
    [
      'no name',
      { id: 'u-2', email: 'cy@example.com' },
      { user_id: 'u-2', email: 'cy@example.com' },
    ],
    ['only an id', { id: 'u-3' }, { user_id: 'u-3' }],
    [
      'a name from first and last',
      { id: 'u-4', firstName: 'Di', lastName: 'Ng' },
      { user_id: 'u-4', name: 'Di Ng' },
    ],
    [
      '`name` over first and last',
      { id: 'u-5', name: 'Ed', firstName: 'X' },
      { user_id: 'u-5', name: 'Ed' },
    ],
  ])('signs a user with %s, leaving absent attributes out', async (_, user, expected) => {
    const app = await start()
    app.user = user as SsoUser
    expect(await claimsOf(await post(app))).toEqual({
      ...expected,
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 3600,
    })
  })

  it.each<[IntercomOptions['signedFields'], string[]]>([
    [[], ['exp', 'iat', 'user_id']],
    [['email'], ['email', 'exp', 'iat', 'user_id']],
    [['name'], ['exp', 'iat', 'name', 'user_id']],
    [
      ['name', 'email'],
      ['email', 'exp', 'iat', 'name', 'user_id'],
    ],
  ])(
    'signs only the fields signedFields %j names, and always user_id',
    async (signedFields, keys) => {
      const app = await start({ signedFields })
      expect(Object.keys(await claimsOf(await post(app))).sort()).toEqual(keys)
    },
  )

  it('takes expiresIn for exp and expiresAt', async () => {
    const app = await start({ expiresIn: 8 * 3600 })
    const response = await post(app)
    await intercomAnswer(response, { expiresIn: 8 * 3600 })
  })

  it('adds the claims hook’s strings as custom attributes; the signer keeps iat and exp', async () => {
    const app = await start({
      claims: (user) => ({
        plan: 'pro',
        company_id: `c-${user.id}`,
        iat: 1,
        exp: 9_999_999_999,
        nbf: 5,
      }),
    })
    expect(await claimsOf(await post(app))).toEqual({
      user_id: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      plan: 'pro',
      company_id: `c-${ALICE.id}`,
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 3600,
    })
  })

  it('lets the hook remove a signed field with undefined', async () => {
    const app = await start({ claims: () => ({ email: undefined }) })
    expect(await claimsOf(await post(app))).not.toHaveProperty('email')
  })

  it.each<[string, unknown, string]>([
    ['a number', 42, 'a number'],
    ['a boolean', true, 'a boolean'],
    ['null', null, 'null'],
    ['an object', { tier: 'gold' }, 'a object'],
    ['an array', ['a'], 'an array'],
    ['an empty string', '', 'an empty string'],
    ['a bigint', 10n, 'a bigint'],
  ])(
    'refuses a hook attribute that is %s with a 500 ERR_SSO_CONFIG naming it, never its value, and no token',
    async (_, value, described) => {
      const app = await start({ claims: () => ({ lifetime_value: value }) })
      const response = await post(app)
      expect(response.status).toBe(500)
      const text = await response.text()
      expect(JSON.parse(text)).toEqual({
        error: expect.objectContaining({ code: 'ERR_SSO_CONFIG' }),
      })
      expect(text).not.toMatch(/eyJ|"token"|gold/)
      expect(text).not.toContain(ALICE.email)
      expect(app.events.some((e) => e.type === 'token.issued')).toBe(false)
      const message = JSON.stringify(app.events)
      expect(message).not.toContain('gold')
      // The developer message (exposed outside production) names the attribute and its type.
      expect(text).toContain(`lifetime_value\` as ${described}`)
    },
  )

  it.each<[string, unknown]>([
    ['removes', undefined],
    ['empties', ''],
    ['numbers', 42],
  ])('refuses a hook that %s user_id with a 500 and no token', async (_, value) => {
    const app = await start({ claims: () => ({ user_id: value }) })
    const response = await post(app)
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).toContain('ERR_SSO_CONFIG')
    expect(text).toContain('user_id')
    expect(text).not.toMatch(/eyJ/)
  })

  it('answers a 500 that reveals nothing when the claims hook throws or rejects', async () => {
    for (const claims of [
      () => {
        throw new Error(`boom ${ALICE.email}`)
      },
      async () => Promise.reject(new Error(`boom ${ALICE.email}`)),
    ]) {
      const app = await start({ claims })
      const response = await post(app)
      expect(response.status).toBe(500)
      const text = await response.text()
      expect(text).toContain('ERR_SSO_INTERNAL')
      expect(text).not.toContain(ALICE.email)
      expect(text).not.toMatch(/eyJ/)
    }
  })

  it('takes identity from the session only, never from the body or the query', async () => {
    const app = await start()
    const response = await app.get('/sso/intercom/token?user_id=admin&email=admin@example.com', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'admin', email: 'admin@example.com' }),
    })
    const claims = await claimsOf(response)
    expect(claims.user_id).toBe(ALICE.id)
    expect(claims.email).toBe(ALICE.email)
  })
})

describe('intercom token endpoint rules (sdkTokenRoute, SECURITY.md rule 4)', () => {
  describe.each<[string, Partial<IntercomOptions>, string]>([
    ['jwt', {}, 'token'],
    ['userHash', { mode: 'userHash' }, 'userHash'],
  ])('mode %s', (_, options, field) => {
    it('serves same-origin browsers and server-side callers', async () => {
      const app = await start(options)
      const host = new URL(app.url).host
      for (const headers of <Record<string, string>[]>[
        { 'sec-fetch-site': 'same-origin', origin: app.url },
        {},
        { origin: `http://${host}` },
      ]) {
        const response = await post(app, { headers })
        expect(response.status).toBe(200)
        expect(await response.json()).toHaveProperty(field)
      }
    })

    it.each([
      ['cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['same-site', { 'sec-fetch-site': 'same-site' }],
      ['none', { 'sec-fetch-site': 'none' }],
      ['a foreign Origin', { origin: 'https://evil.example' }],
      ['a null Origin', { origin: 'null' }],
      ['a look-alike Origin port', { origin: 'http://127.0.0.1:1' }],
    ])('refuses a request with %s with a 403 and nothing issued', async (_, headers) => {
      const app = await start(options)
      const response = await post(app, { headers })
      expect(response.status).toBe(403)
      const body = await response.json()
      expect(body).toEqual({ error: expect.objectContaining({ code: 'ERR_SSO_FORBIDDEN' }) })
      expect(JSON.stringify(body)).not.toMatch(/eyJ|[0-9a-f]{64}/)
    })

    it('is POST-only, keeps CORS closed, and answers no-store', async () => {
      const app = await start(options)
      const get = await app.get('/sso/intercom/token')
      expect(get.status).toBe(405)
      expect(get.headers.get('allow')).toBe('POST')
      const preflight = await app.get('/sso/intercom/token', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      })
      expect(preflight.status).toBe(405)
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
      const ok = await post(app)
      expect(ok.headers.get('access-control-allow-origin')).toBeNull()
      expectNoStoreHeaders(ok)
    })

    it('answers 401 JSON when logged out, with no login redirect', async () => {
      const app = await start(options)
      app.user = null
      const response = await post(app)
      expect(response.status).toBe(401)
      expect(response.headers.get('location')).toBeNull()
      expect(await response.json()).toEqual({
        error: expect.objectContaining({ code: 'ERR_SSO_UNAUTHENTICATED' }),
      })
    })

    it('accepts extra origins named in allowedOrigins, and only those', async () => {
      const app = await start({ ...options, allowedOrigins: ['https://app.example.com'] })
      expect((await post(app, { headers: { origin: 'https://app.example.com' } })).status).toBe(200)
      expect((await post(app, { headers: { origin: 'https://other.example.com' } })).status).toBe(
        403,
      )
    })
  })
})

describe("intercom mode: 'userHash' (legacy identity verification)", () => {
  it('answers exactly { userHash }: hex HMAC-SHA256(secret, user_id), no expiresAt', async () => {
    const app = await start({ mode: 'userHash' })
    const response = await post(app)
    expect(response.status).toBe(200)
    expectNoStoreHeaders(response)
    expect(await response.json()).toEqual({ userHash: userHashOf(ALICE.id) })
    expect(app.events).toEqual([
      { type: 'token.issued', vendor: 'intercom', route: 'token', userId: ALICE.id },
    ])
  })

  it('hashes the user id, never the email: a changed email keeps the hash, another id changes it', async () => {
    const app = await start({ mode: 'userHash' })
    const hash = async (user: SsoUser) => {
      app.user = user
      return ((await (await post(app)).json()) as { userHash: string }).userHash
    }
    const alice = await hash(ALICE)
    expect(await hash({ ...ALICE, email: 'other@example.com', emailVerified: false })).toBe(alice)
    expect(await hash({ id: ALICE.id } as SsoUser)).toBe(alice)
    expect(alice).not.toBe(createHmac('sha256', INTERCOM_SECRET).update(ALICE.email).digest('hex'))
    const bob = await hash({ id: 'user-bob-7', email: ALICE.email })
    expect(bob).toBe(userHashOf('user-bob-7'))
    expect(bob).not.toBe(alice)
  })

  it('keeps every user’s own hash while its per-user cache (1,024 users) turns over', async () => {
    const app = await start(
      { mode: 'userHash' },
      { getUser: (req: { headers: Record<string, string> }) => ({ id: req.headers['x-user'] }) },
    )
    const ids = Array.from({ length: 1100 }, (_, i) => `user-${i}`)
    const order = [...ids, ...ids.slice(0, 50), ...ids.slice(1050)]
    for (let i = 0; i < order.length; i += 50) {
      const batch = order.slice(i, i + 50)
      const hashes = await Promise.all(
        batch.map(async (id) => (await post(app, { headers: { 'x-user': id } })).json()),
      )
      expect(hashes).toEqual(batch.map((id) => ({ userHash: userHashOf(id) })))
    }
  }, 20_000)

  it('with another secret, another hash (the key is the configured one)', async () => {
    const other = 'another-intercom-messenger-secret-0123456789'
    const app = await start({ mode: 'userHash', secret: other })
    const { userHash } = (await (await post(app)).json()) as { userHash: string }
    expect(userHash).toBe(createHmac('sha256', other).update(ALICE.id).digest('hex'))
  })
})

describe('intercom configuration', () => {
  it.each<[unknown, RegExp]>([
    [{ secret: 'too-short' }, /at least 32 bytes/],
    [{ secret: 'too-short', mode: 'userHash' }, /at least 32 bytes/],
    [{}, /^intercom\(\): option `secret` is required \(the shared secret the vendor issued/],
    [{ mode: 'userHash' }, /^intercom\(\): option `secret` is required \(the shared secret/],
    [
      { secret: INTERCOM_SECRET, mode: 'hash' },
      /`mode` must be "jwt" \(the default\) or "userHash"/,
    ],
    [{ secret: INTERCOM_SECRET, expiresIn: 0 }, /`expiresIn` must be a positive whole number/],
    [{ secret: INTERCOM_SECRET, expiresIn: 86_401 }, /capped at 86400 seconds/],
    [{ secret: INTERCOM_SECRET, signedFields: 'email' }, /`signedFields` must be an array/],
    [
      { secret: INTERCOM_SECRET, signedFields: ['phone'] },
      /entries must be "email" or "name"; got "phone"/,
    ],
    [{ secret: INTERCOM_SECRET, signedFields: ['email', 'email'] }, /lists "email" twice/],
    [
      { secret: INTERCOM_SECRET, mode: 'userHash', expiresIn: 60 },
      /`expiresIn` applies to the JWT only/,
    ],
    [
      { secret: INTERCOM_SECRET, mode: 'userHash', signedFields: [] },
      /`signedFields` applies to the JWT only/,
    ],
    [
      { secret: INTERCOM_SECRET, mode: 'userHash', claims: () => ({}) },
      /`claims` applies to the JWT only/,
    ],
    [
      { secret: INTERCOM_SECRET, allowedOrigins: ['app.example.com'] },
      /`allowedOrigins` entries must be origins/,
    ],
    [{ secret: INTERCOM_SECRET, paths: { login: '/x' } }, /has no route "login"/],
    [{ secret: INTERCOM_SECRET, signedfields: [] }, /did you mean `signedFields`/],
  ])('refuses %j at construction with the fix', (options, message) => {
    const caught = configErrorOf(() => intercom(options as never), message)
    expect(caught.message).toMatch(/^intercom/)
  })

  it('accepts a short secret only with the loudly named escape hatch, in both modes', () => {
    for (const mode of ['jwt', 'userHash'] as const) {
      expect(intercom({ secret: 'short-secret', dangerouslyAllowShortSecret: true, mode }).id).toBe(
        'intercom',
      )
    }
  })

  it('has one route, the token endpoint; no redirect, no logout', () => {
    const vendor = intercom({ secret: INTERCOM_SECRET })
    expect(vendor.routes.map((r) => [r.name, r.method, r.path, r.kind])).toEqual([
      ['token', 'POST', '/intercom/token', 'api'],
    ])
  })
})
