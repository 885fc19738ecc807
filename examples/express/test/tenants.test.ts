// The demo's tenants over real HTTP: one mount (/t/:tenant/sso) serves two tenants, each with its
// own Bettermode community on its own simulator and its own secret. Each tenant's token verifies
// only with that tenant's secret, at that tenant's community; no link naming one tenant yields a
// token at the other's; an unknown tenant is the 404 page.
import { rawRequest } from '@sso/fixtures'
import type { SsoEvent } from '@sso/middleware'
import { VendorTokenError, verifyVendorToken } from '@sso/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from '../src/demo'
import { Client, inputValue, linkHref } from './client'

const EMAIL = 'ada@example.com'
const NAME = 'Ada Lovelace'

type Tenant = RunningDemo['tenants'][number]

describe("the demo's tenants, each with its own Bettermode community, over real HTTP", () => {
  let demo: RunningDemo
  let acme: Tenant
  let globex: Tenant
  const events: SsoEvent[] = []
  beforeAll(async () => {
    demo = await startDemo({ port: 0, real: {}, onEvent: (e) => events.push(e) })
    const byId = (id: string) => {
      const tenant = demo.tenants.find((t) => t.id === id)
      if (!tenant) throw new Error(`no tenant ${id}`)
      return tenant
    }
    acme = byId('acme')
    globex = byId('globex')
  })
  afterAll(() => demo.close())

  const origin = (t: Tenant) => new URL(t.bettermode.communityUrl).origin
  const other = (t: Tenant) => (t === acme ? globex : acme)
  const jwtOf = (url: string) => new URL(url).searchParams.get('jwt')

  /** The vendor's own verification, with one secret: the claims, or the refusal's code. */
  async function verifyWith(token: string, secret: string): Promise<string> {
    try {
      const claims = await verifyVendorToken('bettermode', token, secret)
      return `ok:${String(claims.email)}`
    } catch (error) {
      if (error instanceof VendorTokenError) return error.code
      throw error
    }
  }

  /** Logs in (the demo's login) and returns the session: a cookie, and a GET that sends it. */
  async function signedIn() {
    const login = await fetch(`${demo.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: EMAIL, name: NAME, returnTo: '/' }).toString(),
      redirect: 'manual',
    })
    expect(login.status).toBe(303)
    const cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? ''
    expect(cookie).toMatch(/^demo\.sid=/)
    /** One request with the session, no redirect followed. */
    const get = (path: string) =>
      fetch(`${demo.url}${path}`, { headers: { cookie }, redirect: 'manual' })
    return { cookie, get }
  }

  it('the front page links to both tenants and says what a tenant is', async () => {
    const home = await new Client().go(demo.url)
    expect(home.text).toMatch(
      /Tenants: <a [^>]*>Acme community<\/a> \/ <a [^>]*>Globex community<\/a>/,
    )
    expect(home.text).toContain('A tenant here is one of this app')
    expect(linkHref(home.text, 'Acme community', demo.url)).toBe(acme.startUrl)
    expect(linkHref(home.text, 'Globex community', demo.url)).toBe(globex.startUrl)
    // Two communities, two simulators, two secrets; neither is the static Bettermode's.
    expect(origin(acme)).not.toBe(origin(globex))
    expect(acme.bettermode.secret).not.toBe(globex.bettermode.secret)
    for (const t of [acme, globex]) expect(origin(t)).not.toBe(demo.simulators.bettermode)
  })

  it.each([
    ['acme', 'Acme community'],
    ['globex', 'Globex community'],
  ])(
    '%s: logged out, front page → community → login → back, signed in there only',
    async (id, name) => {
      const tenant = id === 'acme' ? acme : globex
      const client = new Client()
      const home = await client.go(demo.url)
      expect(home.text).toContain('You are not signed in')
      const community = await client.go(linkHref(home.text, name, demo.url))
      expect(new URL(community.url).origin).toBe(origin(tenant))
      const login = await client.go(linkHref(community.text, /^Log in$/, community.url))
      expect(new URL(login.url).pathname).toBe('/login')
      // The login's returnTo keeps the tenant's path.
      const returnTo = inputValue(login.text, 'returnTo') ?? ''
      expect(returnTo).toBe(`/t/${id}/sso/bettermode/login?referrer_uri=%2Fspaces%2Fgeneral`)
      const done = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
      expect(done.response.status).toBe(200)
      expect(done.text).toContain(`Signed in to Bettermode as ${EMAIL}`)
      expect(new URL(done.url).origin).toBe(origin(tenant))
      expect(new URL(done.url).pathname).toBe('/spaces/general')

      // The token went to this tenant's community only, and verifies with this tenant's secret only.
      const tokenHops = client.visited.filter((u) => jwtOf(u))
      expect(tokenHops).toHaveLength(1)
      const [hop = ''] = tokenHops
      expect(new URL(hop).origin).toBe(origin(tenant))
      const token = jwtOf(hop) ?? ''
      expect(await verifyWith(token, tenant.bettermode.secret)).toBe(`ok:${EMAIL}`)
      expect(await verifyWith(token, other(tenant).bettermode.secret)).toBe('bad_signature')
      expect(tenant.sim.events.at(-1)).toMatchObject({ type: 'signed-in', email: EMAIL })
      expect(events.at(-1)).toMatchObject({
        type: 'token.issued',
        vendor: 'bettermode',
        tenant: id,
      })

      // Log out at the community: through this tenant's logout route, which ends the app session.
      const logout = await client.go(linkHref(done.text, /^Log out$/, done.url))
      expect(client.visited).toContain(`${demo.url}/t/${id}/sso/bettermode/logout`)
      expect(new URL(logout.url).href).toBe(`${demo.url}/`)
      expect(logout.text).toContain('You are not signed in')
    },
  )

  it("each community verifies its own tenant's tokens and refuses the other's", async () => {
    const { get } = await signedIn()
    const tokens = new Map<Tenant, string>()
    for (const t of [acme, globex]) {
      const response = await get(`/t/${t.id}/sso/bettermode/login?referrer_uri=%2Fspaces`)
      expect(response.status).toBe(302)
      const location = response.headers.get('location') ?? ''
      expect(new URL(location).origin).toBe(origin(t))
      tokens.set(t, jwtOf(location) ?? '')
    }
    for (const [owner, token] of tokens) {
      for (const community of [acme, globex]) {
        const before = community.sim.events.length
        const answer = await fetch(
          `${origin(community)}/api/auth/sso?${new URLSearchParams({ jwt: token, redirect_uri: '/spaces' })}`,
          { redirect: 'manual' },
        )
        const seen = community.sim.events.slice(before)
        if (community === owner) {
          expect(answer.status).toBe(302)
          expect(seen).toEqual([expect.objectContaining({ type: 'signed-in', email: EMAIL })])
        } else {
          expect(answer.status).toBe(401)
          expect(await answer.text()).not.toContain('Signed in to')
          expect(seen).toEqual([
            expect.objectContaining({ type: 'refused', code: 'bad_signature' }),
          ])
        }
      }
    }
  })

  it("no crafted link of one tenant yields a token at the other's community", async () => {
    const { get, cookie } = await signedIn()
    const port = Number(new URL(demo.url).port)
    for (const tenant of [acme, globex]) {
      const target = other(tenant)
      const there = origin(target)
      const thereHost = new URL(there).host
      const route = `/t/${tenant.id}/sso/bettermode/login`
      const signInsThere = target.sim.events.filter((e) => e.type === 'signed-in').length
      // What an attacker can put in a link or a request naming this tenant.
      const queries = [
        `referrer_uri=${encodeURIComponent(`${there}/spaces`)}`,
        `referrer_uri=${encodeURIComponent(`//${thereHost}/spaces`)}`,
        `referrer_uri=${encodeURIComponent(`/\\${thereHost}/spaces`)}`,
        `referrer_uri=%2Fspaces&redirect_uri=${encodeURIComponent(there)}`,
        `referrer_uri=%2Fspaces&communityUrl=${encodeURIComponent(there)}`,
        `referrer_uri=%2Fa&referrer_uri=${encodeURIComponent(there)}`,
      ]
      const answers: { what: string; status: number; location: string | null }[] = []
      for (const query of queries) {
        const response = await get(`${route}?${query}`)
        answers.push({
          what: query,
          status: response.status,
          location: response.headers.get('location'),
        })
      }
      // Request targets and headers fetch would not send as they are.
      const raw = [
        `GET ${there}${route}?referrer_uri=%2Fspaces HTTP/1.1\r\nHost: ${thereHost}`,
        `GET ${route}?referrer_uri=%2Fspaces HTTP/1.1\r\nHost: ${thereHost}`,
        `GET ${route}?referrer_uri=%2Fspaces HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Forwarded-Host: ${thereHost}`,
        `GET /t/${tenant.id}/../${target.id}/sso/bettermode/login HTTP/1.1\r\nHost: 127.0.0.1:${port}`,
        `GET /t/${tenant.id}%2F..%2F${target.id}/sso/bettermode/login HTTP/1.1\r\nHost: 127.0.0.1:${port}`,
        `GET /t/${tenant.id}/sso/../../${target.id}/sso/bettermode/login HTTP/1.1\r\nHost: 127.0.0.1:${port}`,
      ]
      for (const head of raw) {
        const response = await rawRequest(port, `${head}\r\nCookie: ${cookie}`)
        answers.push({
          what: head.split('\r\n')[0] ?? '',
          status: response.status,
          location: response.headers.location ?? null,
        })
      }
      for (const { what, status, location } of answers) {
        const token = location ? jwtOf(new URL(location, demo.url).href) : null
        if (token === null) {
          // Refused, or not a tenant route at all: no redirect anywhere near the other community.
          expect(status, what).toBeGreaterThanOrEqual(400)
          expect(status, what).toBeLessThan(500)
          continue
        }
        // A token only ever for this tenant's own community, signed with this tenant's secret.
        expect(new URL(location ?? '').origin, what).toBe(origin(tenant))
        expect(new URL(location ?? '').searchParams.get('redirect_uri') ?? '/', what).toMatch(
          /^\/(?![/\\])/,
        )
        expect(await verifyWith(token, tenant.bettermode.secret), what).toBe(`ok:${EMAIL}`)
        expect(await verifyWith(token, target.bettermode.secret), what).toBe('bad_signature')
      }
      expect(answers.filter((a) => a.location?.includes('jwt=')).length).toBeGreaterThan(0)
      expect(target.sim.events.filter((e) => e.type === 'signed-in')).toHaveLength(signInsThere)
    }
  })

  it("the static mount's Bettermode is neither tenant's", async () => {
    const { get } = await signedIn()
    const response = await get('/sso/bettermode/login?referrer_uri=%2F')
    const location = response.headers.get('location') ?? ''
    expect(new URL(location).origin).toBe(demo.simulators.bettermode)
    const token = jwtOf(location) ?? ''
    for (const t of [acme, globex])
      expect(await verifyWith(token, t.bettermode.secret)).toBe('bad_signature')
  })

  it('an unknown tenant gets the 404 page (ERR_SSO_TENANT_UNKNOWN), logged out or in', async () => {
    const { get } = await signedIn()
    // `constructor` would find something on a plain object's prototype; the table is a Map.
    for (const id of ['initech', 'constructor', 'ACME']) {
      for (const send of [
        (path: string) => fetch(`${demo.url}${path}`, { redirect: 'manual' }),
        get,
      ]) {
        const before = events.length
        const response = await send(`/t/${id}/sso/bettermode/login?referrer_uri=%2Fspaces`)
        expect(response.status, id).toBe(404)
        expect(response.headers.get('location'), id).toBeNull()
        expect(response.headers.get('content-type'), id).toMatch(/^text\/html/)
        const html = await response.text()
        expect(html, id).toContain('ERR_SSO_TENANT_UNKNOWN')
        expect(html, id).toContain('This sign-in link is for a site that does not exist.')
        expect(html, id).not.toMatch(/jwt=|eyJ/)
        expect(events.slice(before), id).toEqual([
          expect.objectContaining({
            type: 'request.refused',
            tenant: id,
            code: 'ERR_SSO_TENANT_UNKNOWN',
          }),
        ])
      }
    }
  })

  it("a tenant's mount serves only the vendors of its row", async () => {
    const { get } = await signedIn()
    for (const path of ['/t/acme/sso/kustomer/login', '/t/globex/sso/comm100/login']) {
      const response = await get(path)
      expect(response.status, path).toBe(404)
      expect(response.headers.get('location'), path).toBeNull()
      expect(await response.text(), path).not.toMatch(/jwt=|eyJ/)
    }
  })
})
