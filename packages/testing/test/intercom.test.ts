import type { JWTPayload } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { verifyVendorToken } from '../src'
import { IntercomBootError, verifyIntercomBoot } from '../src/simulators/intercom/boot'
import { intercomSimulator } from '../src/simulators/intercom'
import { intercomUserHash, verifyIntercomUserHash } from '../src/simulators/intercom/verify'
import { intercomWidgetPath, intercomWidgetSource } from '../src/simulators/intercom/widget'
import { fakeBrowser } from './fake-dom'
import type { FakeElement } from './fake-dom'
import { NOW, NOW_MS, OTHER_SECRET, SECRET, now, sign, start, unsigned } from './helpers'

const APP_ID = 'abc12xyz'

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    user_id: 'user-42',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    iat: NOW,
    exp: NOW + 3600,
    ...overrides,
  }
}

const rules = (extra = {}) => ({ secret: SECRET, appId: APP_ID, now: NOW_MS, ...extra })

async function bootCode(boot: Record<string, unknown>, extra = {}): Promise<string> {
  try {
    await verifyIntercomBoot(boot, rules(extra))
  } catch (err) {
    if (err instanceof IntercomBootError) return err.code
    throw err
  }
  return 'accepted'
}

describe("verifyVendorToken('intercom'): the Messenger JWT's rules", () => {
  it('accepts user_id alone, and user_id with email, name, custom string attributes and exp', async () => {
    expect(
      await verifyVendorToken('intercom', await sign({ user_id: 'u' }), SECRET, { now: NOW_MS }),
    ).toEqual({ user_id: 'u' })
    const full = claims({ plan: 'pro' })
    expect(await verifyVendorToken('intercom', await sign(full), SECRET, { now: NOW_MS })).toEqual(
      full,
    )
  })

  it.each<[string, () => Promise<string> | string, string, string | undefined]>([
    ['another secret', () => sign(claims(), OTHER_SECRET), 'bad_signature', undefined],
    ['HS512', () => sign(claims(), SECRET, 'HS512'), 'wrong_algorithm', 'alg'],
    ['alg none', () => unsigned(claims()), 'wrong_algorithm', 'alg'],
    ['no user_id', () => sign(claims({ user_id: undefined })), 'missing_claim', 'user_id'],
    ['an empty user_id', () => sign(claims({ user_id: '' })), 'missing_claim', 'user_id'],
    ['a number user_id', () => sign(claims({ user_id: 42 })), 'invalid_claim', 'user_id'],
    ['an exp in the past', () => sign(claims({ exp: NOW - 60 })), 'expired', 'exp'],
    ['an iat in the future', () => sign(claims({ iat: NOW + 600 })), 'issued_in_future', 'iat'],
    ['an email that is not one', () => sign(claims({ email: 'ada' })), 'invalid_claim', 'email'],
    ['a number attribute', () => sign(claims({ plan: 3 })), 'invalid_claim', 'plan'],
    ['an object attribute', () => sign(claims({ company: { id: 1 } })), 'invalid_claim', 'company'],
    ['not a JWT', () => 'not-a-jwt', 'malformed', undefined],
  ])('refuses a token with %s', async (_, token, code, claim) => {
    const error = await verifyVendorToken('intercom', await token(), SECRET, { now: NOW_MS }).then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(error).toMatchObject({ code, claim, vendor: 'intercom' })
    expect((error as Error).message).toMatch(/^Intercom could not verify the Messenger user JWT: /)
  })
})

describe('verifyIntercomUserHash: the legacy user_hash', () => {
  it('is the hex HMAC-SHA256 of user_id, in either case, and nothing else', () => {
    const hash = intercomUserHash(SECRET, 'user-42')
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(verifyIntercomUserHash(SECRET, 'user-42', hash)).toBe(true)
    expect(verifyIntercomUserHash(SECRET, 'user-42', hash.toUpperCase())).toBe(true)
    expect(verifyIntercomUserHash(SECRET, 'user-43', hash)).toBe(false)
    expect(verifyIntercomUserHash(OTHER_SECRET, 'user-42', hash)).toBe(false)
    expect(
      verifyIntercomUserHash(SECRET, 'ada@example.com', intercomUserHash(SECRET, 'user-42')),
    ).toBe(false)
    for (const bad of [hash.slice(1), `${hash}0`, 'zz'.repeat(32), 42, undefined, null]) {
      expect(verifyIntercomUserHash(SECRET, 'user-42', bad)).toBe(false)
    }
    expect(verifyIntercomUserHash(SECRET, '', intercomUserHash(SECRET, ''))).toBe(false)
  })
})

