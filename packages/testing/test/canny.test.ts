import type { JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { cannySimulator } from '../src/simulators/canny'
import type { CannySimulatorOptions } from '../src/simulators/canny'
import { cannySdkPath, cannySdkSource } from '../src/simulators/canny/sdk'
import { VendorTokenError, verifyVendorToken } from '../src/verify'
import {
  APP,
  CookieJar,
  NOW,
  OTHER_SECRET,
  SECRET,
  heading,
  now,
  pageCode,
  pageState,
  request,
  sign,
  start,
  unsigned,
} from './helpers'

const SSO_PAGE = `${APP}/sso/canny/login`
const ACME = {
  id: 'acme1',
  secret: SECRET,
  ssoRedirectUrl: SSO_PAGE,
  admins: ['owner@acme.example'],
}
const GLOBEX = { id: 'globex7', secret: OTHER_SECRET, admins: ['ada@example.com'] }

function setup(extra: Partial<CannySimulatorOptions> = {}) {
  return cannySimulator({ companies: [ACME], now, ...extra })
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    id: 'u_1',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    iat: NOW,
    exp: NOW + 600,
    ...overrides,
  }
}

const sso = (url: string, params: Record<string, string>) =>
  `${url}/api/redirects/sso?${new URLSearchParams(params)}`

