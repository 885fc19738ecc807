import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SsoEvent } from '@sso/middleware'
import { type RunningDemo, startDemo } from '../src/demo'
import { Client, inputValue, linkHref } from './client'

const EMAIL = 'ada@example.com'
const NAME = 'Ada Lovelace'

describe('the demo, every vendor against its simulator over real HTTP', () => {
  let demo: RunningDemo
  const events: SsoEvent[] = []
  beforeAll(async () => {
    demo = await startDemo({ port: 0, real: {}, onEvent: (e) => events.push(e) })
  })
  afterAll(() => demo.close())

  /** Front page → vendor link → vendor's login button → app login → back through the route → vendor. */
  async function walk(vendor: string, loginLink: RegExp) {
    const client = new Client()
    const home = await client.go(demo.url)
    expect(home.text).toContain('You are not signed in')
    const vendorStart = await client.go(linkHref(home.text, vendor, demo.url))
    expect(new URL(vendorStart.url).origin).toBe(
      demo.simulators[vendor.toLowerCase() as 'kustomer'],
    )
    const login = await client.go(linkHref(vendorStart.text, loginLink, vendorStart.url))
    expect(new URL(login.url).pathname).toBe('/login')
    const returnTo = inputValue(login.text, 'returnTo') ?? ''
    expect(returnTo).toMatch(new RegExp(`^/sso/${vendor.toLowerCase()}/login`))
    const done = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
    return { client, done }
  }

  it.each([
    ['Kustomer', /^Login$/],
    ['Comm100', /^Log in with SSO$/],
    ['Bettermode', /^Log in$/],
    ['Konnec', /^Log in$/],
  ])('%s: a logged-out visitor ends up signed in at the vendor', async (vendor, loginLink) => {
    const { done, client } = await walk(vendor, loginLink)
    expect(done.response.status).toBe(200)
    expect(done.text).toContain(`Signed in to ${vendor} as ${EMAIL}`)
    expect(new URL(done.url).origin).toBe(demo.simulators[vendor.toLowerCase() as 'kustomer'])
    // The token went only to the vendor's simulator, never anywhere else.
    const tokenHops = client.visited.filter((u) => /externalToken=|jwt=|refresh-token=/.test(u))
    expect(tokenHops.length).toBeGreaterThan(0)
    for (const hop of tokenHops)
      expect(new URL(hop).origin).toBe(demo.simulators[vendor.toLowerCase() as 'kustomer'])
  })

  it('Komo: the token endpoint answers the signed-in session and the hub verifies it', async () => {
    const client = new Client()
    const loggedOut = await client.request(`${demo.url}/sso/komo/token`, { method: 'POST' })
    expect(loggedOut.status).toBe(401)
    await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo: '/komo' })
    const page = await client.go(`${demo.url}/komo`)
    expect(page.text).toContain(`${demo.simulators.komo}/assets/embed/embed.js`)
    const response = await client.request(`${demo.url}/sso/komo/token`, {
      method: 'POST',
      headers: { origin: demo.url, 'sec-fetch-site': 'same-origin' },
    })
    expect(response.status).toBe(200)
    const { token } = (await response.json()) as { token: string }
    const verified = await fetch(`${demo.simulators.komo}/api/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    })
    expect(verified.status).toBe(200)
    expect(await verified.json()).toMatchObject({
      contact: { email: EMAIL, firstName: 'Ada', lastName: 'Lovelace' },
    })
  })

  it('Comm100 and Bettermode: logout runs through the app and ends the session', async () => {
    for (const [vendor, link] of [
      ['Comm100', /^Log in with SSO$/],
      ['Bettermode', /^Log in$/],
    ] as const) {
      const { client, done } = await walk(vendor, link)
      const logout = await client.go(linkHref(done.text, /^Log out$/, done.url))
      expect(logout.response.status).toBe(200)
      const me = await client.go(`${demo.url}/api/me`)
      expect(JSON.parse(me.text)).toEqual({ user: null })
    }
  })

  it('Comm100 refuses a replayed token (the same jti twice)', async () => {
    const { client, done } = await walk('Comm100', /^Log in with SSO$/)
    expect(done.text).toContain('Signed in to Comm100')
    const tokenUrl = client.visited.find((u) => u.includes('jwt=')) ?? ''
    const replay = await client.go(tokenUrl)
    expect(replay.response.status).toBeGreaterThanOrEqual(400)
    expect(replay.text).not.toContain('Signed in to Comm100')
    expect(demo.sims.comm100?.events.at(-1)).toMatchObject({
      type: 'refused',
      code: 'replayed_jti',
    })
  })

  it('Konnec refuses a reused refresh token', async () => {
    const { client } = await walk('Konnec', /^Log in$/)
    const tokenUrl = client.visited.find((u) => u.includes('refresh-token=')) ?? ''
    const again = await client.go(tokenUrl)
    expect(again.response.status).toBeGreaterThanOrEqual(400)
    expect(again.text).not.toContain('Signed in to Konnec')
  })

  it('never sends a token to a host off the allow-list, even from a crafted link', async () => {
    const client = new Client()
    await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo: '/' })
    const evil = encodeURIComponent('https://evil.example/steal')
    for (const path of [
      `/sso/kustomer/login?kustomerRedirectUri=${evil}`,
      `/sso/comm100/login?redirect_url=${evil}`,
    ]) {
      const response = await client.request(`${demo.url}${path}`)
      expect(response.status).toBe(400)
      expect(response.headers.get('location')).toBeNull()
    }
  })

  it('emits events with user ids only, never an email or a token', () => {
    const serialized = JSON.stringify(events)
    expect(events.some((e) => e.type === 'token.issued')).toBe(true)
    expect(serialized).not.toContain(EMAIL)
    expect(serialized).not.toMatch(/eyJ[\w-]+\./)
  })
})
