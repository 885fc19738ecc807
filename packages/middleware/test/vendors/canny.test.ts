import {
  ALICE,
  CANNY_COMPANY_ID,
  CANNY_HOSTS,
  CANNY_REDIRECT,
  CANNY_SECRET,
  cannyAnswer,
  cannyClaims,
  cannyFixture,
  configErrorOf,
  expectNoStoreHeaders,
  PINNED_SECONDS,
  pinClock,
  startApp,
  type TestApp,
  unpinClock,
  verifyAsVendor,
} from '@sso/fixtures'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type CannyOptions, canny, type SsoUser } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(cannyFixture)

const query = (params: Record<string, string>) => new URLSearchParams(params).toString()
const LOGIN = `/sso/canny/login?${query({ companyID: CANNY_COMPANY_ID, redirect: CANNY_REDIRECT })}`
const build = (extra: Partial<CannyOptions> = {}) => cannyFixture.build(extra)

const codeOf = async (response: Response) =>
  ((await response.text()).match(/ERR_SSO_[A-Z_]+/) ?? [])[0]

describe('canny', () => {
  let app: TestApp
  let running: TestApp | undefined
  /** Starts the app for this test with these vendors, in place of the one running (closed in afterEach). */
  async function start(vendors = [build()]): Promise<TestApp> {
    await running?.close()
    running = app = await startApp({ vendors, loginUrl: '/login' })
    return app
  }
  beforeEach(async () => {
    pinClock()
    await start()
  })
  afterEach(async () => {
    unpinClock()
    await running?.close()
    running = undefined
  })

  describe('canny SSO redirect (flow A)', () => {
    it('answers a 302 to Canny’s SSO endpoint with companyID, ssoToken and redirect, and exact claims and header', async () => {
      const response = await app.get(LOGIN)
      expect(response.status).toBe(302)
      expectNoStoreHeaders(response)
      const { companyID, redirect, claims } = await cannyAnswer(response)
      expect(companyID).toBe(CANNY_COMPANY_ID)
      expect(redirect).toBe(CANNY_REDIRECT)
      expect(claims).toEqual({
        id: ALICE.id,
        email: ALICE.email,
        name: 'Alice Liddell',
        iat: PINNED_SECONDS,
        exp: PINNED_SECONDS + 600,
      })
      expect(app.events).toContainEqual(
        expect.objectContaining({ type: 'token.issued', vendor: 'canny', userId: ALICE.id }),
      )
    })

    it.each([
      ['an exact host', 'https://feedback.acme.com/', 'https://feedback.acme.com/'],
      ['a subdomain of canny.io', 'https://acme.canny.io/admin', 'https://acme.canny.io/admin'],
      ['the loopback origin', 'http://127.0.0.1:4110/b/x', 'http://127.0.0.1:4110/b/x'],
      ['upper case and the default port', 'HTTPS://ACME.Canny.IO:443/x', 'https://acme.canny.io/x'],
      ['a query', 'https://acme.canny.io/b?sort=top', 'https://acme.canny.io/b?sort=top'],
    ])('forwards redirect on %s as the URL parser writes it', async (_, value, forwarded) => {
      const response = await app.get(
        `/sso/canny/login?${query({ companyID: CANNY_COMPANY_ID, redirect: value })}`,
      )
      expect(response.status).toBe(302)
      expect((await cannyAnswer(response)).redirect).toBe(forwarded)
    })

    const REFUSED_REDIRECTS: [string, string][] = [
      ['http: on canny.io', 'http://acme.canny.io/'],
      ['the bare suffix', 'https://canny.io/'],
      ['another host', 'https://evil.example/'],
      ['a look-alike', 'https://acme.canny.io.evil.example/'],
      ['userinfo', 'https://acme.canny.io@evil.example/'],
      ['a non-default port', 'https://acme.canny.io:8443/'],
      ['a relative path', '/feature-requests'],
      ['javascript:', 'javascript:alert(1)'],
      ['a protocol-relative URL', '//evil.example/'],
    ]

    it.each(REFUSED_REDIRECTS)(
      'refuses redirect on %s with a 400 and no token, before the login page',
      async (_, value) => {
        const target = `/sso/canny/login?${query({ companyID: CANNY_COMPANY_ID, redirect: value })}`
        const response = await app.get(target)
        expect(response.status).toBe(400)
        expect(response.headers.get('location')).toBeNull()
        expect(await codeOf(response)).toBe('ERR_SSO_REDIRECT_NOT_ALLOWED')
        app.user = null
        const loggedOut = await app.get(target)
        expect(loggedOut.status).toBe(400)
        expect(loggedOut.headers.get('location')).toBeNull()
      },
    )

    it.each(REFUSED_REDIRECTS)(
      'sends defaultRedirect in place of redirect on %s',
      async (_, value) => {
        await start([build({ defaultRedirect: 'https://acme.canny.io/' })])
        const response = await app.get(
          `/sso/canny/login?${query({ companyID: CANNY_COMPANY_ID, redirect: value })}`,
        )
        expect(response.status).toBe(302)
        expect((await cannyAnswer(response)).redirect).toBe('https://acme.canny.io/')
      },
    )

    it('refuses a missing redirect with a 400 unless defaultRedirect is set', async () => {
      const target = `/sso/canny/login?${query({ companyID: CANNY_COMPANY_ID })}`
      const refused = await app.get(target)
      expect(refused.status).toBe(400)
      expect(await codeOf(refused)).toBe('ERR_SSO_BAD_REQUEST')
      await start([build({ defaultRedirect: 'https://feedback.acme.com/board' })])
      const response = await app.get(target)
      expect((await cannyAnswer(response)).redirect).toBe('https://feedback.acme.com/board')
    })

    it.each([
      ['empty', ''],
      ['65 characters', 'a'.repeat(65)],
      ['a hyphen', 'acme-1'],
      ['an underscore', 'acme_1'],
      ['a space', 'acme 1'],
      ['a dot', 'acme.io'],
      ['a slash', 'acme/..'],
      ['a NUL', 'acme\u0000'],
      ['a non-ASCII letter', 'acmé'],
      ['a full-width digit', 'acme１'],
    ])('refuses a companyID with %s with a 400, before the login page', async (_, value) => {
      const target = `/sso/canny/login?${query({ companyID: value, redirect: CANNY_REDIRECT })}`
      for (const user of [ALICE, null]) {
        app.user = user
        const response = await app.get(target)
        expect(response.status).toBe(400)
        expect(response.headers.get('location')).toBeNull()
        expect(await codeOf(response)).toBe('ERR_SSO_BAD_REQUEST')
      }
    })

    it('refuses another company than companyId with a 403, before the login page', async () => {
      const target = `/sso/canny/login?${query({ companyID: 'othercompany1', redirect: CANNY_REDIRECT })}`
      for (const user of [ALICE, null]) {
        app.user = user
        const response = await app.get(target)
        expect(response.status).toBe(403)
        expect(response.headers.get('location')).toBeNull()
        expect(await codeOf(response)).toBe('ERR_SSO_FORBIDDEN')
      }
    })

    it('compares companyID with companyId exactly (case matters)', async () => {
      const target = `/sso/canny/login?${query({ companyID: CANNY_COMPANY_ID.toUpperCase(), redirect: CANNY_REDIRECT })}`
      expect((await app.get(target)).status).toBe(403)
    })

    it('uses companyId for a link without companyID, and takes any well-formed one without companyId', async () => {
      const own = await app.get(`/sso/canny/login?${query({ redirect: CANNY_REDIRECT })}`)
      expect((await cannyAnswer(own)).companyID).toBe(CANNY_COMPANY_ID)
      await start([build({ companyId: undefined })])
      const any = await app.get(
        `/sso/canny/login?${query({ companyID: 'Z9', redirect: CANNY_REDIRECT })}`,
      )
      expect((await cannyAnswer(any)).companyID).toBe('Z9')
      const missing = await app.get(`/sso/canny/login?${query({ redirect: CANNY_REDIRECT })}`)
      expect(missing.status).toBe(400)
      expect(await codeOf(missing)).toBe('ERR_SSO_BAD_REQUEST')
    })

    it('sends a logged-out browser to login with the whole request as returnTo', async () => {
      app.user = null
      const response = await app.get(LOGIN)
      expect(response.status).toBe(302)
      const login = new URL(response.headers.get('location') ?? '', app.url)
      expect(login.pathname).toBe('/login')
      expect(login.searchParams.get('returnTo')).toBe(LOGIN)
      expect(app.events).toContainEqual(expect.objectContaining({ type: 'login.required' }))
    })

    it('sends the token to a stand-in on loopback with cannyUrl, and nowhere else', async () => {
      await start([build({ cannyUrl: 'http://127.0.0.1:4110' })])
      const location = new URL((await app.get(LOGIN)).headers.get('location') ?? '')
      expect(`${location.origin}${location.pathname}`).toBe(
        'http://127.0.0.1:4110/api/redirects/sso',
      )
      await verifyAsVendor('canny', location.searchParams.get('ssoToken'), CANNY_SECRET)
    })

    it('has no logout route', async () => {
      const response = await app.get('/sso/canny/logout')
      expect(response.status).toBe(404)
      expect(response.headers.get('x-app')).toBe('not-found')
    })

    it('answers HEAD like GET, the token in Location only', async () => {
      const response = await app.get(LOGIN, { method: 'HEAD' })
      expect(response.status).toBe(302)
      expect(await response.text()).toBe('')
      expect(new URL(response.headers.get('location') ?? '').origin).toBe('https://canny.io')
    })
  })

  describe('canny claims', () => {
    const claimsFor = async (user: SsoUser, path = LOGIN) => {
      app.user = user
      const response = await app.get(path)
      expect(response.status).toBe(302)
      return (await cannyAnswer(response)).claims
    }

    it.each([
      ['a Date', new Date('2020-02-29T08:30:00.000Z')],
      ['milliseconds since the epoch', Date.UTC(2020, 1, 29, 8, 30)],
      ['an ISO string', '2020-02-29T08:30:00Z'],
      ['a date string with an offset', '2020-02-29T09:30:00+01:00'],
    ])('sends created as an ISO string from createdAt as %s', async (_, createdAt) => {
      const claims = await claimsFor({ ...ALICE, createdAt })
      expect(claims.created).toBe('2020-02-29T08:30:00.000Z')
    })

    it.each([
      ['a word', 'yesterday'],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['an invalid Date', new Date('x')],
      ['an object', { year: 2020 }],
      ['a boolean', true],
    ])('refuses createdAt as %s with a 422 naming the field', async (_, createdAt) => {
      app.user = { ...ALICE, createdAt }
      const response = await app.get(LOGIN)
      expect(response.status).toBe(422)
      const body = await response.text()
      expect(body).toContain('ERR_SSO_USER_INVALID')
      expect(body).toContain('createdAt')
    })

    it('sends avatarURL only for an https picture', async () => {
      expect((await claimsFor({ ...ALICE, picture: 'https://cdn.acme.com/a.png' })).avatarURL).toBe(
        'https://cdn.acme.com/a.png',
      )
      for (const picture of ['http://cdn.acme.com/a.png', 'javascript:alert(1)', '/a.png', '']) {
        expect(await claimsFor({ ...ALICE, picture })).not.toHaveProperty('avatarURL')
      }
    })

    it('names the user by name, first and last name, or the email’s local part', async () => {
      expect((await claimsFor({ ...ALICE, name: 'Alice L.' })).name).toBe('Alice L.')
      expect(
        (await claimsFor({ id: 'u-1', email: 'bob@example.com', firstName: 'Bob' })).name,
      ).toBe('Bob')
      expect((await claimsFor({ id: 'u-2', email: 'carol@example.com' })).name).toBe('carol')
    })

    it('sends companies and customFields only through the claims hook, and the signer keeps iat and exp', async () => {
      expect(await claimsFor(ALICE)).toEqual(cannyClaims(600))
      await start([
        build({
          claims: (user) => ({
            companies: [{ id: 'acme', name: 'Acme', monthlySpend: 500 }],
            customFields: { plan: 'pro', seat: user.id },
            exp: 0,
            iat: 1,
          }),
        }),
      ])
      expect(await claimsFor(ALICE)).toEqual({
        ...cannyClaims(600),
        companies: [{ id: 'acme', name: 'Acme', monthlySpend: 500 }],
        customFields: { plan: 'pro', seat: ALICE.id },
      })
    })

    it('refuses an unverified email with a 403 on both routes', async () => {
      app.user = { ...ALICE, emailVerified: false }
      const login = await app.get(LOGIN)
      expect(login.status).toBe(403)
      expect(await codeOf(login)).toBe('ERR_SSO_EMAIL_UNVERIFIED')
      const token = await app.get('/sso/canny/token', { method: 'POST' })
      expect(token.status).toBe(403)
      expect(await token.json()).toEqual({
        error: expect.objectContaining({ code: 'ERR_SSO_EMAIL_UNVERIFIED' }),
      })
    })
  })

  describe('canny widget token (flow B)', () => {
    const post = (init: RequestInit = {}) =>
      app.get('/sso/canny/token', { method: 'POST', ...init })

    it('answers { token, expiresAt } with exact claims, an hour long, no-store', async () => {
      const response = await post({ headers: { 'sec-fetch-site': 'same-origin', origin: app.url } })
      expect(response.status).toBe(200)
      expectNoStoreHeaders(response)
      const body = (await response.json()) as { token: string; expiresAt: number }
      expect(Object.keys(body)).toEqual(['token', 'expiresAt'])
      expect(body.expiresAt).toBe(PINNED_SECONDS + 3600)
      const claims = await verifyAsVendor('canny', body.token, CANNY_SECRET)
      expect(claims).toEqual(cannyClaims(3600))
      expect(app.events).toContainEqual(
        expect.objectContaining({ type: 'token.issued', vendor: 'canny', route: 'token' }),
      )
    })

    it.each([
      ['cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['same-site', { 'sec-fetch-site': 'same-site' }],
      ['a foreign Origin', { origin: 'https://evil.example' }],
      ['a null Origin', { origin: 'null' }],
    ])('refuses a request with %s with a 403 and no token', async (_, headers) => {
      const response = await post({ headers })
      expect(response.status).toBe(403)
      const body = await response.text()
      expect(body).toContain('ERR_SSO_FORBIDDEN')
      expect(body).not.toContain('eyJ')
    })

    it('is POST-only and keeps CORS closed', async () => {
      const get = await app.get('/sso/canny/token')
      expect(get.status).toBe(405)
      expect(get.headers.get('allow')).toBe('POST')
      const preflight = await app.get('/sso/canny/token', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      })
      expect(preflight.status).toBe(405)
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
      expect((await post()).headers.get('access-control-allow-origin')).toBeNull()
    })

    it('takes identity from the session only, never from the body', async () => {
      const response = await post({
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'admin', email: 'admin@example.com' }),
      })
      const { token } = (await response.json()) as { token: string }
      const claims = await verifyAsVendor('canny', token, CANNY_SECRET)
      expect([claims.id, claims.email]).toEqual([ALICE.id, ALICE.email])
    })

    it('answers 401 JSON when logged out', async () => {
      app.user = null
      const response = await post()
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({
        error: expect.objectContaining({ code: 'ERR_SSO_UNAUTHENTICATED' }),
      })
    })

    it('accepts extra origins named in allowedOrigins', async () => {
      await start([build({ allowedOrigins: ['https://app.example.com'] })])
      expect((await post({ headers: { origin: 'https://app.example.com' } })).status).toBe(200)
      expect((await post({ headers: { origin: 'https://other.example.com' } })).status).toBe(403)
    })
  })

  describe('canny lifetimes and paths', () => {
    it('takes expiresIn by route', async () => {
      await start([build({ expiresIn: { login: 120, token: 7200 } })])
      const { claims } = await cannyAnswer(await app.get(LOGIN))
      expect(claims.exp).toBe(PINNED_SECONDS + 120)
      const body = (await (await app.get('/sso/canny/token', { method: 'POST' })).json()) as {
        expiresAt: number
      }
      expect(body.expiresAt).toBe(PINNED_SECONDS + 7200)
    })

    it('renames both routes with paths', async () => {
      await start([build({ paths: { login: '/feedback/sso', token: '/feedback/token' } })])
      const moved = await app.get(LOGIN.replace('/canny/login', '/feedback/sso'))
      expect((await cannyAnswer(moved)).companyID).toBe(CANNY_COMPANY_ID)
      expect((await app.get('/sso/feedback/token', { method: 'POST' })).status).toBe(200)
      expect((await app.get(LOGIN)).status).toBe(404)
      expect((await app.get('/sso/canny/token', { method: 'POST' })).status).toBe(404)
    })
  })

  describe('canny configuration', () => {
    const base = { secret: CANNY_SECRET }
    it.each([
      ['a companyId with a hyphen', { companyId: 'acme-1' }, /`companyId` must be 1 to 64 letters/],
      ['an empty companyId', { companyId: '' }, /`companyId` must be 1 to 64 letters/],
      [
        'a defaultRedirect off allowedHosts',
        { defaultRedirect: 'https://evil.example/' },
        /`defaultRedirect` must be an https URL on `allowedHosts`/,
      ],
      [
        'an http defaultRedirect',
        { defaultRedirect: 'http://acme.canny.io/' },
        /`defaultRedirect`/,
      ],
      ['a relative defaultRedirect', { defaultRedirect: '/board' }, /`defaultRedirect`/],
      [
        'another cannyUrl',
        { cannyUrl: 'https://evil.example' },
        /^canny\(\{ cannyUrl \}\): must be "https:\/\/canny.io"/,
      ],
      [
        'cannyUrl with a path',
        { cannyUrl: 'https://canny.io/api' },
        /must be "https:\/\/canny.io"/,
      ],
      [
        'cannyUrl on a subdomain',
        { cannyUrl: 'https://acme.canny.io' },
        /must be "https:\/\/canny.io"/,
      ],
      ['cannyUrl over http', { cannyUrl: 'http://canny.io' }, /must use https/],
      ['expiresIn as a number', { expiresIn: 600 }, /`expiresIn` takes seconds by route/],
      ['an unknown expiresIn key', { expiresIn: { widget: 60 } }, /unknown option `widget`/],
      ['a login lifetime over an hour', { expiresIn: { login: 3601 } }, /capped at 3600/],
      ['a token lifetime over a day', { expiresIn: { token: 86_401 } }, /capped at 86400/],
      ['a zero lifetime', { expiresIn: { token: 0 } }, /positive whole number/],
      [
        'an empty allowedHosts',
        { allowedHosts: [] },
        /canny\(\{ allowedHosts \}\): needs at least one host/,
      ],
      ['a short secret', { secret: 'short' }, /32 bytes/],
    ])('refuses %s, naming canny() and the option', (_, options, message) => {
      const caught = configErrorOf(() => canny({ ...base, ...options } as CannyOptions), message)
      expect(caught.message).toMatch(/^canny\(/)
    })

    it('accepts a loopback cannyUrl, https://canny.io spelled with its port, and the defaults', () => {
      expect(canny({ ...base, cannyUrl: 'http://localhost:4110' }).id).toBe('canny')
      expect(canny({ ...base, cannyUrl: 'https://canny.io:443/' }).id).toBe('canny')
      expect(canny(base).routes.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /canny/login',
        'POST /canny/token',
      ])
    })

    it('takes the default allow-list *.canny.io', async () => {
      await start([canny({ secret: CANNY_SECRET })])
      const ok = await app.get(
        `/sso/canny/login?${query({ companyID: 'x1', redirect: 'https://acme.canny.io/' })}`,
      )
      expect(ok.status).toBe(302)
      const refused = await app.get(
        `/sso/canny/login?${query({ companyID: 'x1', redirect: `https://${CANNY_HOSTS[0]}/` })}`,
      )
      expect(refused.status).toBe(400)
    })
  })
})
