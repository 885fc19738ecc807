import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWTPayload } from 'jose'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { komoEmbedSource } from '../src/komo-embed/embed'
import { appOrigin, receiptBook } from '../src/server/received'
import type { Received } from '../src/server/received'
import { intercomSimulator } from '../src/simulators/intercom'
import { intercomUserHash } from '../src/simulators/intercom/verify'
import { intercomWidgetPath, intercomWidgetSource } from '../src/simulators/intercom/widget'
import { komoSimulator } from '../src/simulators/komo'
import { konnecSimulator } from '../src/simulators/konnec'
import { fakeBrowser } from './fake-dom'
import type { FakeElement } from './fake-dom'
import {
  APP,
  NOW,
  SECRET,
  heading,
  linkHref,
  now,
  pageCode,
  pageState,
  request,
  sign,
  start,
} from './helpers'
import { expectNoSignature, expectNoVerifiableToken, jwtLike, panel } from './received-panel'

const XSS = '<img src=x onerror=alert(1)>"\''
const XSS_SHOWN = '&quot;&lt;img src=x onerror=alert(1)&gt;\\&quot;&#39;&quot;'
const APP_ORIGIN = 'http://127.0.0.1:3000'
const ID = /^[A-Za-z0-9_-]{22}$/

async function postJson(url: string, body: unknown, origin: string | null = APP_ORIGIN) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(origin === null ? {} : { origin }) },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** The receipt URL of an answer, checked to be on the simulator's own origin. */
function receiptOf(body: Record<string, unknown>, simulator: string, prefix: string): string {
  const receipt = body.receipt
  expect(typeof receipt).toBe('string')
  const url = new URL(receipt as string)
  expect(url.origin).toBe(new URL(simulator).origin)
  expect(url.pathname.startsWith(`${prefix}/received/`)).toBe(true)
  expect(url.pathname.slice(`${prefix}/received/`.length)).toMatch(ID)
  return url.href
}

function komoClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    sub: 'u_1',
    email: 'ada@example.com',
    first_name: XSS,
    last_name: 'Lovelace',
    iat: NOW - 10,
    exp: NOW + 290,
    ...overrides,
  }
}

function intercomClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    user_id: 'user-42',
    email: 'ada@example.com',
    name: XSS,
    iat: NOW,
    exp: NOW + 600,
    ...overrides,
  }
}