describe('canny board and SSO redirect', () => {
  it('sends a visitor without a session from the board to the SSO page with companyID and redirect', async () => {
    const url = await start(setup())
    const res = await request(`${url}/`)
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe(SSO_PAGE)
    expect(Object.fromEntries(location.searchParams)).toEqual({
      companyID: 'acme1',
      redirect: `${url}/`,
    })
  })

  it('signs a verified user in, redirects to the board, and shows them signed in there', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    const token = await sign(
      claims({ avatarURL: 'https://cdn.example/a.png', created: '2020-02-29T08:30:00.000Z' }),
    )
    const res = await jar.request(
      sso(url, { companyID: 'acme1', ssoToken: token, redirect: `${url}/acme1` }),
    )
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${url}/acme1`)
    const board = await jar.request(`${url}/acme1`)
    expect(board.status).toBe(200)
    expect(pageState(board.text)).toBe('signed-in')
    expect(heading(board.text)).toBe('Signed in to Canny as ada@example.com')
    expect(sim.users.get('acme1:u_1')).toEqual({
      companyID: 'acme1',
      id: 'u_1',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      avatarURL: 'https://cdn.example/a.png',
      created: '2020-02-29T08:30:00.000Z',
      signIns: 1,
    })
    expect(sim.events.at(-1)).toMatchObject({
      type: 'signed-in',
      email: 'ada@example.com',
      sub: 'u_1',
    })
  })

  it('redirects to the board when redirect is missing', async () => {
    const url = await start(setup())
    const res = await request(sso(url, { companyID: 'acme1', ssoToken: await sign(claims()) }))
    expect(res.headers.get('location')).toBe(`${url}/`)
  })

  it('accepts a token without exp', async () => {
    const url = await start(setup())
    const res = await request(
      sso(url, { companyID: 'acme1', ssoToken: await sign(claims({ exp: undefined })) }),
    )
    expect(res.status).toBe(302)
  })

  it.each([
    ['another host', 'https://evil.example/'],
    ['a look-alike port', 'http://127.0.0.1:1/'],
    ['userinfo', 'http://user@127.0.0.1/'],
    ['a relative path', '/acme1'],
    ['javascript:', 'javascript:alert(1)'],
  ])('refuses a redirect to %s with a 400 and signs no one in', async (_, target) => {
    const sim = setup()
    const url = await start(sim)
    const redirect = target.includes('user@')
      ? target.replace('127.0.0.1', new URL(url).host)
      : target
    const res = await request(
      sso(url, { companyID: 'acme1', ssoToken: await sign(claims()), redirect }),
    )
    expect(res.status).toBe(400)
    expect(pageCode(res.text)).toBe('redirect_not_allowed')
    expect(res.headers.get('location')).toBeNull()
    expect(sim.users.size).toBe(0)
  })

  it.each([
    ['an unknown companyID', { companyID: 'nobody' }, 400, 'unknown_company'],
    ['no companyID', { companyID: undefined }, 400, 'unknown_company'],
    ['no ssoToken', { ssoToken: undefined }, 400, 'missing_token'],
    ['a repeated companyID', { repeat: 'companyID' }, 400, 'bad_request'],
  ])('refuses %s', async (_, change, status, code) => {
    const url = await start(setup())
    const params = new URLSearchParams({ companyID: 'acme1', ssoToken: await sign(claims()) })
    for (const [key, value] of Object.entries(change)) {
      if (key === 'repeat') params.append(value as string, 'acme1')
      else if (value === undefined) params.delete(key)
      else params.set(key, value)
    }
    const res = await request(`${url}/api/redirects/sso?${params}`)
    expect(res.status).toBe(status)
    expect(pageCode(res.text)).toBe(code)
  })

  it.each([
    ['another company’s key', () => sign(claims(), OTHER_SECRET), 'bad_signature'],
    ['alg none', async () => unsigned(claims()), 'wrong_algorithm'],
    ['HS512', () => sign(claims(), SECRET, 'HS512'), 'wrong_algorithm'],
    ['no id', () => sign(claims({ id: undefined })), 'missing_claim'],
    ['a numeric id', () => sign(claims({ id: 42 })), 'invalid_claim'],
    ['no email', () => sign(claims({ email: undefined })), 'missing_claim'],
    ['no name', () => sign(claims({ name: undefined })), 'missing_claim'],
    ['an expired exp', () => sign(claims({ exp: NOW - 60 })), 'expired'],
    [
      'an http avatarURL',
      () => sign(claims({ avatarURL: 'http://cdn.example/a.png' })),
      'invalid_claim',
    ],
    [
      'a created that is no ISO date',
      () => sign(claims({ created: 'yesterday' })),
      'invalid_claim',
    ],
    ['a garbled token', async () => 'not.a.jwt', 'malformed'],
  ])('refuses a token with %s with a 401 and its code', async (_, make, code) => {
    const sim = setup()
    const url = await start(sim)
    const res = await request(
      sso(url, { companyID: 'acme1', ssoToken: await make(), redirect: `${url}/` }),
    )
    expect(res.status).toBe(401)
    expect(pageCode(res.text)).toBe(code)
    expect(sim.users.size).toBe(0)
    expect(sim.events.at(-1)).toMatchObject({ type: 'refused', code })
  })

  it('verifies with the key of the company named by companyID', async () => {
    const sim = setup({ companies: [ACME, GLOBEX] })
    const url = await start(sim)
    const globexToken = await sign(claims({ email: 'bob@globex.example' }), OTHER_SECRET)
    const ok = await request(sso(url, { companyID: 'globex7', ssoToken: globexToken }))
    expect(ok.status).toBe(302)
    expect(ok.headers.get('location')).toBe(`${url}/globex7`)
    const wrong = await request(sso(url, { companyID: 'acme1', ssoToken: globexToken }))
    expect(pageCode(wrong.text)).toBe('bad_signature')
  })

  it('refuses an email that belongs to an admin of another company, and lets that company sign them in', async () => {
    const sim = setup({ companies: [ACME, GLOBEX] })
    const url = await start(sim)
    const refused = await request(
      sso(url, { companyID: 'acme1', ssoToken: await sign(claims({ email: 'ADA@example.com' })) }),
    )
    expect(refused.status).toBe(403)
    expect(pageCode(refused.text)).toBe('admin_of_another_company')
    const own = await request(
      sso(url, { companyID: 'globex7', ssoToken: await sign(claims(), OTHER_SECRET) }),
    )
    expect(own.status).toBe(302)
  })

  it('shows no session of one company on another company’s board', async () => {
    const url = await start(setup({ companies: [ACME, { ...GLOBEX, ssoRedirectUrl: SSO_PAGE }] }))
    const jar = new CookieJar()
    await jar.request(
      sso(url, { companyID: 'acme1', ssoToken: await sign(claims({ email: 'eve@acme.example' })) }),
    )
    const other = await jar.request(`${url}/globex7`)
    expect(other.status).toBe(302)
    expect(new URL(other.headers.get('location') ?? '').searchParams.get('companyID')).toBe(
      'globex7',
    )
  })

  it('answers 405 to a POST', async () => {
    const url = await start(setup())
    expect((await request(sso(url, { companyID: 'acme1' }), { method: 'POST' })).status).toBe(405)
  })
})

describe('canny widget', () => {
  const widget = (url: string, params: Record<string, string>) =>
    request(`${url}/widget?${new URLSearchParams(params)}`)

  it('serves the SDK stand-in as JavaScript', async () => {
    const url = await start(setup())
    const res = await request(`${url}${cannySdkPath}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.text).toBe(cannySdkSource)
    expect(cannySdkSource).toContain("command === 'render'")
  })

  it('renders the board for the ssoToken user, verified server-side, framable and nonce-scripted', async () => {
    const sim = setup()
    const url = await start(sim)
    const res = await widget(url, {
      boardToken: 'board-acme1',
      basePath: '/feedback',
      ssoToken: await sign(claims()),
    })
    expect(res.status).toBe(200)
    expect(pageState(res.text)).toBe('signed-in')
    expect(heading(res.text)).toBe('Signed in to Canny as ada@example.com')
    expect(res.text).toContain('<code>/feedback</code>')
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(/frame-ancestors \*$/)
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1]
    expect(res.text).toContain(
      `<script nonce="${nonce}">parent.postMessage({"source":"canny-simulator","state":"signed-in","user":"u_1"}, '*')</script>`,
    )
    expect(res.text.match(/<script/g)).toHaveLength(1)
    expect(sim.events.at(-1)).toMatchObject({ type: 'signed-in', detail: 'widget' })
  })

  it('renders an anonymous board without ssoToken', async () => {
    const url = await start(setup({ frameAncestors: 'http://127.0.0.1:3000' }))
    const res = await widget(url, { boardToken: 'board-acme1' })
    expect(res.status).toBe(200)
    expect(pageState(res.text)).toBe('page')
    expect(res.text).toContain('"state":"anonymous"')
    expect(res.headers.get('content-security-policy')).toMatch(
      /frame-ancestors http:\/\/127.0.0.1:3000$/,
    )
  })

  it.each([
    [
      'an expired token',
      { boardToken: 'board-acme1' },
      () => sign(claims({ exp: NOW - 60 })),
      401,
      'expired',
    ],
    [
      'another key',
      { boardToken: 'board-acme1' },
      () => sign(claims(), OTHER_SECRET),
      401,
      'bad_signature',
    ],
    ['an unknown board', { boardToken: 'board-x' }, () => sign(claims()), 404, 'unknown_board'],
  ])(
    'answers the widget an error for %s, with its code for the page',
    async (_, params, make, status, code) => {
      const sim = setup()
      const url = await start(sim)
      const res = await widget(url, { ...params, ssoToken: await make() })
      expect(res.status).toBe(status)
      expect(pageCode(res.text)).toBe(code)
      expect(res.text).toContain(`"state":"error","code":"${code}"`)
      expect(sim.users.size).toBe(0)
    },
  )

  it('refuses another company’s admin in the widget too', async () => {
    const url = await start(setup({ companies: [ACME, GLOBEX] }))
    const res = await widget(url, { boardToken: 'board-acme1', ssoToken: await sign(claims()) })
    expect(res.status).toBe(403)
    expect(pageCode(res.text)).toBe('admin_of_another_company')
  })
})

describe('canny configuration and token rules', () => {
  it.each([
    ['no companies', { companies: [] }, /at least one company/],
    ['a bad company id', { companies: [{ ...ACME, id: 'acme-1' }] }, /not 1–64 letters and digits/],
    ['no secret', { companies: [{ ...ACME, secret: '' }] }, /secret/],
  ])('refuses %s', (_, options, message) => {
    expect(() => cannySimulator(options as CannySimulatorOptions)).toThrow(message)
  })

  it('verifyVendorToken("canny") names the claim at fault', async () => {
    const err = await verifyVendorToken('canny', await sign(claims({ name: '' })), SECRET, {
      now: NOW * 1000,
    }).catch((e) => e)
    expect(err).toBeInstanceOf(VendorTokenError)
    expect(err).toMatchObject({ code: 'missing_claim', claim: 'name' })
    expect(err.message).toBe(
      'Canny could not sign you in with the SSO token: the "name" claim is required.',
    )
  })
})
