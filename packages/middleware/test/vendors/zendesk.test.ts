import { createHash } from 'node:crypto'
import {
  ALICE,
  appPerTest,
  PINNED_SECONDS,
  postedForm,
  type TestApp,
  UUID,
  verifyZendeskJwt,
  ZENDESK_ACCOUNT,
  ZENDESK_SECRETS,
  zendeskAnswer,
  zendeskFixture,
} from '@sso/fixtures'
import { decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { type SsoError, type ZendeskOptions, zendesk } from '../../src/index'
import { FORM_SCRIPT } from '../../src/vendor-kit'
import { runVendorContract } from './contract'

runVendorContract(zendeskFixture)

const apps = appPerTest()
let app: TestApp

const vendor = (extra: Partial<ZendeskOptions> = {}) =>
  zendesk({
    subdomain: 'acme',
    secret: ZENDESK_SECRETS.endUsers,
    brandHosts: ['help.acme.com'],
    ...extra,
  })
const agents = (extra: Partial<ZendeskOptions> = {}) =>
  vendor({ id: 'zendesk-agents', audience: 'team', secret: ZENDESK_SECRETS.agents, ...extra })
const login = (a: TestApp, query: Record<string, string> = {}, init?: RequestInit) =>
  a.get(`/sso/zendesk/login?${new URLSearchParams(query)}`, init)
/** The form action's query: what the login page forwards to Zendesk. */
const forwarded = async (response: Response) => {
  const { form } = await zendeskAnswer(response)
  expect(`${form.action.origin}${form.action.pathname}`).toBe(`${ZENDESK_ACCOUNT}/access/jwt`)
  return Object.fromEntries(form.action.searchParams)
}
const claimsOf = async (response: Response, secret: string = ZENDESK_SECRETS.endUsers) =>
  (await zendeskAnswer(response, secret)).claims
const HASH = `'sha256-${createHash('sha256').update(FORM_SCRIPT).digest('base64')}'`

describe('zendesk login: the form page', () => {
  it.each([
    ['a relative path', '/hc/en-us/requests', '/hc/en-us/requests'],
    ['the account', 'https://acme.zendesk.com/hc/en-us', 'https://acme.zendesk.com/hc/en-us'],
    ['a brand host', 'https://help.acme.com/hc/articles/1', 'https://help.acme.com/hc/articles/1'],
    // Absolute ones as the URL parser writes them: Zendesk reads the host that was checked.
    ['the account, upper case', 'HTTPS://ACME.zendesk.com/hc', 'https://acme.zendesk.com/hc'],
    [
      'the account, port 443 spelled out',
      'https://acme.zendesk.com:0443/hc',
      'https://acme.zendesk.com/hc',
    ],
  ])('forwards return_to on %s', async (_n, returnTo, sent) => {
    app = await apps.start({ vendors: [vendor()] })
    expect(await forwarded(await login(app, { return_to: returnTo }))).toEqual({
      return_to: sent,
    })
  })

  it.each([
    ['another host', 'https://evil.example/hc'],
    ['another Zendesk account', 'https://other.zendesk.com/hc'],
    ['a look-alike host', 'https://acme.zendesk.com.evil.example/hc'],
    ['http', 'http://acme.zendesk.com/hc'],
    ['userinfo', 'https://user@acme.zendesk.com/hc'],
    ['a non-default port', 'https://acme.zendesk.com:8443/hc'],
    ['a protocol-relative URL', '//evil.example/hc'],
    ['a backslash path', '/\\evil.example'],
    ['javascript:', 'javascript:alert(1)'],
    ['a path with a control character', '/hc\n/x'],
    ['a relative path over 2,048 characters', `/${'a'.repeat(2048)}`],
    ['a path without a leading slash', 'hc/en-us'],
  ])('drops return_to on %s, and still posts to the account', async (_n, returnTo) => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await login(app, { return_to: returnTo, brand_id: '7' })
    expect(await forwarded(response)).toEqual({ brand_id: '7' })
  })

  it.each([
    ['1', true],
    ['360001234567', true],
    ['9'.repeat(20), true],
    ['9'.repeat(21), false],
    ['', false],
    ['-1', false],
    ['1.5', false],
    ['0x1f', false],
    ['12 ', false],
    ['١٢', false],
  ])('forwards brand_id and locale_id %j only when 1-20 digits (%s)', async (value, kept) => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await login(app, { brand_id: value, locale_id: value })
    expect(await forwarded(response)).toEqual(kept ? { brand_id: value, locale_id: value } : {})
  })

  it('sends the locale as locale_id for end users and as locale for team members', async () => {
    app = await apps.start({ vendors: [vendor(), agents()] })
    expect(await forwarded(await login(app, { locale_id: '1176' }))).toEqual({ locale_id: '1176' })
    const team = await app.get('/sso/zendesk-agents/login?locale_id=1176')
    const { form } = await zendeskAnswer(team, ZENDESK_SECRETS.agents)
    expect(Object.fromEntries(form.action.searchParams)).toEqual({ locale: '1176' })
  })

  it('ignores timestamp, and any other parameter', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await login(app, {
      timestamp: String(PINNED_SECONDS),
      email: 'mallory@evil.example',
      action: 'https://evil.example/access/jwt',
    })
    expect(await forwarded(response)).toEqual({})
  })

  it('answers the page with its exact headers: CSP by computed hash, strict-origin, no-store', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await login(app, { return_to: '/hc' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src ${HASH}; style-src 'unsafe-inline'; form-action https://acme.zendesk.com https://help.acme.com 'self'; base-uri 'none'; frame-ancestors 'none'`,
    )
    expect(response.headers.get('referrer-policy')).toBe('strict-origin')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('pragma')).toBe('no-cache')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('location')).toBeNull()
    const html = await response.text()
    expect(html.match(/<script>/g)).toHaveLength(1)
    expect(html).toContain(`<script>${FORM_SCRIPT}</script>`)
    expect(html).toContain(
      '<noscript><p>Sign-in continues at the service.</p><button type="submit">Continue to Zendesk</button></noscript>',
    )
    const form = postedForm(html)
    expect(form.method).toBe('post')
    expect(form.action.href).toBe('https://acme.zendesk.com/access/jwt?return_to=%2Fhc')
  })

  it('names every brand origin in form-action, written as a host or as an origin', async () => {
    app = await apps.start({
      vendors: [vendor({ brandHosts: ['help.acme.com', 'https://Support.Acme.org'] })],
    })
    const response = await login(app)
    expect(response.headers.get('content-security-policy')).toContain(
      "form-action https://acme.zendesk.com https://help.acme.com https://support.acme.org 'self';",
    )
    expect(await forwarded(await login(app, { return_to: 'https://support.acme.org/hc' }))).toEqual(
      { return_to: 'https://support.acme.org/hc' },
    )
  })

  it('puts no token in any URL or header: the token is only in the jwt field', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await login(app, { return_to: '/hc', brand_id: '7' })
    const headers = JSON.stringify([...response.headers])
    const { form, html } = await zendeskAnswer(response)
    const token = form.fields.jwt as string
    expect(headers).not.toContain(token.slice(0, 20))
    expect(form.action.href).not.toContain('eyJ')
    expect(html.split(token)).toHaveLength(2)
  })

  it('attribute-escapes the page for a hostile name and return_to', async () => {
    const nasty = '"><script>alert(1)</script>\'&<img src=x onerror=alert(2)>'
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, name: nasty }
    // A return_to may hold no space: the same trick without one.
    const returnTo = `/hc/"><script>alert(1)</script>'&<img/src=x/onerror=alert(2)>`
    const response = await login(app, { return_to: returnTo })
    const { form, claims, html } = await zendeskAnswer(response)
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<img')
    expect(html.match(/<script>/g)).toHaveLength(1)
    expect(html.match(/<form /g)).toHaveLength(1)
    expect(html.match(/<input /g)).toHaveLength(1)
    expect(claims.name).toBe(nasty)
    expect(form.action.searchParams.get('return_to')).toBe(returnTo)
  })

  it('refuses a user whose email is unverified with a 403 and no form', async () => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, emailVerified: false }
    const response = await login(app)
    expect(response.status).toBe(403)
    const html = await response.text()
    expect(html).toContain('ERR_SSO_EMAIL_UNVERIFIED')
    expect(html).not.toContain('<form')
    expect(html).not.toContain('eyJ')
  })
})

