import type { JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { metabaseSimulator } from '../src/simulators/metabase'
import type { MetabaseSimulatorOptions } from '../src/simulators/metabase'
import { metabaseSdkPath, metabaseSdkSource } from '../src/simulators/metabase/sdk'
import { fakeBrowser } from './fake-dom'
import type { FakeElement } from './fake-dom'
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

const loginUrl = `${APP}/sso/metabase/login`

function setup(extra: Partial<MetabaseSimulatorOptions> = {}) {
  return metabaseSimulator({ secret: SECRET, loginUrl, now, ...extra })
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    email: 'ada@example.com',
    first_name: 'Ada',
    last_name: 'Lovelace',
    iat: NOW,
    exp: NOW + 600,
    ...overrides,
  }
}

const sso = async (url: string, jwt: string, returnTo?: string, jar = new CookieJar()) =>
  jar.request(
    `${url}/auth/sso?jwt=${jwt}${returnTo === undefined ? '' : `&return_to=${encodeURIComponent(returnTo)}`}`,
  )

describe('metabaseSimulator: /auth/sso (the full app)', () => {
  it('sends /auth/sso without a jwt to the JWT Identity Provider URI with return_to', async () => {
    const url = await start(setup())
    const res = await request(`${url}/auth/sso?return_to=%2Fdashboard%2F1`)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${loginUrl}?return_to=%2Fdashboard%2F1`)
    const bare = await request(`${url}/auth/sso`)
    expect(bare.headers.get('location')).toBe(loginUrl)
  })

  it('sends a logged-out visitor of any page through /auth/sso, and offers SSO on /', async () => {
    const url = await start(setup())
    const res = await request(`${url}/dashboard/1?tab=2`)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${url}/auth/sso?return_to=%2Fdashboard%2F1%3Ftab%3D2`)
    const home = await request(`${url}/`)
    expect(home.status).toBe(200)
    expect(linkHref(home.text, 'login').href).toBe(`${url}/auth/sso?return_to=%2F`)
  })

  it('signs the user in, creates them, and lands on return_to saying who is signed in', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    const res = await sso(url, await sign(claims()), '/dashboard/1', jar)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${url}/dashboard/1`)
    expect(res.headers.get('set-cookie')).toContain('HttpOnly')
    const page = await jar.request(`${url}/dashboard/1`)
    expect(heading(page.text)).toBe('Signed in to Metabase as ada@example.com')
    expect(pageState(page.text)).toBe('signed-in')
    expect(page.text).toContain('<code data-path>/dashboard/1</code> as Ada Lovelace')
    expect(page.text).toContain('<ul data-groups><li>All Users</li></ul>')
    expect(sim.users).toEqual([
      {
        id: 1,
        email: 'ada@example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        groups: ['All Users'],
      },
    ])
    expect(sim.events).toEqual([
      expect.objectContaining({ type: 'signed-in', email: 'ada@example.com', detail: 'created' }),
    ])
  })

  it('lands on / without return_to, and takes a return_to on its own origin', async () => {
    const url = await start(setup())
    expect((await sso(url, await sign(claims()))).headers.get('location')).toBe(`${url}/`)
    const own = await sso(url, await sign(claims()), `${url}/question/7?x=1`)
    expect(own.headers.get('location')).toBe(`${url}/question/7?x=1`)
  })

  it('fetches an existing user by email (any case) and updates the names', async () => {
    const sim = setup({ users: [{ email: 'Ada@Example.com', firstName: 'A' }] })
    const url = await start(sim)
    await sso(url, await sign(claims()))
    expect(sim.users).toEqual([
      {
        id: 1,
        email: 'Ada@Example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        groups: ['All Users'],
      },
    ])
    expect(sim.events.at(-1)).toMatchObject({ detail: 'matched by email' })
  })

  it('syncs groups from the JWT (All Users stays), keeps them when the claim is absent, and shows them', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    await sso(url, await sign(claims({ groups: ['Administrators', 'Finance'] })), '/', jar)
    expect(sim.users[0]?.groups).toEqual(['All Users', 'Administrators', 'Finance'])
    const page = await jar.request(`${url}/`)
    expect(page.text).toContain(
      '<ul data-groups><li>All Users</li><li>Administrators</li><li>Finance</li></ul>',
    )
    await sso(url, await sign(claims()))
    expect(sim.users[0]?.groups).toEqual(['All Users', 'Administrators', 'Finance'])
    await sso(url, await sign(claims({ groups: [] })))
    expect(sim.users[0]?.groups).toEqual(['All Users'])
  })

  it.each([
    ['another host', 'https://evil.example/dashboard/1'],
    ['a protocol-relative URL', '//evil.example/x'],
    ['a backslash path', '/\\evil.example'],
    ['javascript:', 'javascript:alert(1)'],
    ['a path without a leading slash', 'dashboard/1'],
    ['a control character', '/a\nb'],
  ])('refuses return_to on %s with a 400, before signing in', async (_n, returnTo) => {
    const sim = setup()
    const url = await start(sim)
    const res = await sso(url, await sign(claims()), returnTo)
    expect(res.status).toBe(400)
    expect(pageCode(res.text)).toBe('invalid_return_to')
    expect(res.headers.get('location')).toBeNull()
    expect(sim.users).toEqual([])
    const noJwt = await request(`${url}/auth/sso?return_to=${encodeURIComponent(returnTo)}`)
    expect(noJwt.status).toBe(400)
  })

  it.each([
    ['a wrong signature', () => sign(claims(), OTHER_SECRET), 'bad_signature'],
    ['alg none', async () => unsigned(claims()), 'wrong_algorithm'],
    ['HS512', () => sign(claims(), SECRET, 'HS512'), 'wrong_algorithm'],
    ['no email', () => sign(claims({ email: undefined })), 'missing_claim'],
    ['an email that is no address', () => sign(claims({ email: 'ada' })), 'invalid_claim'],
    ['no iat', () => sign(claims({ iat: undefined })), 'missing_claim'],
    ['an iat 181 s old', () => sign(claims({ iat: NOW - 181 - 5 })), 'too_old'],
    ['an iat in the future', () => sign(claims({ iat: NOW + 60 })), 'issued_in_future'],
    ['an exp in the past', () => sign(claims({ exp: NOW - 10 })), 'expired'],
    ['groups that are no array', () => sign(claims({ groups: 'Administrators' })), 'invalid_claim'],
    ['a first_name that is no string', () => sign(claims({ first_name: 7 })), 'invalid_claim'],
    ['garbage', async () => 'not-a-jwt', 'malformed'],
  ])('refuses %s with a 401 and its code, signing no one in', async (_n, token, code) => {
    const sim = setup()
    const url = await start(sim)
    const res = await sso(url, await token(), '/')
    expect(res.status).toBe(401)
    expect(pageState(res.text)).toBe('refused')
    expect(pageCode(res.text)).toBe(code)
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(sim.users).toEqual([])
    expect(sim.events).toEqual([expect.objectContaining({ type: 'refused', code })])
  })

  it('takes a token 180 s old, without exp', async () => {
    const url = await start(setup())
    const res = await sso(url, await sign(claims({ iat: NOW - 180, exp: undefined })))
    expect(res.status).toBe(302)
  })

  it('refuses a repeated jwt or return_to, and any method but GET', async () => {
    const url = await start(setup())
    const jwt = await sign(claims())
    expect((await request(`${url}/auth/sso?jwt=${jwt}&jwt=${jwt}`)).status).toBe(400)
    expect((await request(`${url}/auth/sso?jwt=${jwt}&return_to=%2Fa&return_to=%2Fb`)).status).toBe(
      400,
    )
    expect((await request(`${url}/auth/sso?jwt=${jwt}`, { method: 'POST' })).status).toBe(405)
  })

  it('signs out on /auth/logout', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    await sso(url, await sign(claims()), '/', jar)
    const out = await jar.request(`${url}/auth/logout`)
    expect(out.status).toBe(302)
    expect(pageState((await jar.request(`${url}/`)).text)).toBe('page')
  })

  it('escapes a hostile name on the signed-in page', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    const nasty = '<script>alert(1)</script>'
    await sso(url, await sign(claims({ first_name: nasty, groups: [nasty] })), '/', jar)
    const page = await jar.request(`${url}/`)
    expect(page.text).not.toContain('<script>alert')
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  })
})

describe('metabaseSimulator: the SDK (token=true, /api/user/current)', () => {
  it('exchanges a JWT for { id, exp, iat } with CORS open, and the session reads the user', async () => {
    const sim = setup()
    const url = await start(sim)
    const jwt = await sign(claims({ groups: ['Finance'] }))
    const res = await fetch(`${url}/auth/sso?jwt=${jwt}&token=true`, {
      headers: { origin: 'http://127.0.0.1:5173' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const session = (await res.json()) as { id: string; exp: number; iat: number }
    expect(Object.keys(session).sort()).toEqual(['exp', 'iat', 'id'])
    expect(session.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(session.iat).toBe(NOW)
    expect(session.exp).toBe(NOW + 14 * 24 * 3600)
    const preflight = await fetch(`${url}/api/user/current`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:5173',
        'access-control-request-headers': 'x-metabase-session',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toContain('X-Metabase-Session')
    const me = await fetch(`${url}/api/user/current`, {
      headers: { 'x-metabase-session': session.id },
    })
    expect(await me.json()).toEqual({
      id: 1,
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      common_name: 'Ada Lovelace',
      group_names: ['All Users', 'Finance'],
    })
  })

  it.each([
    ['a wrong signature', () => sign(claims(), OTHER_SECRET), 401, 'bad_signature'],
    ['an old iat', () => sign(claims({ iat: NOW - 300 })), 401, 'too_old'],
    ['no jwt', async () => '', 400, 'missing_token'],
  ])('answers %s with JSON { error: { code } }, no session', async (_n, token, status, code) => {
    const sim = setup()
    const url = await start(sim)
    const res = await fetch(`${url}/auth/sso?jwt=${await token()}&token=true`)
    expect(res.status).toBe(status)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(await res.json()).toEqual({ error: { code, message: expect.any(String) } })
    expect(sim.users).toEqual([])
  })

  it('answers 401 for an unknown session', async () => {
    const url = await start(setup())
    const me = await fetch(`${url}/api/user/current`, { headers: { 'x-metabase-session': 'nope' } })
    expect(me.status).toBe(401)
    expect(await me.json()).toEqual({
      error: { code: 'unauthenticated', message: 'Unauthenticated' },
    })
  })

  it('serves the SDK stand-in as JavaScript', async () => {
    const url = await start(setup())
    const res = await fetch(`${url}${metabaseSdkPath}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await res.text()).toBe(metabaseSdkSource)
  })
})

