// Zendesk (a form the browser POSTs to the account) and Discourse (DiscourseConnect: a signed
// request in, a signed answer out) against their simulators, over real HTTP.
import type { SsoEvent } from '@sso/middleware'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from '../src/demo'
import { Client, inputValue, linkHref } from './client'

const EMAIL = 'ada@example.com'
const NAME = 'Ada Lovelace'

/** The one form of a form-POST page: where it posts and its fields. */
function formOf(html: string, base: string) {
  const forms = [...html.matchAll(/<form\b[^>]*method="post"[^>]*action="([^"]*)"/gi)]
  expect(forms).toHaveLength(1)
  const action = new URL((forms[0]?.[1] ?? '').replace(/&amp;/g, '&'), base)
  const fields: Record<string, string> = {}
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)"/g)) {
    const name = m[1] as string
    fields[name] = inputValue(html, name) ?? ''
  }
  return { action, fields }
}

/** A Discourse `sso` payload, decoded. */
const payloadOf = (url: string) =>
  new URLSearchParams(
    Buffer.from(new URL(url).searchParams.get('sso') ?? '', 'base64').toString('utf8'),
  )

describe('Zendesk and Discourse in the demo, against their simulators over real HTTP', () => {
  let demo: RunningDemo
  const events: SsoEvent[] = []
  beforeAll(async () => {
    demo = await startDemo({ port: 0, real: {}, onEvent: (e) => events.push(e) })
  })
  afterAll(() => demo.close())

  const zendeskOrigin = () => demo.simulators.zendesk as string
  const discourseOrigin = () => demo.simulators.discourse as string

  /**
   * Front page → the Zendesk link → a protected page of the account → the remote login URL →
   * the app's login → back through the route: the form page (not yet posted).
   */
  async function toZendeskForm(link: 'Zendesk' | 'Zendesk agents', client = new Client()) {
    const home = await client.go(demo.url)
    expect(home.text).toContain('You are not signed in')
    let start = await client.go(linkHref(home.text, link, demo.url))
    if (link === 'Zendesk') {
      expect(start.url).toBe(`${zendeskOrigin()}/`)
      start = await client.go(linkHref(start.text, /^My requests$/, start.url))
    }
    expect(new URL(start.url).pathname).toBe('/login')
    const returnTo = inputValue(start.text, 'returnTo') ?? ''
    const route = link === 'Zendesk' ? '/sso/zendesk/login' : '/sso/zendesk-agents/login'
    expect(returnTo.startsWith(`${route}?`)).toBe(true)
    // Zendesk sent return_to (its own page) and brand_id; both reach the route.
    const query = new URL(returnTo, demo.url).searchParams
    expect(new URL(query.get('return_to') ?? '').origin).toBe(zendeskOrigin())
    expect(query.get('brand_id')).toMatch(/^\d+$/)
    const form = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
    return { client, form, query }
  }

  it('front page links Zendesk, its agents and Discourse to their simulators', async () => {
    const home = await new Client().go(demo.url)
    expect(linkHref(home.text, 'Zendesk', demo.url)).toBe(`${zendeskOrigin()}/`)
    expect(linkHref(home.text, 'Zendesk agents', demo.url)).toBe(
      `${zendeskOrigin()}/agent/tickets/1`,
    )
    expect(linkHref(home.text, 'Discourse', demo.url)).toBe(`${discourseOrigin()}/`)
  })

  it('Zendesk: the form page posts the token to the account, and the account signs the user in', async () => {
    const { client, form, query } = await toZendeskForm('Zendesk')
    expect(form.response.status).toBe(200)
    expect(new URL(form.url).pathname).toBe('/sso/zendesk/login')
    // The form page: not cached, its one script allowed by hash, posting only to the account.
    const headers = form.response.headers
    expect(headers.get('cache-control')).toBe('no-store')
    expect(headers.get('referrer-policy')).toBe('strict-origin')
    const csp = headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/)
    expect(csp).toContain(`form-action ${zendeskOrigin()}`)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(form.text).toContain('<noscript>')
    // No token in any URL: it is in the POST body only.
    expect(client.visited.some((u) => /eyJ/.test(u))).toBe(false)

    const { action, fields } = formOf(form.text, form.url)
    expect(action.origin).toBe(zendeskOrigin())
    expect(action.pathname).toBe('/access/jwt')
    expect(action.searchParams.get('return_to')).toBe(query.get('return_to'))
    expect(action.searchParams.get('brand_id')).toBe(query.get('brand_id'))
    expect(Object.keys(fields)).toEqual(['jwt'])
    expect(fields.jwt).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/)

    const done = await client.submit(action, fields as { jwt: string })
    expect(done.response.status).toBe(200)
    expect(done.url).toBe(query.get('return_to'))
    expect(done.text).toContain(`Signed in to Zendesk as ${EMAIL}`)
    expect(done.text).toMatch(/data-configuration>end-user SSO/)
    expect(demo.sims.zendesk?.events.at(-1)).toMatchObject({
      type: 'signed-in',
      email: EMAIL,
      configuration: 'end-user',
    })
  })

  it('Zendesk agents: the team configuration has its own route and secret', async () => {
    const { client, form } = await toZendeskForm('Zendesk agents')
    expect(new URL(form.url).pathname).toBe('/sso/zendesk-agents/login')
    const { action, fields } = formOf(form.text, form.url)
    expect(action.origin).toBe(zendeskOrigin())
    const done = await client.submit(action, fields as { jwt: string })
    expect(done.text).toContain(`Signed in to Zendesk as ${EMAIL}`)
    expect(new URL(done.url).pathname).toBe('/agent/tickets/1')
    expect(done.text).toMatch(/data-configuration>team SSO/)
    expect(demo.sims.zendesk?.events.at(-1)).toMatchObject({
      type: 'signed-in',
      configuration: 'team',
    })
  })

  it('Zendesk refuses a replayed jti; its kind=error is the error page, and the user stays signed in to the app', async () => {
    const { client, form } = await toZendeskForm('Zendesk')
    const { action, fields } = formOf(form.text, form.url)
    const first = await client.submit(action, fields as { jwt: string })
    expect(first.text).toContain(`Signed in to Zendesk as ${EMAIL}`)

    // The same form posted again: the same jti.
    const seen = events.length
    const replay = await client.submit(action, fields as { jwt: string })
    expect(demo.sims.zendesk?.events.at(-1)).toMatchObject({
      type: 'refused',
      code: 'replayed_jti',
    })
    // The simulator sent the browser to the remote logout URL with kind=error.
    const errorHop = client.visited.at(-1) ?? ''
    expect(new URL(errorHop).origin).toBe(demo.url)
    expect(new URL(errorHop).pathname).toBe('/sso/zendesk/logout')
    expect(new URL(errorHop).searchParams.get('kind')).toBe('error')
    expect(replay.response.status).toBe(502)
    expect(replay.text).toContain('Zendesk could not sign you in')
    expect(replay.text).not.toContain(`Signed in to Zendesk`)
    // Audited without the message (it may hold an email); no logout event.
    expect(events.slice(seen)).toEqual([
      { type: 'vendor_error', vendor: 'zendesk', route: 'logout' },
      expect.objectContaining({ type: 'error', code: 'ERR_SSO_VENDOR_REFUSED' }),
    ])

    const me = await client.go(`${demo.url}/api/me`)
    expect(JSON.parse(me.text)).toMatchObject({ user: { email: EMAIL } })
  })

  it('Zendesk kind=error with a hostile message: escaped on the error page, no logout', async () => {
    const client = new Client()
    await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo: '/' })
    const message = '<script>alert(1)</script> jwt invalid'
    const page = await client.go(
      `${demo.url}/sso/zendesk/logout?kind=error&message=${encodeURIComponent(message)}&email=${encodeURIComponent(EMAIL)}&external_id=x`,
    )
    expect(page.response.status).toBe(502)
    expect(page.text).toContain('Zendesk could not sign you in')
    expect(page.text).not.toContain('<script>alert(1)</script>')
    expect(JSON.parse((await client.go(`${demo.url}/api/me`)).text)).toMatchObject({
      user: { email: EMAIL },
    })
    // Without kind=error it is the remote logout: the session ends, back to the front page.
    const out = await client.request(`${demo.url}/sso/zendesk/logout?email=&external_id=`)
    expect(out.status).toBe(302)
    expect(out.headers.get('location')).toBe('/')
    expect(JSON.parse((await client.go(`${demo.url}/api/me`)).text)).toEqual({ user: null })
  })

  /** Front page → Discourse → Log in → the route, logged out → the app's login → back. */
  async function discourseWalk() {
    const client = new Client()
    const home = await client.go(demo.url)
    const forum = await client.go(linkHref(home.text, 'Discourse', demo.url))
    expect(forum.url).toBe(`${discourseOrigin()}/`)
    const login = await client.go(linkHref(forum.text, /^Log in$/, forum.url))
    expect(new URL(login.url).pathname).toBe('/login')
    const returnTo = inputValue(login.text, 'returnTo') ?? ''
    expect(returnTo).toMatch(/^\/sso\/discourse\/login\?sso=[^&]+&sig=[0-9a-f]{64}$/)
    const done = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
    return { client, done, returnTo }
  }

  it('Discourse: a round trip signs the user in, the answer echoing the forum’s nonce', async () => {
    const { client, done, returnTo } = await discourseWalk()
    expect(done.response.status).toBe(200)
    expect(new URL(done.url).origin).toBe(discourseOrigin())
    expect(done.text).toContain(`Signed in to Discourse as ${EMAIL}`)

    const request = payloadOf(new URL(returnTo, demo.url).href)
    const nonce = request.get('nonce') ?? ''
    expect(nonce).toMatch(/^[0-9a-f]{32}$/)
    expect(request.get('return_sso_url')).toBe(`${discourseOrigin()}/session/sso_login`)
    const answerUrl = client.visited.find((u) =>
      u.startsWith(`${discourseOrigin()}/session/sso_login?`),
    )
    expect(answerUrl).toBeDefined()
    const answer = payloadOf(answerUrl as string)
    expect(answer.get('nonce')).toBe(nonce)
    expect(answer.get('email')).toBe(EMAIL)
    expect(answer.get('name')).toBe(NAME)
    expect(answer.get('external_id')).toMatch(/^u_[0-9a-f]{16}$/)
    expect(new URL(answerUrl as string).searchParams.get('sig')).toMatch(/^[0-9a-f]{64}$/)
    expect(demo.sims.discourse?.events.at(-1)).toMatchObject({ type: 'signed-in', email: EMAIL })

    // The nonce is good once: the same answer again is refused by the forum.
    const again = await client.go(answerUrl as string)
    expect(again.response.status).toBe(419)
    expect(again.text).not.toContain('Signed in to Discourse')
  })

  it('Discourse: a tampered sig (or payload) is refused by the app, logged in or out, before anything else', async () => {
    const client = new Client()
    await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo: '/' })
    // The forum's Log in, one hop: its signed request to the app, not yet followed.
    const start = await client.request(`${discourseOrigin()}/session/sso?return_path=%2F`)
    expect(start.status).toBe(302)
    const url = new URL(start.headers.get('location') ?? '')
    expect(url.origin + url.pathname).toBe(`${demo.url}/sso/discourse/login`)
    const sig = url.searchParams.get('sig') as string
    const flipped = new URL(url)
    flipped.searchParams.set('sig', `${sig[0] === '0' ? '1' : '0'}${sig.slice(1)}`)
    const lastChanged = new URL(url)
    lastChanged.searchParams.set('sig', `${sig.slice(0, -1)}${sig.at(-1) === 'f' ? 'e' : 'f'}`)
    // A payload of the attacker's choosing under the forum's real signature.
    const otherPayload = new URL(url)
    otherPayload.searchParams.set(
      'sso',
      Buffer.from(
        `nonce=${'a'.repeat(32)}&return_sso_url=${encodeURIComponent(`${discourseOrigin()}/session/sso_login`)}`,
      ).toString('base64'),
    )
    const before = events.filter((e) => e.type === 'token.issued').length
    for (const who of [client, new Client()]) {
      for (const bad of [flipped, lastChanged, otherPayload]) {
        const response = await who.request(bad)
        expect(response.status).toBe(400)
        expect(response.headers.get('location')).toBeNull()
        const text = await response.text()
        expect(text).toContain('ERR_SSO_BAD_REQUEST')
        expect(text).not.toContain('sso_login')
      }
    }
    expect(events.filter((e) => e.type === 'token.issued').length).toBe(before)
    // The untouched request still signs the user in.
    const good = await client.go(url)
    expect(good.text).toContain(`Signed in to Discourse as ${EMAIL}`)
  })

  it('emits events with user ids only, never an email or a token', () => {
    const serialized = JSON.stringify(events)
    expect(events.some((e) => e.type === 'token.issued' && e.vendor === 'zendesk')).toBe(true)
    expect(events.some((e) => e.type === 'token.issued' && e.vendor === 'zendesk-agents')).toBe(
      true,
    )
    expect(events.some((e) => e.type === 'token.issued' && e.vendor === 'discourse')).toBe(true)
    expect(serialized).not.toContain(EMAIL)
    expect(serialized).not.toMatch(/eyJ[\w-]+\./)
  })
})