describe('zendesk login: the token', () => {
  it('signs HS256 with the header {"alg":"HS256","typ":"JWT"} and exact claims', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const { form, claims } = await zendeskAnswer(await login(app))
    expect(JSON.stringify(decodeProtectedHeader(form.fields.jwt as string))).toBe(
      '{"alg":"HS256","typ":"JWT"}',
    )
    expect(claims).toEqual({
      iat: PINNED_SECONDS,
      jti: expect.stringMatching(UUID),
      email: ALICE.email,
      name: 'Alice Liddell',
      external_id: ALICE.id,
    })
  })

  it('verifies only with its own secret', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const { form } = await zendeskAnswer(await login(app))
    await expect(verifyZendeskJwt(form.fields.jwt, ZENDESK_SECRETS.agents)).rejects.toThrow(
      /signature/,
    )
  })

  it('gives every token its own jti', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const jtis = new Set<unknown>()
    for (let i = 0; i < 3; i++) jtis.add((await claimsOf(await login(app))).jti)
    expect(jtis.size).toBe(3)
  })

  it.each([
    ['name', { name: 'Alice L.' }, 'Alice L.'],
    ['first and last name', {}, 'Alice Liddell'],
    ['first name alone', { lastName: undefined }, 'Alice'],
    ['the local part of the email', { firstName: undefined, lastName: undefined }, 'alice'],
  ])('takes the name from %s', async (_n, patch, name) => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, ...patch }
    expect((await claimsOf(await login(app))).name).toBe(name)
  })

  it('sends external_id as a string, and omits it with externalId: false', async () => {
    app = await apps.start({ vendors: [vendor(), agents({ externalId: false })] })
    app.user = { ...ALICE, id: '42' }
    expect((await claimsOf(await login(app))).external_id).toBe('42')
    const team = await claimsOf(await app.get('/sso/zendesk-agents/login'), ZENDESK_SECRETS.agents)
    expect(team).not.toHaveProperty('external_id')
    expect(Object.keys(team).sort()).toEqual(['email', 'iat', 'jti', 'name'])
  })

  it.each([
    ['https://cdn.example/alice.png', 'https://cdn.example/alice.png'],
    ['http://cdn.example/alice.png', undefined],
    ['javascript:alert(1)', undefined],
    ['data:image/png;base64,AAAA', undefined],
    ['//cdn.example/alice.png', undefined],
  ])('sends remote_photo_url for the picture %s only when https', async (picture, sent) => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, picture }
    expect((await claimsOf(await login(app))).remote_photo_url).toBe(sent)
  })

  it('sends no exp unless includeExp, then iat + 180', async () => {
    app = await apps.start({ vendors: [vendor(), agents({ includeExp: true })] })
    expect(await claimsOf(await login(app))).not.toHaveProperty('exp')
    const team = await claimsOf(await app.get('/sso/zendesk-agents/login'), ZENDESK_SECRETS.agents)
    expect(team.exp).toBe(PINNED_SECONDS + 180)
    expect(team.iat).toBe(PINNED_SECONDS)
  })

  it('removes role and custom_role_id from the claims hook, recording their names only', async () => {
    const claims = () => ({ role: 'admin', custom_role_id: 360007, organization: 'Acme' })
    app = await apps.start({ vendors: [vendor({ claims })] })
    const sent = await claimsOf(await login(app))
    expect(sent).not.toHaveProperty('role')
    expect(sent).not.toHaveProperty('custom_role_id')
    expect(sent.organization).toBe('Acme')
    expect(app.events).toContainEqual({
      type: 'claims.removed',
      vendor: 'zendesk',
      route: 'login',
      userId: ALICE.id,
      claims: ['role', 'custom_role_id'],
    })
    const serialized = JSON.stringify(app.events)
    expect(serialized).not.toContain('admin')
    expect(serialized).not.toContain('360007')
  })

  it('passes role and custom_role_id with allowRoleClaims: true, and records nothing', async () => {
    const claims = () => ({ role: 'agent', custom_role_id: 360007 })
    app = await apps.start({ vendors: [vendor({ claims, allowRoleClaims: true })] })
    const sent = await claimsOf(await login(app))
    expect(sent).toMatchObject({ role: 'agent', custom_role_id: 360007 })
    expect(app.events.map((e) => e.type)).not.toContain('claims.removed')
  })

  it('lets the claims hook add organisation and tags', async () => {
    const claims = () => ({ organization: 'Acme', tags: ['vip'] })
    app = await apps.start({ vendors: [vendor({ claims })] })
    expect(await claimsOf(await login(app))).toMatchObject({ organization: 'Acme', tags: ['vip'] })
  })
})