describe('Konnec: the panel on "Signed in to Konnec as …"', () => {
  const ORG = 'acme'
  const API_KEY = 'konnec-api-key-0123456789'
  const USER = 'ada@example.com'

  async function api(url: string, action: 'update' | 'generate-token', body?: unknown) {
    const res = await fetch(
      `${url}/api/organization/${ORG}/user/${encodeURIComponent(USER)}/${action}`,
      {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'x-org-id': ORG, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
    )
    return (await res.json()) as Record<string, unknown>
  }

  it('shows where the refresh token arrived, that it is no JWT, the profile and the checks, never the token', async () => {
    const sim = konnecSimulator({
      orgId: ORG,
      apiKey: API_KEY,
      loginUrl: `${APP}/sso/konnec/login`,
      now,
    })
    const url = await start(sim)
    await api(url, 'update', { name: XSS, role: 'ADMIN', picture: 'https://example.com/a.png' })
    const { refreshToken } = (await api(url, 'generate-token')) as { refreshToken: string }
    const res = await request(`${url}/?refresh-token=${refreshToken}`)
    expect(res.status).toBe(200)
    expect(pageState(res.text)).toBe('signed-in')
    expect(heading(res.text)).toBe(`Signed in to Konnec as ${USER}`)
    const p = panel(res.text)
    expect(p.section).toContain('<h2 id="received-title">What Konnec received</h2>')
    expect(p.fields).toEqual({
      parameter: 'query parameter refresh-token',
      algorithm:
        '<code>none: not a JWT, an opaque one-time refresh token Konnec issued itself (generate-token)</code>',
      shape: '<code>&lt;refresh token removed&gt;</code>',
      lifetime: 'one use; spent by this sign-in',
    })
    expect(p.claims).toEqual({
      username: '&quot;ada@example.com&quot;',
      name: XSS_SHOWN,
      role: '&quot;ADMIN&quot;',
      picture: '&quot;https://example.com/a.png&quot;',
    })
    expect(p.checks).toEqual({
      'x-api-key': 'ok',
      'x-org-id': 'ok',
      issued: 'ok',
      'one use': 'ok',
      user: 'ok',
    })
    expect(p.section).toContain('named organization acme, as their path did')
    expect(p.section).toContain(`by generate-token for ${USER}, 0 s before this sign-in`)
    expect(linkHref(res.text, 'back-to-app').href).toBe(`${APP}/`)
    expect(res.text).not.toContain('<img src=x')
    expect(sim.issued.size).toBe(1)
    for (const token of sim.issued) expect(res.text).not.toContain(token)
    expect(res.text).not.toContain(API_KEY)
    // Spent: the same link is refused, and that page has no panel.
    const again = await request(`${url}/?refresh-token=${refreshToken}`)
    expect(again.status).toBe(401)
    expect(pageCode(again.text)).toBe('invalid_refresh_token')
    expect(again.text).not.toContain('class="received"')
  })
})

describe('Komo: the receipt of /api/verify and its page', () => {
  it('answers a receipt on its own origin whose page lists what /api/verify received and checked, escaped, without the token', async () => {
    const sim = komoSimulator({ secret: SECRET, issuer: 'acme-app', now })
    const url = await start(sim)
    const token = await sign(komoClaims({ iss: 'acme-app' }))
    const answer = await postJson(`${url}/api/verify`, { token })
    expect(answer.status).toBe(200)
    const receipt = receiptOf(answer.body, url, '')
    expect(JSON.stringify(answer.body)).not.toContain(token.split('.')[2])

    const res = await request(receipt)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    const p = panel(res.text)
    expect(p.section).toContain('<h2 id="received-title">What Komo received</h2>')
    expect(p.fields).toEqual({
      parameter: 'JSON field token (POST /api/verify)',
      algorithm: '<code>HS256</code>',
      shape: '<code>header.payload.&lt;signature removed&gt;</code>',
      lifetime: '4 min 50 s (until exp)',
    })
    expect(p.claims).toEqual({
      sub: '&quot;u_1&quot;',
      email: '&quot;ada@example.com&quot;',
      first_name: XSS_SHOWN,
      last_name: '&quot;Lovelace&quot;',
      iat: `${NOW - 10} (2025-01-15T11:59:50Z, 10 s ago)`,
      exp: `${NOW + 290} (2025-01-15T12:04:50Z, in 4 min 50 s)`,
      iss: '&quot;acme-app&quot;',
    })
    expect(p.checks).toEqual({
      format: 'ok',
      alg: 'ok',
      signature: 'ok',
      sub: 'ok',
      email: 'ok',
      first_name: 'ok',
      last_name: 'ok',
      exp: 'ok',
      iat: 'ok',
      nbf: 'absent',
      lifetime: 'ok',
      iss: 'ok',
    })
    expect(res.text).not.toContain('<img src=x')
    expect(linkHref(res.text, 'back-to-app').href).toBe(`${APP_ORIGIN}/`)
    expectNoSignature(res.text, token)
    await expectNoVerifiableToken(res.text, SECRET)
    // The scan would find the token, had the page held it.
    expect(jwtLike(`<code>${token}</code>`)).toEqual([token])
    await expect(expectNoVerifiableToken(`<p>${token}</p>`, SECRET)).rejects.toThrow()
  })

  it('links back only to an http(s) Origin, and answers 404 for an unknown, malformed or evicted receipt', async () => {
    const sim = komoSimulator({ secret: SECRET, now })
    const url = await start(sim)
    const token = await sign(komoClaims())
    for (const origin of [null, 'null', 'javascript:alert(1)', `${APP_ORIGIN}/path`]) {
      const answer = await postJson(`${url}/api/verify`, { token }, origin)
      const res = await request(receiptOf(answer.body, url, ''))
      expect(res.status).toBe(200)
      expect(res.text).not.toContain('id="back-to-app"')
    }
    const first = receiptOf((await postJson(`${url}/api/verify`, { token })).body, url, '')
    for (let i = 0; i < 256; i++) await postJson(`${url}/api/verify`, { token })
    const evicted = await request(first)
    expect(evicted.status).toBe(404)
    expect(pageCode(evicted.text)).toBe('unknown_receipt')
    for (const path of ['/received/AAAAAAAAAAAAAAAAAAAAAA', '/received/short', '/received/']) {
      const res = await request(`${url}${path}`)
      expect(res.status).toBe(404)
      expect(res.text).not.toContain('class="received"')
    }
    const last = receiptOf((await postJson(`${url}/api/verify`, { token })).body, url, '')
    expect((await request(last)).status).toBe(200)
    expect((await request(last, { method: 'POST' })).status).toBe(405)
    // A refused token gets no receipt.
    const refused = await postJson(`${url}/api/verify`, { token: `${token}x` })
    expect(refused.status).toBe(401)
    expect(refused.body.receipt).toBeUndefined()
  })
})

describe('Intercom: the receipt of /messenger/web/ping and its page', () => {
  const APP_ID = 'abc12xyz'

  it('JWT mode: the receipt page lists the boot setting, the claims and every check of the rules, without the token', async () => {
    const sim = intercomSimulator({ secret: SECRET, appId: APP_ID, now })
    const url = await start(sim)
    const token = await sign(intercomClaims())
    const answer = await postJson(`${url}/messenger/web/ping`, {
      app_id: APP_ID,
      intercom_user_jwt: token,
    })
    expect(answer.status).toBe(200)
    const receipt = receiptOf(answer.body, url, '/messenger')
    const res = await request(receipt)
    expect(res.status).toBe(200)
    const p = panel(res.text)
    expect(p.section).toContain('<h2 id="received-title">What Intercom received</h2>')
    expect(p.fields).toEqual({
      parameter: 'boot setting intercom_user_jwt (POST /messenger/web/ping)',
      algorithm: '<code>HS256</code>',
      shape: '<code>header.payload.&lt;signature removed&gt;</code>',
      lifetime: '10 min (until exp)',
    })
    expect(p.claims).toEqual({
      user_id: '&quot;user-42&quot;',
      email: '&quot;ada@example.com&quot;',
      name: XSS_SHOWN,
      iat: `${NOW} (2025-01-15T12:00:00Z, now)`,
      exp: `${NOW + 600} (2025-01-15T12:10:00Z, in 10 min)`,
    })
    expect(p.checks).toEqual({
      format: 'ok',
      alg: 'ok',
      signature: 'ok',
      user_id: 'ok',
      email: 'ok',
      name: 'ok',
      exp: 'ok',
      iat: 'ok',
      nbf: 'absent',
      lifetime: 'ok',
      app_id: 'ok',
    })
    expect(res.text).not.toContain('<img src=x')
    expect(linkHref(res.text, 'back-to-app').href).toBe(`${APP_ORIGIN}/`)
    expectNoSignature(res.text, token)
    await expectNoVerifiableToken(res.text, SECRET)
    expect((await request(`${url}/messenger/received/AAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404)
    // Served under /messenger only.
    expect((await request(receipt.replace('/messenger/received/', '/received/'))).status).toBe(404)
  })

  it('user_hash mode: HMAC-SHA256 of user_id, the page names the unsigned fields, never the hash', async () => {
    const sim = intercomSimulator({ secret: SECRET, appId: APP_ID, mode: 'userHash', now })
    const url = await start(sim)
    const hash = intercomUserHash(SECRET, 'user-42')
    const answer = await postJson(`${url}/messenger/web/ping`, {
      app_id: APP_ID,
      user_id: 'user-42',
      user_hash: hash,
      email: 'ada@example.com',
      name: XSS,
    })
    expect(answer.status).toBe(200)
    const res = await request(receiptOf(answer.body, url, '/messenger'))
    const p = panel(res.text)
    expect(p.fields).toEqual({
      parameter: 'boot settings user_id and user_hash (POST /messenger/web/ping)',
      algorithm: '<code>HMAC-SHA256 of user_id (user_hash)</code>',
      shape: '<code>user_id + &lt;user_hash removed&gt;</code>',
      lifetime: 'none: a user_hash never expires (rotate the secret to revoke it)',
    })
    expect(p.claims).toEqual({
      user_id: '&quot;user-42&quot;',
      email: '&quot;ada@example.com&quot;',
      name: XSS_SHOWN,
    })
    expect(p.checks).toEqual({ app_id: 'ok', user_hash: 'ok' })
    expect(p.section).toContain('the email and name came from the page unsigned')
    expect(res.text).not.toContain(hash)
    expect(res.text).not.toContain('<img src=x')
    expect(jwtLike(res.text)).toEqual([])
  })

  it('gives no receipt to an unverified boot (enforcement off) or a refused one', async () => {
    const open = await start(
      intercomSimulator({ secret: SECRET, appId: APP_ID, now, enforce: false }),
    )
    const unverified = await postJson(`${open}/messenger/web/ping`, {
      app_id: APP_ID,
      user_id: 'u',
    })
    expect(unverified.body).toEqual({ user: { user_id: 'u', attributes: {}, verified: false } })
    const url = await start(intercomSimulator({ secret: SECRET, appId: APP_ID, now }))
    const refused = await postJson(`${url}/messenger/web/ping`, {
      app_id: APP_ID,
      intercom_user_jwt: await sign(intercomClaims({ exp: NOW - 60 })),
    })
    expect(refused.status).toBe(401)
    expect(refused.body.receipt).toBeUndefined()
  })
})

describe('receiptBook and appOrigin', () => {
  const received: Received = {
    parameter: 'p',
    algorithm: 'a',
    shape: 's',
    claims: {},
    now: NOW,
    checks: [],
  }

  it('keeps at most `limit` receipts under distinct 128-bit ids, evicting the oldest', () => {
    const book = receiptBook(2)
    const ids = [book.add(received), book.add(received, `${APP_ORIGIN}/`), book.add(received)]
    for (const id of ids) expect(id).toMatch(ID)
    expect(new Set(ids).size).toBe(3)
    expect(book.size).toBe(2)
    expect(book.get(ids[0] as string)).toBeUndefined()
    expect(book.get(ids[1] as string)).toEqual({ received, back: `${APP_ORIGIN}/` })
    expect(book.get(ids[2] as string)).toEqual({ received })
    expect(() => receiptBook(0)).toThrow('receiptBook: `limit` must be a positive integer')
  })

  it.each([
    [APP_ORIGIN, `${APP_ORIGIN}/`],
    ['https://app.example', 'https://app.example/'],
    ['null', undefined],
    [`${APP_ORIGIN}/`, undefined],
    ['http://u:p@127.0.0.1:3000', undefined],
    ['javascript:alert(1)', undefined],
    ['file:///etc', undefined],
    [undefined, undefined],
  ])('appOrigin(%j) is %j', (header, expected) => {
    expect(appOrigin(header)).toBe(expected)
  })
})

/** A hub on 127.0.0.1 that answers every POST with this JSON: a hostile or broken vendor. */
async function hostileHub(answer: unknown): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
    res.end(JSON.stringify(answer))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('the widgets link to their receipt, and only on their own origin', () => {
  async function komoCard(hub: string, source: string) {
    const browser = fakeBrowser('http://127.0.0.1:5173/events', `${hub}/assets/embed/embed.js`)
    const card = browser.document.createElement('div')
    card.setAttribute('data-komo-card', 'welcome')
    browser.document.body.appendChild(card)
    browser.run(source)
    ;(browser.embed().setAuthToken as (t: string) => void)(await sign(komoClaims()))
    card.button()?.click()
    await vi.waitFor(() => expect(card.getAttribute('data-komo-state')).toBe('signed-in'))
    return card.find('data-komo-received') as FakeElement
  }

  it('Komo card: "What Komo received" opens the receipt in a new tab', async () => {
    const hub = await start(komoSimulator({ secret: SECRET, now }))
    const link = await komoCard(hub, komoEmbedSource)
    expect(link.tagName).toBe('A')
    expect(link.textContent).toBe('What Komo received')
    expect(link.hidden).toBe(false)
    expect(new URL(link.getAttribute('href') as string).origin).toBe(hub)
    expect(link.getAttribute('target')).toBe('_blank')
    expect(link.getAttribute('rel')).toBe('noopener')
    expect(panel((await request(link.getAttribute('href') as string)).text).checks.signature).toBe(
      'ok',
    )
  })

  it.each(['https://evil.example/received/x', 'javascript:alert(1)', 42])(
    'Komo card: a receipt %j not on the hub is not shown',
    async (receipt) => {
      const hub = await hostileHub({ contact: { email: 'ada@example.com' }, receipt })
      const link = await komoCard(hub, komoEmbedSource)
      expect(link.hidden).toBe(true)
      expect(link.hasAttribute('href')).toBe(false)
    },
  )

  async function messenger(url: string, boot: Record<string, unknown>) {
    const browser = fakeBrowser(`${APP_ORIGIN}/intercom`, `${url}${intercomWidgetPath('abc12xyz')}`)
    browser.run(intercomWidgetSource)
    ;(browser.context.Intercom as (...a: unknown[]) => void)('boot', boot)
    const root = () => browser.document.body.find('data-intercom-state') as FakeElement
    await vi.waitFor(() => expect(root()?.getAttribute('data-intercom-state')).toBe('signed-in'))
    return { root, link: root().find('data-intercom-received') as FakeElement, browser }
  }

  it('Intercom Messenger: "What Intercom received" opens the receipt; shutdown hides it', async () => {
    const url = await start(intercomSimulator({ secret: SECRET, appId: 'abc12xyz', now }))
    const page = await messenger(url, {
      app_id: 'abc12xyz',
      intercom_user_jwt: await sign(intercomClaims({ name: 'Ada' })),
    })
    expect(page.link.tagName).toBe('A')
    expect(page.link.textContent).toBe('What Intercom received')
    expect(page.link.hidden).toBe(false)
    expect(page.link.getAttribute('target')).toBe('_blank')
    expect(page.link.getAttribute('rel')).toBe('noopener')
    const href = page.link.getAttribute('href') as string
    expect(new URL(href).origin).toBe(url)
    expect(panel((await request(href)).text).checks.app_id).toBe('ok')
    ;(page.browser.context.Intercom as (...a: unknown[]) => void)('shutdown')
    expect(page.link.hasAttribute('href')).toBe(false)
  })

  it('Intercom Messenger: a receipt on another origin is not shown', async () => {
    const hub = await hostileHub({
      user: { user_id: 'u', attributes: {}, verified: true },
      receipt: 'https://evil.example/messenger/received/x',
    })
    const page = await messenger(hub, { app_id: 'abc12xyz', intercom_user_jwt: 'x' })
    expect(page.link.hidden).toBe(true)
    expect(page.link.hasAttribute('href')).toBe(false)
  })
})