describe('verifyIntercomBoot: what the Messenger accepts', () => {
  it('signs in the JWT’s user; its signed attributes win over the page’s', async () => {
    const user = await verifyIntercomBoot(
      {
        app_id: APP_ID,
        intercom_user_jwt: await sign(claims({ plan: 'pro' })),
        user_id: 'admin',
        email: 'admin@example.com',
      },
      rules(),
    )
    expect(user).toEqual({
      user_id: 'user-42',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      attributes: { plan: 'pro' },
      verified: true,
    })
  })

  it.each<[string, () => Promise<Record<string, unknown>>, Record<string, unknown>, string]>([
    [
      'another app id',
      async () => ({ app_id: 'other', intercom_user_jwt: await sign(claims()) }),
      {},
      'unknown_app',
    ],
    ['no app id', async () => ({ intercom_user_jwt: await sign(claims()) }), {}, 'unknown_app'],
    ['no JWT, enforced', async () => ({ app_id: APP_ID, user_id: 'user-42' }), {}, 'missing_jwt'],
    [
      'an empty JWT, enforced',
      async () => ({ app_id: APP_ID, intercom_user_jwt: '' }),
      {},
      'missing_jwt',
    ],
    [
      'a user_hash in JWT mode, enforced',
      async () => ({
        app_id: APP_ID,
        user_id: 'user-42',
        user_hash: intercomUserHash(SECRET, 'user-42'),
      }),
      {},
      'missing_jwt',
    ],
    [
      'a bad JWT, even unenforced',
      async () => ({ app_id: APP_ID, intercom_user_jwt: await sign(claims(), OTHER_SECRET) }),
      { enforce: false },
      'bad_signature',
    ],
    [
      'an expired JWT',
      async () => ({ app_id: APP_ID, intercom_user_jwt: await sign(claims({ exp: NOW - 10 })) }),
      {},
      'expired',
    ],
    [
      'a JWT without user_id',
      async () => ({
        app_id: APP_ID,
        intercom_user_jwt: await sign(claims({ user_id: undefined })),
      }),
      {},
      'missing_claim',
    ],
    [
      'a wrong user_hash',
      async () => ({
        app_id: APP_ID,
        user_id: 'user-42',
        user_hash: intercomUserHash(SECRET, 'user-43'),
      }),
      { mode: 'userHash' },
      'bad_user_hash',
    ],
    [
      'no user_hash, enforced',
      async () => ({ app_id: APP_ID, user_id: 'user-42' }),
      { mode: 'userHash' },
      'missing_user_hash',
    ],
  ])('refuses a boot with %s', async (_, boot, extra, code) => {
    expect(await bootCode(await boot(), extra)).toBe(code)
  })

  it('accepts a user_hash of user_id in userHash mode', async () => {
    const user = await verifyIntercomBoot(
      {
        app_id: APP_ID,
        user_id: 'user-42',
        user_hash: intercomUserHash(SECRET, 'user-42'),
        email: 'ada@example.com',
      },
      rules({ mode: 'userHash' }),
    )
    expect(user).toEqual({
      user_id: 'user-42',
      email: 'ada@example.com',
      attributes: {},
      verified: true,
    })
  })

  it('unenforced: the page’s user, unverified, or a visitor', async () => {
    expect(
      await verifyIntercomBoot(
        { app_id: APP_ID, user_id: 'u-1', name: 'Bo' },
        rules({ enforce: false }),
      ),
    ).toEqual({ user_id: 'u-1', name: 'Bo', attributes: {}, verified: false })
    expect(await verifyIntercomBoot({ app_id: APP_ID }, rules({ enforce: false }))).toBeNull()
  })
})

async function ping(url: string, body: unknown) {
  const res = await fetch(`${url}/messenger/web/ping`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  }
}