describe('zendesk: two configurations (end users and team members)', () => {
  it('serves each on its own routes with its own secret, and names it in events', async () => {
    app = await apps.start({ vendors: [vendor(), agents()] })
    const endUser = await zendeskAnswer(await login(app, { return_to: '/hc' }))
    const team = await zendeskAnswer(
      await app.get('/sso/zendesk-agents/login?return_to=%2Fagent'),
      ZENDESK_SECRETS.agents,
    )
    expect(Object.fromEntries(team.form.action.searchParams)).toEqual({ return_to: '/agent' })
    await expect(verifyZendeskJwt(team.form.fields.jwt, ZENDESK_SECRETS.endUsers)).rejects.toThrow(
      /signature/,
    )
    await expect(verifyZendeskJwt(endUser.form.fields.jwt, ZENDESK_SECRETS.agents)).rejects.toThrow(
      /signature/,
    )
    expect(
      app.events.filter((e) => e.type === 'token.issued').map((e) => [e.vendor, e.route]),
    ).toEqual([
      ['zendesk', 'login'],
      ['zendesk-agents', 'login'],
    ])
    const out = await app.get('/sso/zendesk-agents/logout')
    expect(out.status).toBe(302)
    expect(app.events.at(-1)).toEqual({
      type: 'logout',
      vendor: 'zendesk-agents',
      route: 'logout',
      userId: ALICE.id,
    })
  })

  it('sends a logged-out team member to the login page and back to the agents route', async () => {
    app = await apps.start({ vendors: [vendor(), agents()], loginUrl: '/login' })
    app.user = null
    const first = await app.get('/sso/zendesk-agents/login?brand_id=7')
    expect(first.status).toBe(302)
    const returnTo = new URL(first.headers.get('location') ?? '', app.url).searchParams.get(
      'returnTo',
    )
    expect(returnTo).toBe('/sso/zendesk-agents/login?brand_id=7')
  })

  it.each([
    ['an id with upper case', { id: 'Zendesk-Agents' }, /`id` must be lower-case/],
    ['an id with a slash', { id: 'zendesk/agents' }, /`id` must be lower-case/],
    ['a subdomain with a dot', { subdomain: 'acme.zendesk.com' }, /one DNS label/],
    ['an unknown audience', { audience: 'agent' }, /`audience` must be/],
    ['brandHosts that is no array', { brandHosts: 'help.acme.com' }, /`brandHosts` must be/],
    ['an http brand', { brandHosts: ['http://help.acme.com'] }, /loopback/],
    ['an afterLogout off the site', { afterLogout: '//evil.example' }, /afterLogout/],
    ['a short secret', { secret: 'short' }, /at least 32 bytes/],
  ])('refuses %s at construction', (_n, extra, message) => {
    expect(() => vendor(extra as Partial<ZendeskOptions>)).toThrow(
      expect.objectContaining({
        code: 'ERR_SSO_CONFIG',
        message: expect.stringMatching(message),
      }) as SsoError,
    )
  })

  it('takes a short secret with the escape hatch', () => {
    expect(vendor({ secret: 'short', dangerouslyAllowShortSecret: true }).id).toBe('zendesk')
  })
})

