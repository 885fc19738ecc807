import type { JWTPayload } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { featurebaseSimulator } from '../src/simulators/featurebase'
import type { FeaturebaseSimulatorOptions } from '../src/simulators/featurebase'
import { featurebaseSdkPath } from '../src/simulators/featurebase/sdk'
import { VendorTokenError, verifyVendorToken } from '../src/verify'
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

const LOGIN_URL = `${APP}/sso/featurebase/login`
const APP_ID = 'acme-org'

function setup(extra: Partial<FeaturebaseSimulatorOptions> = {}) {
  return featurebaseSimulator({
    secret: SECRET,
    loginUrl: LOGIN_URL,
    appId: APP_ID,
    admins: ['Owner@Acme.example'],
    now,
    ...extra,
  })
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    userId: 'u_1',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    iat: NOW,
    exp: NOW + 600,
    ...overrides,
  }
}

const accessJwt = (portal: string, jwt: string, returnTo?: string) =>
  `${portal}/api/v1/auth/access/jwt?${new URLSearchParams({
    jwt,
    ...(returnTo === undefined ? {} : { return_to: returnTo }),
  })}`

describe('featurebaseSimulator: the portal', () => {
  it.each([
    ['/', ''],
    ['/p/dark-mode', '?b=roadmap'],
  ])('links Log in on %s to the app SSO URL with return_to = the page', async (path, search) => {
    const portal = await start(setup())
    const page = await request(`${portal}${path}${search}`)
    expect(page.status).toBe(200)
    expect(pageState(page.text)).toBe('page')
    const href = linkHref(page.text, 'login')
    expect(`${href.origin}${href.pathname}`).toBe(LOGIN_URL)
    expect([...href.searchParams]).toEqual([['return_to', `${portal}${path}${search}`]])
  })

  it('signs the user in, sets a session and lands on return_to on its own host', async () => {
    const sim = setup()
    const portal = await start(sim)
    const jar = new CookieJar()
    const back = await jar.request(
      accessJwt(portal, await sign(claims()), `${portal}/p/dark-mode?b=1`),
    )
    expect(back.status).toBe(302)
    expect(back.headers.get('location')).toBe(`${portal}/p/dark-mode?b=1`)
    expect(back.headers.get('referrer-policy')).toBe('no-referrer')
    const page = await jar.request(`${portal}/p/dark-mode?b=1`)
    expect(pageState(page.text)).toBe('signed-in')
    expect(heading(page.text)).toBe('Signed in to Featurebase as ada@example.com')
    expect(page.text).toContain('<dd data-name>Ada Lovelace</dd>')
    expect(sim.users.get('u_1')).toEqual({
      userId: 'u_1',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      signIns: 1,
    })
    expect(sim.events.at(-1)).toMatchObject({
      type: 'signed-in',
      email: 'ada@example.com',
      sub: 'u_1',
      detail: 'portal: created',
    })
    await jar.request(accessJwt(portal, await sign(claims({ name: 'Ada King' }))))
    expect(sim.users.get('u_1')).toMatchObject({ name: 'Ada King', signIns: 2 })
  })

  it.each([
    ['another host', 'https://evil.example/p/1'],
    ['the same host on another port', 'http://127.0.0.1:1/p/1'],
    ['userinfo', 'http://user@127.0.0.1/p'],
    ['a relative path', '/p/1'],
    ['javascript:', 'javascript:alert(1)'],
    ['nothing', undefined],
  ])('lands on its own / for a return_to on %s', async (_, returnTo) => {
    const portal = await start(setup())
    const back = await request(accessJwt(portal, await sign(claims()), returnTo))
    expect(back.status).toBe(302)
    expect(back.headers.get('location')).toBe(`${portal}/`)
  })

  it.each([
    ['an email only', { userId: undefined }],
    ['a userId only', { email: undefined }],
    ['no exp', { exp: undefined }],
  ])('accepts a token with %s', async (_, overrides) => {
    const sim = setup()
    const portal = await start(sim)
    const back = await request(accessJwt(portal, await sign(claims(overrides))))
    expect(back.status).toBe(302)
    expect(sim.events.at(-1)?.type).toBe('signed-in')
  })

  it.each<[string, number, string, () => Promise<string>]>([
    ['a wrong secret', 401, 'bad_signature', () => sign(claims(), OTHER_SECRET)],
    ['HS512', 401, 'wrong_algorithm', () => sign(claims(), SECRET, 'HS512')],
    ['alg none', 401, 'wrong_algorithm', async () => unsigned(claims())],
    ['garbage', 401, 'malformed', async () => 'not.a.jwt'],
    [
      'neither email nor userId',
      401,
      'missing_claim',
      () => sign(claims({ email: undefined, userId: undefined })),
    ],
    ['an expired exp', 401, 'expired', () => sign(claims({ exp: NOW - 60 }))],
    ['an iat in the future', 401, 'issued_in_future', () => sign(claims({ iat: NOW + 600 }))],
    ['a non-string email', 401, 'invalid_claim', () => sign(claims({ email: 42 }))],
    ['an email that is not one', 401, 'invalid_claim', () => sign(claims({ email: 'ada' }))],
    ['a numeric userId', 401, 'invalid_claim', () => sign(claims({ userId: 7 }))],
    [
      'an http profilePicture',
      401,
      'invalid_claim',
      () => sign(claims({ profilePicture: 'http://cdn.example/x.png' })),
    ],
    [
      "an admin's email (any case)",
      403,
      'admin_sso_forbidden',
      () => sign(claims({ email: 'owner@ACME.example' })),
    ],
  ])('refuses %s with %i %s and no session', async (_, status, code, token) => {
    const sim = setup()
    const portal = await start(sim)
    const jar = new CookieJar()
    const page = await jar.request(accessJwt(portal, await token(), `${portal}/`))
    expect(page.status).toBe(status)
    expect(pageCode(page.text)).toBe(code)
    expect(page.headers.get('set-cookie')).toBeNull()
    expect(sim.events.at(-1)).toMatchObject({ type: 'refused', code })
    expect(sim.users.size).toBe(0)
    expect(pageState((await jar.request(`${portal}/`)).text)).toBe('page')
  })

  it('refuses a missing or repeated jwt with a 400, and POST with a 405', async () => {
    const portal = await start(setup())
    const missing = await request(`${portal}/api/v1/auth/access/jwt?return_to=x`)
    expect(missing.status).toBe(400)
    expect(pageCode(missing.text)).toBe('missing_token')
    const jwt = await sign(claims())
    const repeated = await request(`${accessJwt(portal, jwt)}&jwt=${jwt}`)
    expect(repeated.status).toBe(400)
    expect(pageCode(repeated.text)).toBe('bad_request')
    const post = await request(accessJwt(portal, jwt), { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET')
  })

  it("escapes the user's name on the portal page", async () => {
    const portal = await start(setup())
    const jar = new CookieJar()
    await jar.request(
      accessJwt(portal, await sign(claims({ name: '<img src=x onerror=alert(1)>' }))),
    )
    const page = await jar.request(`${portal}/`)
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(page.text).not.toContain('<img src=x')
  })

  it('refuses bad options at construction', () => {
    expect(() => featurebaseSimulator({ secret: '', loginUrl: LOGIN_URL })).toThrow(
      'featurebaseSimulator: option `secret` must be a non-empty string',
    )
    expect(() => featurebaseSimulator({ secret: SECRET, loginUrl: 'nope' })).toThrow(
      /featurebaseSimulator: option `loginUrl` must be an absolute URL/,
    )
    expect(() =>
      featurebaseSimulator({ secret: SECRET, loginUrl: LOGIN_URL, admins: 'x' as never }),
    ).toThrow('featurebaseSimulator: option `admins` must be an array of emails')
  })
})

describe('verifyVendorToken("featurebase")', () => {
  it('returns the claims of a valid token and names the claim of a refusal', async () => {
    expect(
      await verifyVendorToken('featurebase', await sign(claims()), SECRET, { now: NOW * 1000 }),
    ).toEqual(claims())
    const refused = await verifyVendorToken(
      'featurebase',
      await sign(claims({ email: undefined, userId: undefined })),
      SECRET,
      { now: NOW * 1000 },
    ).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(VendorTokenError)
    expect(refused).toMatchObject({ code: 'missing_claim', claim: 'email' })
    expect((refused as Error).message).toBe(
      'Featurebase could not sign you in with the JWT: the token needs an "email" or a "userId" claim.',
    )
  })
})

const bootUrl = (portal: string) => `${portal}/api/v1/sdk/boot`
const boot = (portal: string, body: unknown, init: RequestInit = {}) =>
  fetch(bootUrl(portal), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:5173' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })

describe('featurebaseSimulator: the SDK boot endpoint', () => {
  it('verifies featurebaseJwt server-side and answers the user, CORS open', async () => {
    const sim = setup()
    const portal = await start(sim)
    const response = await boot(portal, { appId: APP_ID, featurebaseJwt: await sign(claims()) })
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(await response.json()).toEqual({
      user: { userId: 'u_1', email: 'ada@example.com', name: 'Ada Lovelace' },
    })
    expect(sim.events.at(-1)).toMatchObject({ type: 'signed-in', detail: 'sdk: created' })
    const preflight = await fetch(bootUrl(portal), {
      method: 'OPTIONS',
      headers: { origin: 'http://x.example', 'access-control-request-headers': 'content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type')
  })

  it.each<[string, number, string, () => Promise<unknown>]>([
    [
      'another appId',
      400,
      'unknown_app',
      async () => ({ appId: 'other', featurebaseJwt: await sign(claims()) }),
    ],
    ['no token', 400, 'missing_token', async () => ({ appId: APP_ID })],
    [
      'a bad signature',
      401,
      'bad_signature',
      async () => ({ appId: APP_ID, featurebaseJwt: await sign(claims(), OTHER_SECRET) }),
    ],
    [
      'an expired token',
      401,
      'expired',
      async () => ({ appId: APP_ID, featurebaseJwt: await sign(claims({ exp: NOW - 1000 })) }),
    ],
    [
      "an admin's email",
      403,
      'admin_sso_forbidden',
      async () => ({
        appId: APP_ID,
        featurebaseJwt: await sign(claims({ email: 'owner@acme.example' })),
      }),
    ],
    ['a body that is not JSON', 400, 'bad_json', async () => '{'],
  ])('refuses %s with %i %s', async (_, status, code, body) => {
    const sim = setup()
    const portal = await start(sim)
    const response = await boot(portal, await body())
    expect(response.status).toBe(status)
    expect(await response.json()).toEqual({ error: { code, message: expect.any(String) } })
    expect(sim.users.size).toBe(0)
  })

  it('answers GET with a 405', async () => {
    const portal = await start(setup())
    const response = await fetch(bootUrl(portal))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST, OPTIONS')
  })
})

// Featurebase's snippet: a function that queues its arguments until the SDK loads.
const SNIPPET = `
if (typeof window.Featurebase !== 'function') {
  window.Featurebase = function () { (window.Featurebase.q = window.Featurebase.q || []).push(arguments); };
}
`

async function hostPage() {
  const sim = setup()
  const portal = await start(sim)
  const browser = fakeBrowser('http://127.0.0.1:5173/feedback', `${portal}${featurebaseSdkPath}`)
  const widget = browser.document.createElement('div')
  widget.setAttribute('data-featurebase-widget', '')
  browser.document.body.appendChild(widget)
  browser.run(SNIPPET)
  const Featurebase = (...args: unknown[]) =>
    (browser.context.Featurebase as (...a: unknown[]) => void)(...args)
  return {
    sim,
    portal,
    browser,
    widget,
    Featurebase,
    async load() {
      const response = await fetch(`${portal}${featurebaseSdkPath}`)
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
      browser.run(await response.text())
    },
  }
}

const stateOf = (el: FakeElement) => el.getAttribute('data-featurebase-state')

describe('the SDK stand-in (/js/sdk.js)', () => {
  it("replays a boot queued by Featurebase's snippet and shows the signed-in user", async () => {
    const page = await hostPage()
    const callback = vi.fn()
    page.Featurebase(
      'boot',
      { appId: APP_ID, featurebaseJwt: await sign(claims()), theme: 'light' },
      callback,
    )
    expect((page.browser.context.Featurebase as { q: unknown[] }).q).toHaveLength(1)
    await page.load()
    await vi.waitFor(() => expect(stateOf(page.widget)).toBe('signed-in'))
    expect(page.widget.getAttribute('data-featurebase-email')).toBe('ada@example.com')
    expect(page.widget.textContent).toBe(
      'Signed in to Featurebase as ada@example.com (Ada Lovelace)',
    )
    expect(callback).toHaveBeenCalledWith(null, {
      user: { userId: 'u_1', email: 'ada@example.com', name: 'Ada Lovelace' },
    })
    expect(page.sim.events.at(-1)).toMatchObject({ type: 'signed-in', detail: 'sdk: created' })
  })

  it('boots anonymously without a token, shows a refusal with its code, and shutdown forgets the user', async () => {
    const page = await hostPage()
    await page.load()
    expect(stateOf(page.widget)).toBe('idle')
    const anonymous = vi.fn()
    page.Featurebase('boot', { appId: APP_ID }, anonymous)
    expect(stateOf(page.widget)).toBe('anonymous')
    expect(anonymous).toHaveBeenCalledWith(null, { user: null })

    const refused = vi.fn()
    page.Featurebase(
      'boot',
      { appId: APP_ID, featurebaseJwt: await sign(claims({ exp: NOW - 900 })) },
      refused,
    )
    await vi.waitFor(() => expect(stateOf(page.widget)).toBe('error'))
    expect(page.widget.getAttribute('data-featurebase-code')).toBe('expired')
    expect(refused.mock.calls[0]?.[0]).toEqual({
      code: 'expired',
      message: expect.stringContaining('expired'),
    })

    page.Featurebase('boot', { appId: APP_ID, featurebaseJwt: await sign(claims()) })
    await vi.waitFor(() => expect(stateOf(page.widget)).toBe('signed-in'))
    page.Featurebase('shutdown')
    expect(stateOf(page.widget)).toBe('idle')
    expect(page.widget.getAttribute('data-featurebase-email')).toBeNull()
    expect(page.widget.textContent).toBe('')
  })

  it('ignores a boot that settles after shutdown, and warns about unknown methods', async () => {
    const page = await hostPage()
    await page.load()
    page.Featurebase('boot', { appId: APP_ID, featurebaseJwt: await sign(claims()) })
    page.Featurebase('shutdown')
    page.Featurebase('identify', {})
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(stateOf(page.widget)).toBe('idle')
    expect(page.browser.warnings).toEqual(['Featurebase: unknown method identify'])
  })
})