describe('intercomSimulator', () => {
  it('serves the Messenger stand-in at /widget/<app_id>, and no other app’s', async () => {
    const url = await start(intercomSimulator({ secret: SECRET, appId: APP_ID, now }))
    expect(intercomWidgetPath(APP_ID)).toBe('/widget/abc12xyz')
    const res = await fetch(`${url}/widget/${APP_ID}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await res.text()).toBe(intercomWidgetSource)
    expect((await fetch(`${url}/widget/other`)).status).toBe(404)
  })

  it('answers a CORS preflight and refuses a GET of the ping', async () => {
    const url = await start(intercomSimulator({ secret: SECRET, now }))
    const preflight = await fetch(`${url}/messenger/web/ping`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type')
    expect((await fetch(`${url}/messenger/web/ping`)).status).toBe(405)
  })

  it('signs a verified boot in, records the contact and a signed-in event', async () => {
    const sim = intercomSimulator({ secret: SECRET, appId: APP_ID, now })
    const url = await start(sim)
    const res = await ping(url, { app_id: APP_ID, intercom_user_jwt: await sign(claims()) })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const user = {
      user_id: 'user-42',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      attributes: {},
      verified: true,
    }
    expect(res.body).toEqual({
      user,
      receipt: expect.stringMatching(
        new RegExp(`^${url.replace(/[.]/g, '\\.')}/messenger/received/[A-Za-z0-9_-]{22}$`),
      ),
    })
    expect(sim.users.get('user-42')).toEqual(user)
    expect(sim.events).toEqual([
      expect.objectContaining({
        type: 'signed-in',
        vendor: 'intercom',
        sub: 'user-42',
        email: 'ada@example.com',
        detail: 'verified',
      }),
    ])
  })

  it.each<[string, () => Promise<unknown>, number, string]>([
    [
      'no JWT',
      async () => ({ app_id: APP_ID, user_id: 'user-42', email: 'ada@example.com' }),
      401,
      'missing_jwt',
    ],
    [
      'a bad signature',
      async () => ({ app_id: APP_ID, intercom_user_jwt: await sign(claims(), OTHER_SECRET) }),
      401,
      'bad_signature',
    ],
    [
      'a number user_id',
      async () => ({ app_id: APP_ID, intercom_user_jwt: await sign(claims({ user_id: 7 })) }),
      401,
      'invalid_claim',
    ],
    [
      'a past exp',
      async () => ({ app_id: APP_ID, intercom_user_jwt: await sign(claims({ exp: NOW - 6 })) }),
      401,
      'expired',
    ],
    [
      'another app',
      async () => ({ app_id: 'nope', intercom_user_jwt: await sign(claims()) }),
      404,
      'unknown_app',
    ],
    ['bad JSON', async () => '{', 400, 'bad_json'],
    ['an array', async () => [], 400, 'bad_request'],
  ])('refuses a boot with %s, without echoing the token', async (_, body, status, code) => {
    const sim = intercomSimulator({ secret: SECRET, appId: APP_ID, now })
    const url = await start(sim)
    const res = await ping(url, await body())
    expect(res.status).toBe(status)
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } })
    expect(JSON.stringify(res.body)).not.toMatch(/eyJ/)
    expect(sim.events.at(-1)).toMatchObject({ type: 'refused', code })
    expect(sim.users.size).toBe(0)
  })

  it('unenforced, takes the page’s user as unverified, or a visitor', async () => {
    const url = await start(
      intercomSimulator({ secret: SECRET, appId: APP_ID, now, enforce: false }),
    )
    expect((await ping(url, { app_id: APP_ID, user_id: 'u-1' })).body).toEqual({
      user: { user_id: 'u-1', attributes: {}, verified: false },
    })
    expect((await ping(url, { app_id: APP_ID })).body).toEqual({ visitor: true })
  })

  it('refuses bad options at construction', () => {
    expect(() => intercomSimulator({ secret: '' })).toThrow(
      /option `secret` must be a non-empty string/,
    )
    expect(() => intercomSimulator({ secret: SECRET, mode: 'x' as never })).toThrow(
      /`mode` must be/,
    )
  })
})

// Intercom's loader snippet, as its install page gives it: a stub that queues `arguments`.
const LOADER = `
(function () {
  var w = window; var ic = w.Intercom;
  if (typeof ic === 'function') { ic('reattach_activator'); ic('update', w.intercomSettings); }
  else { var i = function () { i.c(arguments); }; i.q = []; i.c = function (args) { i.q.push(args); }; w.Intercom = i; }
})();
`

async function messengerPage(options: { enforce?: boolean } = {}) {
  const sim = intercomSimulator({ secret: SECRET, appId: APP_ID, now, ...options })
  const url = await start(sim)
  const src = `${url}${intercomWidgetPath(APP_ID)}`
  const browser = fakeBrowser('http://127.0.0.1:3000/intercom', src)
  browser.run(LOADER)
  const intercom = (...args: unknown[]) =>
    (browser.context.Intercom as (...a: unknown[]) => unknown)(...args)
  const panel = () => browser.document.body.find('data-intercom-state') as FakeElement
  const waitFor = (state: string) =>
    vi.waitFor(() => expect(panel()?.getAttribute('data-intercom-state')).toBe(state))
  return {
    sim,
    browser,
    intercom,
    panel,
    waitFor,
    load: async () => browser.run(await (await fetch(src)).text()),
  }
}

describe('the Messenger stand-in (widget.js) in a page', () => {
  it('replays the loader’s queued boot, replaces window.Intercom and shows the signed-in contact', async () => {
    const page = await messengerPage()
    const stub = page.browser.context.Intercom as { q: unknown[] }
    page.intercom('boot', { app_id: APP_ID, intercom_user_jwt: await sign(claims()) })
    expect(stub.q).toHaveLength(1)
    await page.load()
    expect(page.browser.context.Intercom).not.toBe(stub)
    await page.waitFor('signed-in')
    expect(page.panel().getAttribute('data-intercom-user')).toBe('user-42')
    expect(page.panel().getAttribute('data-intercom-email')).toBe('ada@example.com')
    expect(page.panel().find('data-intercom-status')?.textContent).toBe(
      'Signed in to Intercom as Ada Lovelace',
    )
    expect((page.browser.context.Intercom as { booted: boolean }).booted).toBe(true)
  })

  it('refuses a boot without intercom_user_jwt, showing the code and no user', async () => {
    const page = await messengerPage()
    await page.load()
    page.intercom('boot', { app_id: APP_ID, user_id: 'user-42', email: 'ada@example.com' })
    await page.waitFor('refused')
    expect(page.panel().getAttribute('data-intercom-code')).toBe('missing_jwt')
    expect(page.panel().hasAttribute('data-intercom-user')).toBe(false)
  })

  it('shutdown clears the contact; a boot as someone else shows them (user switch)', async () => {
    const page = await messengerPage()
    await page.load()
    page.intercom('boot', { app_id: APP_ID, intercom_user_jwt: await sign(claims()) })
    await page.waitFor('signed-in')
    page.intercom('shutdown')
    expect(page.panel().getAttribute('data-intercom-state')).toBe('shutdown')
    expect(page.panel().hasAttribute('data-intercom-user')).toBe(false)
    expect(page.panel().textContent).not.toContain('ada@example.com')
    expect((page.browser.context.Intercom as { booted: boolean }).booted).toBe(false)
    const bob = await sign(claims({ user_id: 'user-7', email: 'bob@example.com', name: 'Bob' }))
    page.intercom('boot', { app_id: APP_ID, intercom_user_jwt: bob })
    await page.waitFor('signed-in')
    expect(page.panel().getAttribute('data-intercom-user')).toBe('user-7')
  })

  it('drops an answer still in flight when shutdown comes first', async () => {
    const page = await messengerPage()
    await page.load()
    page.intercom('boot', { app_id: APP_ID, intercom_user_jwt: await sign(claims()) })
    page.intercom('shutdown')
    await vi.waitFor(() => expect(page.sim.events).toHaveLength(1))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(page.panel().getAttribute('data-intercom-state')).toBe('shutdown')
    expect(page.panel().hasAttribute('data-intercom-user')).toBe(false)
  })

  it('update with a new JWT verifies again; unsigned attributes never change the user', async () => {
    const page = await messengerPage()
    await page.load()
    page.intercom('boot', { app_id: APP_ID, intercom_user_jwt: await sign(claims()) })
    await page.waitFor('signed-in')
    page.intercom('update', { user_id: 'admin', email: 'admin@example.com' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(page.panel().getAttribute('data-intercom-user')).toBe('user-42')
    expect(page.sim.events).toHaveLength(1)
    page.intercom('update', { intercom_user_jwt: await sign(claims({ exp: NOW - 60 })) })
    await page.waitFor('refused')
    expect(page.panel().getAttribute('data-intercom-code')).toBe('expired')
  })

  it('boots from window.intercomSettings when nothing is queued, and warns about unknown methods', async () => {
    const page = await messengerPage()
    page.browser.context.intercomSettings = {
      app_id: APP_ID,
      intercom_user_jwt: await sign(claims()),
    }
    page.intercom('bogus')
    await page.load()
    await page.waitFor('signed-in')
    expect(page.browser.warnings).toEqual(['Intercom: unknown method bogus'])
  })

  it('keeps a page holding the loader’s stub working: its later calls run at once', async () => {
    const page = await messengerPage()
    const stub = page.browser.context.Intercom as (...args: unknown[]) => void
    await page.load()
    stub('boot', { app_id: APP_ID, intercom_user_jwt: await sign(claims()) })
    await page.waitFor('signed-in')
  })

  it('shows a hostile name as text', async () => {
    const page = await messengerPage()
    await page.load()
    const name = '<img src=x onerror=alert(1)>'
    page.intercom('boot', { app_id: APP_ID, intercom_user_jwt: await sign(claims({ name })) })
    await page.waitFor('signed-in')
    const status = page.panel().find('data-intercom-status') as FakeElement
    expect(status.textContent).toBe(`Signed in to Intercom as ${name}`)
    expect(status.children).toHaveLength(0)
  })
})