describe('zendesk logout (the remote logout URL)', () => {
  it('runs onLogout, then redirects to afterLogout', async () => {
    app = await apps.start({ vendors: [vendor(), agents({ afterLogout: '/bye' })] })
    const response = await app.get('/sso/zendesk/logout?email=&external_id=')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/')
    expect(app.logouts).toBe(1)
    const team = await app.get('/sso/zendesk-agents/logout')
    expect(team.headers.get('location')).toBe('/bye')
    expect(app.logouts).toBe(2)
  })

  it('ignores the email and external_id parameters, and never records them', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await app.get(
      `/sso/zendesk/logout?${new URLSearchParams({ email: ALICE.email, external_id: 'ext-999', brand_id: '7' })}`,
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/')
    expect(app.logouts).toBe(1)
    expect(app.events).toEqual([
      { type: 'logout', vendor: 'zendesk', route: 'logout', userId: ALICE.id },
    ])
  })

  it('refuses HEAD and a subresource request without logging out; a navigation logs out', async () => {
    app = await apps.start({ vendors: [vendor()] })
    expect((await app.get('/sso/zendesk/logout', { method: 'HEAD' })).status).toBe(405)
    const img = await app.get('/sso/zendesk/logout', { headers: { 'sec-fetch-dest': 'image' } })
    expect(img.status).toBe(403)
    expect(await img.text()).toContain('ERR_SSO_FORBIDDEN')
    const error = await app.get('/sso/zendesk/logout?kind=error&message=x', {
      headers: { 'sec-fetch-dest': 'iframe' },
    })
    expect(error.status).toBe(403)
    expect(app.logouts).toBe(0)
    const nav = await app.get('/sso/zendesk/logout', {
      headers: { 'sec-fetch-dest': 'document', 'sec-fetch-site': 'cross-site' },
    })
    expect(nav.status).toBe(302)
    expect(app.logouts).toBe(1)
  })

  describe('kind=error (Zendesk refused the token)', () => {
    const message = `<b>Invalid JWT</b> for ${ALICE.email} & "friends" ${'x'.repeat(300)}`
    const errorUrl = `/sso/zendesk/logout?${new URLSearchParams({ kind: 'error', message, email: ALICE.email, external_id: ALICE.id })}`

    it('does not log out; answers 502 ERR_SSO_VENDOR_REFUSED with the escaped message, cut at 200', async () => {
      app = await apps.start({ vendors: [vendor()] })
      const response = await app.get(errorUrl)
      expect(response.status).toBe(502)
      expect(response.headers.get('location')).toBeNull()
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
      expect(app.logouts).toBe(0)
      const html = await response.text()
      expect(html).toContain('ERR_SSO_VENDOR_REFUSED')
      expect(html).toContain('Zendesk could not sign you in')
      const shown = message
        .slice(0, 200)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
      expect(html).toContain(`<blockquote>${shown}</blockquote>`)
      expect(html).not.toContain('<b>Invalid')
      expect(html).not.toContain('x'.repeat(200))
    })

    it('shows no message when errors are not exposed', async () => {
      app = await apps.start({ vendors: [vendor()], exposeErrors: false })
      const response = await app.get(errorUrl)
      expect(response.status).toBe(502)
      const html = await response.text()
      expect(html).toContain('Zendesk could not sign you in')
      expect(html).toContain('ERR_SSO_VENDOR_REFUSED')
      expect(html).not.toContain('Invalid JWT')
      expect(html).not.toContain(ALICE.email)
      expect(html).not.toContain('<blockquote>')
      expect(app.logouts).toBe(0)
    })

    it('emits vendor_error without the message, the email or the external id', async () => {
      app = await apps.start({ vendors: [vendor()] })
      await app.get(errorUrl)
      expect(app.events).toContainEqual({
        type: 'vendor_error',
        vendor: 'zendesk',
        route: 'logout',
      })
      expect(app.events.map((e) => e.type)).not.toContain('logout')
      const serialized = JSON.stringify(app.events)
      expect(serialized).not.toContain('Invalid JWT')
      expect(serialized).not.toContain(ALICE.email)
      expect(serialized).not.toContain(ALICE.id)
    })

    it('answers a logged-out browser the same way', async () => {
      app = await apps.start({ vendors: [vendor()], loginUrl: '/login' })
      app.user = null
      const response = await app.get('/sso/zendesk/logout?kind=error&message=nope')
      expect(response.status).toBe(502)
      expect(app.logouts).toBe(0)
    })
  })
})