describe('the SDK stand-in (in a fake DOM, against the simulator)', () => {
  async function hostPage(fetchRequestToken: unknown) {
    const sim = setup()
    const url = await start(sim)
    const browser = fakeBrowser('http://127.0.0.1:5173/reports', `${url}${metabaseSdkPath}`)
    const panel = browser.document.createElement('div')
    panel.setAttribute('data-metabase-dashboard', '1')
    browser.document.body.appendChild(panel)
    ;(browser.context as Record<string, unknown>).metabaseConfig = { fetchRequestToken }
    browser.run(metabaseSdkSource)
    return { sim, url, panel, browser }
  }
  const settled = async (panel: FakeElement) => {
    for (let i = 0; i < 200 && panel.getAttribute('data-metabase-state') === 'loading'; i++)
      await new Promise((resolve) => setTimeout(resolve, 5))
    return panel.getAttribute('data-metabase-state')
  }

  it("asks the page's fetchRequestToken once, and shows the user the simulator verified", async () => {
    let calls = 0
    const { sim, panel } = await hostPage(async () => {
      calls++
      return { jwt: await sign(claims({ groups: ['Finance'] })) }
    })
    expect(await settled(panel)).toBe('signed-in')
    expect(panel.getAttribute('data-metabase-email')).toBe('ada@example.com')
    expect(panel.textContent).toContain('Signed in to Metabase as ada@example.com')
    expect(panel.textContent).toContain('Groups: All Users, Finance')
    expect(calls).toBe(1)
    expect(sim.events).toEqual([expect.objectContaining({ type: 'signed-in' })])
  })

  it.each([
    [
      'rejects with a code',
      async () => Promise.reject({ code: 'ERR_SSO_UNAUTHENTICATED' }),
      'ERR_SSO_UNAUTHENTICATED',
    ],
    ['rejects without one', async () => Promise.reject(new Error('x')), 'token_request_failed'],
    ['resolves without a jwt', async () => ({ token: 'x' }), 'no_jwt'],
    [
      'resolves a bad jwt',
      async () => ({ jwt: await sign(claims(), OTHER_SECRET) }),
      'bad_signature',
    ],
    ['is missing', undefined, 'no_fetch_request_token'],
  ])('shows an error when fetchRequestToken %s', async (_n, fn, code) => {
    const { panel } = await hostPage(fn)
    expect(await settled(panel)).toBe('error')
    expect(panel.getAttribute('data-metabase-code')).toBe(code)
    expect(panel.getAttribute('data-metabase-email')).toBeNull()
  })

  it('asks again after signOut()', async () => {
    let calls = 0
    const { panel, browser } = await hostPage(async () => {
      calls++
      return { jwt: await sign(claims()) }
    })
    expect(await settled(panel)).toBe('signed-in')
    ;(browser.context.metabaseEmbed as { signOut(): void }).signOut()
    expect(await settled(panel)).toBe('signed-in')
    expect(calls).toBe(2)
  })
})
