import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import type { JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { zendeskSimulator } from '../src/simulators/zendesk'
import type { ZendeskSimulatorOptions } from '../src/simulators/zendesk'
import { VendorTokenError, verifyVendorToken } from '../src/verify'
import {
  APP,
  CookieJar,
  NOW,
  OTHER_SECRET,
  SECRET,
  heading,
  linkHref,
  now,
  pageCode,
  pageState,
  request,
  sign,
  start,
  unsigned,
} from './helpers'

const END_USER = {
  name: 'end-user' as const,
  secret: SECRET,
  loginUrl: `${APP}/sso/zendesk/login`,
  logoutUrl: `${APP}/sso/zendesk/logout`,
}
const TEAM = {
  name: 'team' as const,
  secret: OTHER_SECRET,
  loginUrl: `${APP}/sso/zendesk-agents/login`,
  logoutUrl: `${APP}/sso/zendesk-agents/logout`,
}
const THIRD_SECRET = 'a-third-secret-0123456789abcdef-0123456'

function setup(extra: Partial<ZendeskSimulatorOptions> = {}) {
  return zendeskSimulator({
    configurations: [END_USER, TEAM],
    now,
    ...extra,
  } as ZendeskSimulatorOptions)
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iat: NOW,
    jti: randomUUID(),
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    external_id: 'u_1',
    ...overrides,
  }
}

/** Signs with an exact protected header (to test `typ`). */
function signWithHeader(payload: JWTPayload, header: Record<string, unknown>, secret = SECRET) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', ...header })
    .sign(new TextEncoder().encode(secret))
}

/** Zendesk's form POST, as the app's auto-submitting page sends it. */
function postJwt(
  url: string,
  fields: Record<string, string>,
  { query = '', jar }: { query?: string; jar?: CookieJar } = {},
) {
  const init: RequestInit = {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  }
  const target = `${url}/access/jwt${query}`
  return jar ? jar.request(target, init) : request(target, init)
}

function location(res: { headers: Headers }): URL {
  return new URL(res.headers.get('location') ?? 'about:blank')
}

