import type { JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { bettermodeSimulator } from '../src/simulators/bettermode'
import type { BettermodeSimulatorOptions } from '../src/simulators/bettermode'
import {
  APP,
  NOW,
  OTHER_SECRET,
  SECRET,
  heading,
  linkHref,
  linkText,
  now,
  pageCode,
  pageState,
  request,
  sign,
  start,
  unsigned,
} from './helpers'

const loginUrl = `${APP}/sso/bettermode/login`
const logoutUrl = `${APP}/sso/bettermode/logout`

function setup(extra: Partial<BettermodeSimulatorOptions> = {}) {
  return bettermodeSimulator({ secret: SECRET, loginUrl, logoutUrl, now, ...extra })
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    sub: 'u_1',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    iat: NOW,
    exp: NOW + 60,
    ...overrides,
  }
}

function sessionCookie(headers: Headers): string {
  const cookie = headers.get('set-cookie') ?? ''
  return cookie.split(';')[0] ?? ''
}

describe('bettermodeSimulator', () => {
  it('links "Log in" to the app route with referrer_uri=/spaces/general', async () => {
    const url = await start(setup())
    const page = await request(`${url}/`)
    expect(linkText(page.text, 'login')).toBe('Log in')
    expect(linkHref(page.text, 'login').href).toBe(`${loginUrl}?referrer_uri=%2Fspaces%2Fgeneral`)
  })

  it('signs the member in, redirects to redirect_uri and shows who is signed in on that page', async () => {
    const sim = setup()
    const url = await start(sim)
    const res = await request(
      `${url}/api/auth/sso?jwt=${await sign(claims())}&redirect_uri=%2Fspaces%2Fgeneral`,
    )
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${url}/spaces/general`)
    const cookie = sessionCookie(res.headers)
    expect(res.headers.get('set-cookie')).toContain('HttpOnly')

    const page = await request(`${url}/spaces/general`, { headers: { cookie } })
    expect(heading(page.text)).toBe('Signed in to Bettermode as ada@example.com')
    expect(pageState(page.text)).toBe('signed-in')
    expect(page.text).toContain('<code data-path>/spaces/general</code>')
    expect(sim.members).toEqual([{ sub: 'u_1', email: 'ada@example.com', name: 'Ada Lovelace' }])
    expect(sim.events).toEqual([
      expect.objectContaining({
        type: 'signed-in',
        email: 'ada@example.com',
        sub: 'u_1',
        detail: 'created',
      }),
    ])
  })

  it('redirects to the community home without redirect_uri', async () => {
    const url = await start(setup())
    const res = await request(`${url}/api/auth/sso?jwt=${await sign(claims())}`)
    expect(res.headers.get('location')).toBe(`${url}/`)
  })

  it('logs out through the community: ends the session and goes to the Logout URL', async () => {
    const url = await start(setup())
    const res = await request(`${url}/api/auth/sso?jwt=${await sign(claims())}`)
    const cookie = sessionCookie(res.headers)
    const page = await request(`${url}/`, { headers: { cookie } })
    expect(linkText(page.text, 'logout')).toBe('Log out')
    const logout = await request(linkHref(page.text, 'logout').href, { headers: { cookie } })
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')).toBe(logoutUrl)
    expect(logout.headers.get('set-cookie')).toContain('Max-Age=0')
    const after = await request(`${url}/`, { headers: { cookie } })
    expect(pageState(after.text)).toBe('page')
    expect(after.text).toContain('id="login"')
  })

  it('matches an existing member by sub first, then by email, and creates one otherwise', async () => {
    const sim = setup({
      members: [{ sub: 'u_1', email: 'old@example.com' }, { email: 'grace@example.com' }],
    })
    const url = await start(sim)
    await request(`${url}/api/auth/sso?jwt=${await sign(claims())}`)
    await request(
      `${url}/api/auth/sso?jwt=${await sign(claims({ sub: 'u_2', email: 'grace@example.com', name: 'Grace' }))}`,
    )
    await request(
      `${url}/api/auth/sso?jwt=${await sign(claims({ sub: 'u_3', email: 'alan@example.com', name: 'Alan' }))}`,
    )
    expect(sim.events.map((e) => e.detail)).toEqual([
      'matched by sub',
      'matched by email',
      'created',
    ])
    expect(sim.members).toEqual([
      { sub: 'u_1', email: 'ada@example.com', name: 'Ada Lovelace' },
      { sub: 'u_2', email: 'grace@example.com', name: 'Grace' },
      { sub: 'u_3', email: 'alan@example.com', name: 'Alan' },
    ])
  })

  it.each([
    ['an absolute URL', 'https://evil.example/spaces'],
    ['a protocol-relative URL', '//evil.example/spaces'],
    ['a backslash trick', '/\\evil.example'],
    ['a path without a leading slash', 'spaces/general'],
  ])('refuses %s as redirect_uri and signs nobody in', async (_name, redirectUri) => {
    const sim = setup()
    const url = await start(sim)
    const res = await request(
      `${url}/api/auth/sso?jwt=${await sign(claims())}&redirect_uri=${encodeURIComponent(redirectUri)}`,
    )
    expect(res.status).toBe(400)
    expect(pageCode(res.text)).toBe('invalid_redirect_uri')
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(sim.members).toEqual([])
  })

  const refusals: [string, () => Promise<string>, string][] = [
    ['another secret', () => sign(claims(), OTHER_SECRET), 'bad_signature'],
    ['HS384', () => sign(claims(), SECRET, 'HS384'), 'wrong_algorithm'],
    ['alg none', async () => unsigned(claims()), 'wrong_algorithm'],
    ['a sub over 50 characters', () => sign(claims({ sub: 'x'.repeat(51) })), 'claim_too_long'],
    [
      'an email over 200 characters',
      () => sign(claims({ email: `${'a'.repeat(189)}@example.com` })),
      'claim_too_long',
    ],
    ['no sub', () => sign(claims({ sub: undefined })), 'missing_claim'],
    ['no name', () => sign(claims({ name: undefined })), 'missing_claim'],
    ['no email', () => sign(claims({ email: undefined })), 'missing_claim'],
    ['no exp', () => sign(claims({ exp: undefined })), 'missing_claim'],
    ['an expired exp', () => sign(claims({ exp: NOW - 10 })), 'expired'],
    [
      'a picture that is not http(s)',
      () => sign(claims({ picture: 'javascript:alert(1)' })),
      'invalid_claim',
    ],
    [
      'an unknown spacesOperation',
      () => sign(claims({ spacesOperation: 'MERGE' })),
      'invalid_claim',
    ],
    ['spaceIds that is not an array', () => sign(claims({ spaceIds: 'space-1' })), 'invalid_claim'],
  ]

  it.each(refusals)('refuses a token with %s', async (_name, makeToken, code) => {
    const sim = setup()
    const url = await start(sim)
    const token = await makeToken()
    const res = await request(`${url}/api/auth/sso?jwt=${token}`)
    expect(res.status).toBe(401)
    expect(pageCode(res.text)).toBe(code)
    expect(res.text).not.toContain(token)
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(sim.events).toEqual([expect.objectContaining({ type: 'refused', code })])
  })

  it('accepts sub and email exactly at their limits and the optional claims when well-formed', async () => {
    const url = await start(setup())
    const token = await sign(
      claims({
        sub: 'x'.repeat(50),
        email: `${'a'.repeat(188)}@example.com`,
        picture: 'https://example.com/ada.png',
        tagline: 'Analyst',
        spaceIds: ['s1'],
        spacesOperation: 'REPLACE',
      }),
    )
    const res = await request(`${url}/api/auth/sso?jwt=${token}`)
    expect(res.status).toBe(302)
  })

  it('names the claim that breaks a limit', async () => {
    const url = await start(setup())
    const res = await request(
      `${url}/api/auth/sso?jwt=${await sign(claims({ sub: 'x'.repeat(51) }))}`,
    )
    expect(res.text).toContain('the &quot;sub&quot; claim must be 50 characters or less')
  })
})