describe('zendeskSimulator', () => {
  it('redirects a visitor of a protected ticket page to the area remote login URL with return_to and brand_id', async () => {
    const url = await start(setup({ brandId: '360000123' }))
    const home = await request(`${url}/`)
    expect(linkHref(home.text, 'requests').href).toBe(`${url}/hc/requests/1`)
    expect(linkHref(home.text, 'agent').href).toBe(`${url}/agent/tickets/1`)

    const endUser = await request(`${url}/hc/requests/1?tab=open`)
    expect(endUser.status).toBe(302)
    const to = location(endUser)
    expect(`${to.origin}${to.pathname}`).toBe(END_USER.loginUrl)
    expect(Object.fromEntries(to.searchParams)).toEqual({
      return_to: `${url}/hc/requests/1?tab=open`,
      brand_id: '360000123',
    })

    const agent = location(await request(`${url}/agent/tickets/1`))
    expect(`${agent.origin}${agent.pathname}`).toBe(TEAM.loginUrl)
    expect(agent.searchParams.get('return_to')).toBe(`${url}/agent/tickets/1`)
  })

  it('refuses a protected page of an area without an SSO configuration', async () => {
    const url = await start(setup({ configurations: [END_USER] }))
    const res = await request(`${url}/agent/tickets/1`)
    expect([res.status, pageCode(res.text)]).toEqual([403, 'sso_not_configured'])
  })

  it('answers GET /access/jwt with 405: sending the JWT with GET is deprecated', async () => {
    const sim = setup()
    const url = await start(sim)
    const res = await request(`${url}/access/jwt?jwt=${await sign(claims())}`)
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
    expect(pageCode(res.text)).toBe('jwt_get_deprecated')
    expect(res.text).toContain('deprecated')
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(sim.users).toEqual([])
  })

  it('signs an end user in from the form POST, lands on return_to and shows who is signed in', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    const res = await postJwt(
      url,
      { jwt: await sign(claims()) },
      { query: '?return_to=%2Fhc%2Frequests%2F1', jar },
    )
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${url}/hc/requests/1`)
    expect(res.headers.get('set-cookie')).toContain('HttpOnly')

    const page = await jar.request(`${url}/hc/requests/1`)
    expect(heading(page.text)).toBe('Signed in to Zendesk as ada@example.com')
    expect(pageState(page.text)).toBe('signed-in')
    expect(page.text).toContain('<dd data-configuration>end-user SSO</dd>')
    expect(page.text).not.toContain('data-role')
    expect(sim.users).toEqual([
      {
        id: 1001,
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        externalId: 'u_1',
        configuration: 'end-user',
      },
    ])
    expect(sim.events).toEqual([
      expect.objectContaining({
        type: 'signed-in',
        vendor: 'zendesk',
        email: 'ada@example.com',
        sub: 'u_1',
        detail: 'created',
        configuration: 'end-user',
      }),
    ])
  })

  it('reads return_to from the form body when the query has none', async () => {
    const url = await start(setup())
    const res = await postJwt(url, { jwt: await sign(claims()), return_to: '/hc/requests/7' })
    expect(res.headers.get('location')).toBe(`${url}/hc/requests/7`)
  })

  it('signs a team member in with the team configuration secret and shows the role', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    const token = await sign(
      claims({ email: 'grace@example.com', external_id: 'u_2', role: 'agent' }),
      OTHER_SECRET,
    )
    const res = await postJwt(
      url,
      { jwt: token },
      { query: `?return_to=${encodeURIComponent(`${url}/agent/tickets/1`)}`, jar },
    )
    expect(res.headers.get('location')).toBe(`${url}/agent/tickets/1`)
    const page = await jar.request(`${url}/agent/tickets/1`)
    expect(heading(page.text)).toBe('Signed in to Zendesk as grace@example.com')
    expect(page.text).toContain('<dd data-role>agent</dd>')
    expect(page.text).toContain('<dd data-configuration>team SSO</dd>')
    expect(sim.users[0]).toMatchObject({ role: 'agent', configuration: 'team' })
    expect(sim.events.at(-1)).toMatchObject({ type: 'signed-in', configuration: 'team' })
  })

  it.each([
    [
      'an absolute URL on its own host',
      (url: string) => `${url}/hc/requests/2`,
      (url: string) => `${url}/hc/requests/2`,
    ],
    ['another host', () => 'https://evil.example/hc', (url: string) => `${url}/`],
    ['a protocol-relative URL', () => '//evil.example/hc', (url: string) => `${url}/`],
    ['a backslash trick', () => '/\\evil.example', (url: string) => `${url}/`],
    ['a javascript: URL', () => 'javascript:alert(1)', (url: string) => `${url}/`],
  ])(
    'lands on return_to only when relative or on its own host: %s',
    async (_name, returnTo, landing) => {
      const url = await start(setup())
      const res = await postJwt(
        url,
        { jwt: await sign(claims()) },
        { query: `?return_to=${encodeURIComponent(returnTo(url))}` },
      )
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe(landing(url))
    },
  )

  it('lands on its home without return_to', async () => {
    const url = await start(setup())
    const res = await postJwt(url, { jwt: await sign(claims()) })
    expect(res.headers.get('location')).toBe(`${url}/`)
  })

  it('finds the user by external_id first, then by email, and creates one otherwise', async () => {
    const sim = setup({
      users: [
        { email: 'old@example.com', externalId: 'u_1' },
        { email: 'grace@example.com', name: 'G' },
      ],
    })
    const url = await start(sim)
    await postJwt(url, { jwt: await sign(claims()) })
    await postJwt(url, {
      jwt: await sign(claims({ email: 'GRACE@example.com', name: 'Grace', external_id: 'u_2' })),
    })
    await postJwt(url, {
      jwt: await sign(claims({ email: 'alan@example.com', name: 'Alan', external_id: undefined })),
    })
    expect(sim.events.map((e) => [e.type, e.detail])).toEqual([
      ['signed-in', 'matched by external_id'],
      ['signed-in', 'matched by email'],
      ['signed-in', 'created'],
    ])
    expect(sim.users.map(({ id, email, externalId }) => ({ id, email, externalId }))).toEqual([
      { id: 1001, email: 'ada@example.com', externalId: 'u_1' },
      { id: 1002, email: 'GRACE@example.com', externalId: 'u_2' },
      { id: 1003, email: 'alan@example.com', externalId: undefined },
    ])
  })

  it.each([
    ['180 s old', NOW - 180],
    ['180 s ahead', NOW + 180],
  ])('accepts an iat %s (the window is ±3 minutes)', async (_name, iat) => {
    const url = await start(setup())
    const res = await postJwt(url, { jwt: await sign(claims({ iat })) })
    expect(res.headers.get('location')).toBe(`${url}/`)
  })

  const refusals: [string, () => Promise<string>, string][] = [
    ['a secret of no configuration', () => sign(claims(), THIRD_SECRET), 'bad_signature'],
    ['HS384', () => sign(claims(), SECRET, 'HS384'), 'wrong_algorithm'],
    ['alg none', async () => unsigned(claims()), 'wrong_algorithm'],
    ['no typ header', () => signWithHeader(claims(), {}), 'wrong_type'],
    ['typ "JWS"', () => signWithHeader(claims(), { typ: 'JWS' }), 'wrong_type'],
    ['no email', () => sign(claims({ email: undefined })), 'missing_claim'],
    ['an email that is not one', () => sign(claims({ email: 'ada' })), 'invalid_claim'],
    ['no name', () => sign(claims({ name: undefined })), 'missing_claim'],
    ['no jti', () => sign(claims({ jti: undefined })), 'missing_claim'],
    ['no iat', () => sign(claims({ iat: undefined })), 'missing_claim'],
    ['an iat 181 s old', () => sign(claims({ iat: NOW - 181 })), 'too_old'],
    ['an iat 181 s ahead', () => sign(claims({ iat: NOW + 181 })), 'issued_in_future'],
    ['an expired exp', () => sign(claims({ exp: NOW - 10 })), 'expired'],
    ['an unknown role', () => sign(claims({ role: 'owner' })), 'invalid_claim'],
    ['a numeric external_id', () => sign(claims({ external_id: 7 })), 'invalid_claim'],
  ]

  it.each(refusals)(
    'redirects a token with %s to the remote logout URL with kind=error and a message',
    async (_name, makeToken, code) => {
      const sim = setup()
      const url = await start(sim)
      const res = await postJwt(
        url,
        { jwt: await makeToken() },
        { query: '?return_to=%2Fhc%2Frequests%2F1' },
      )
      expect(res.status).toBe(302)
      const to = location(res)
      expect(`${to.origin}${to.pathname}`).toBe(END_USER.logoutUrl)
      expect(to.searchParams.get('kind')).toBe('error')
      expect(to.searchParams.get('message')).toMatch(
        /^Zendesk could not sign you in with the JWT: /,
      )
      expect(res.headers.get('set-cookie')).toBeNull()
      expect(sim.users).toEqual([])
      expect(sim.seenJti.size).toBe(0)
      expect(sim.events).toEqual([
        expect.objectContaining({ type: 'refused', code, configuration: 'end-user' }),
      ])
    },
  )

  it('names the reason in the message (iat too old)', async () => {
    const url = await start(setup())
    const res = await postJwt(url, { jwt: await sign(claims({ iat: NOW - 600 })) })
    expect(location(res).searchParams.get('message')).toContain(
      '"iat" claim is more than 3 minutes old',
    )
  })

  it('sends a failure to the configuration whose secret signed the token', async () => {
    const sim = setup()
    const url = await start(sim)
    // Signed with the team secret, refused for its claims, while return_to names the end-user area.
    const res = await postJwt(url, {
      jwt: await sign(claims({ name: undefined }), OTHER_SECRET),
      return_to: '/hc/requests/1',
    })
    const to = location(res)
    expect(`${to.origin}${to.pathname}`).toBe(TEAM.logoutUrl)
    expect(sim.events.at(-1)).toMatchObject({ code: 'missing_claim', configuration: 'team' })
  })

  it('sends a token no secret verifies to the logout URL of the return_to area', async () => {
    const sim = setup()
    const url = await start(sim)
    const res = await postJwt(url, {
      jwt: await sign(claims(), THIRD_SECRET),
      return_to: `${url}/agent/tickets/1`,
    })
    const to = location(res)
    expect(`${to.origin}${to.pathname}`).toBe(TEAM.logoutUrl)
    expect(to.searchParams.get('kind')).toBe('error')
    expect(sim.events.at(-1)).toMatchObject({ code: 'bad_signature', configuration: 'team' })
  })

  it('refuses a jti it has seen before, and only records the jti of a sign-in that succeeded', async () => {
    const sim = setup()
    const url = await start(sim)
    const token = await sign(claims({ jti: 'jti-1' }))
    expect(location(await postJwt(url, { jwt: token })).href).toBe(`${url}/`)
    const again = await postJwt(url, { jwt: token })
    expect(location(again).searchParams.get('kind')).toBe('error')
    expect(location(again).searchParams.get('message')).toContain(
      '"jti" claim has already been used',
    )
    expect(sim.events.at(-1)).toMatchObject({ type: 'refused', code: 'replayed_jti' })
    expect([...sim.seenJti]).toEqual(['jti-1'])
  })

  it('refuses a missing jwt field with the error redirect', async () => {
    const sim = setup()
    const url = await start(sim)
    const res = await postJwt(url, { return_to: '/hc/requests/1' })
    expect(location(res).searchParams.get('kind')).toBe('error')
    expect(sim.events.at(-1)).toMatchObject({ code: 'missing_token' })
  })

  it('shows a refusal page instead when the configuration has no remote logout URL', async () => {
    const url = await start(setup({ configurations: [{ ...END_USER, logoutUrl: undefined }] }))
    const res = await postJwt(url, { jwt: await sign(claims({ name: undefined })) })
    expect(res.status).toBe(401)
    expect(pageCode(res.text)).toBe('missing_claim')
  })

  it('takes the single end-user configuration shorthand', async () => {
    const sim = zendeskSimulator({ secret: SECRET, loginUrl: END_USER.loginUrl, now })
    const url = await start(sim)
    expect(location(await request(`${url}/hc/requests/1`)).pathname).toBe('/sso/zendesk/login')
    const res = await postJwt(url, { jwt: await sign(claims({ name: undefined })) })
    expect([res.status, pageCode(res.text)]).toEqual([401, 'missing_claim'])
  })

  it.each([
    [
      'a JSON body',
      'application/json',
      JSON.stringify({ jwt: 'x' }),
      415,
      'unsupported_media_type',
    ],
    [
      'a body over 32 KiB',
      'application/x-www-form-urlencoded',
      `jwt=${'a'.repeat(33_000)}`,
      413,
      'body_too_large',
    ],
    ['jwt given twice', 'application/x-www-form-urlencoded', 'jwt=a&jwt=b', 400, 'bad_request'],
  ])('refuses %s with a page', async (_name, type, body, status, code) => {
    const sim = setup()
    const url = await start(sim)
    const res = await request(`${url}/access/jwt`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    })
    expect([res.status, pageCode(res.text)]).toEqual([status, code])
    expect(sim.users).toEqual([])
  })

  it('accepts a form Content-Type with a charset', async () => {
    const url = await start(setup())
    const res = await request(`${url}/access/jwt`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: `jwt=${await sign(claims())}`,
    })
    expect(res.headers.get('location')).toBe(`${url}/`)
  })

  it('signs out to the remote logout URL with email, external_id and brand_id', async () => {
    const url = await start(setup({ brandId: '42' }))
    const jar = new CookieJar()
    await postJwt(url, { jwt: await sign(claims({ role: 'admin' }), OTHER_SECRET) }, { jar })
    const page = await jar.request(`${url}/agent/tickets/1`)
    const res = await jar.request(linkHref(page.text, 'logout').href)
    expect(res.status).toBe(302)
    const to = location(res)
    expect(`${to.origin}${to.pathname}`).toBe(TEAM.logoutUrl)
    expect(Object.fromEntries(to.searchParams)).toEqual({
      email: 'ada@example.com',
      external_id: 'u_1',
      brand_id: '42',
    })
    expect(res.headers.get('set-cookie')).toContain('Max-Age=0')
    const after = await jar.request(`${url}/agent/tickets/1`)
    expect(after.status).toBe(302)
  })

  it('signs out without a session to the first configuration logout URL with blank user fields', async () => {
    const url = await start(setup())
    const to = location(await request(`${url}/access/logout`))
    expect(`${to.origin}${to.pathname}`).toBe(END_USER.logoutUrl)
    expect(Object.fromEntries(to.searchParams)).toEqual({
      email: '',
      external_id: '',
      brand_id: '360000000001',
    })
  })

  it.each([
    ['no configurations', { configurations: [] }],
    ['three configurations', { configurations: [END_USER, TEAM, END_USER] }],
    ['two with one name', { configurations: [END_USER, { ...TEAM, name: 'end-user' }] }],
    ['an unknown name', { configurations: [{ ...END_USER, name: 'agents' }] }],
    ['one secret twice', { configurations: [END_USER, { ...TEAM, secret: SECRET }] }],
    ['a relative loginUrl', { configurations: [{ ...END_USER, loginUrl: '/sso/zendesk/login' }] }],
    ['a brandId that is not digits', { configurations: [END_USER], brandId: 'acme' }],
  ])('throws a TypeError at construction for %s', (_name, options) => {
    expect(() => zendeskSimulator(options as ZendeskSimulatorOptions)).toThrow(TypeError)
  })
})

describe("verifyVendorToken('zendesk')", () => {
  it('accepts a well-formed token and refuses its jti the second time with seenJti', async () => {
    const seenJti = new Set<string>()
    const token = await sign(claims({ jti: 'j1' }))
    const verified = await verifyVendorToken('zendesk', token, SECRET, { now: NOW * 1000, seenJti })
    expect(verified).toMatchObject({ email: 'ada@example.com', jti: 'j1' })
    await expect(
      verifyVendorToken('zendesk', token, SECRET, { now: NOW * 1000, seenJti }),
    ).rejects.toMatchObject({ code: 'replayed_jti', claim: 'jti' })
  })

  it('refuses a token without typ "JWT" with wrong_type, naming the header parameter', async () => {
    const err = await verifyVendorToken('zendesk', await signWithHeader(claims(), {}), SECRET, {
      now: NOW * 1000,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(VendorTokenError)
    expect(err).toMatchObject({ code: 'wrong_type', claim: 'typ', vendor: 'zendesk' })
    expect((err as Error).message).toBe(
      'Zendesk could not sign you in with the JWT: the token header "typ" must be "JWT" (got none).',
    )
  })
})
