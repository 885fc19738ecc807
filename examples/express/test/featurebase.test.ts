// Featurebase against its simulator, over real HTTP: the portal's Log in round trip through the
// app's SSO URL, a crafted return_to, and the SDK page's token endpoint and boot.
import type { SsoEvent } from '@sso/middleware'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from '../src/demo'
import { Client, inputValue, linkHref } from './client'

const EMAIL = 'ada@example.com'
const NAME = 'Ada Lovelace'

describe('Featurebase in the demo, against its simulator over real HTTP', () => {
  let demo: RunningDemo
  const events: SsoEvent[] = []
  beforeAll(async () => {
    demo = await startDemo({ port: 0, real: {}, onEvent: (e) => events.push(e) })
  })
  afterAll(() => demo.close())

  const portal = () => demo.simulators.featurebase as string

  /** Logs `client` in to the demo app directly. */
  async function logIn(client: Client, email = EMAIL) {
    const page = await client.submit(`${demo.url}/login`, { email, name: NAME, returnTo: '/' })
    expect(page.text).toContain(`Signed in to the demo app as <strong>${email}</strong>`)
  }

  it('front page → portal → Log in → the app login → back: signed in to Featurebase on the page it started', async () => {
    const client = new Client()
    const home = await client.go(demo.url)
    expect(home.text).toContain('You are not signed in')
    const start = await client.go(linkHref(home.text, 'Featurebase', demo.url))
    expect(start.url).toBe(`${portal()}/`)
    const post = await client.go(`${portal()}/p/dark-mode?b=roadmap`)
    const login = await client.go(linkHref(post.text, 'Log in', post.url))
    expect(new URL(login.url).pathname).toBe('/login')
    const returnTo = inputValue(login.text, 'returnTo') ?? ''
    expect(returnTo).toBe(
      `/sso/featurebase/login?return_to=${encodeURIComponent(`${portal()}/p/dark-mode?b=roadmap`)}`,
    )
    const back = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
    expect(back.url).toBe(`${portal()}/p/dark-mode?b=roadmap`)
    expect(back.text).toContain(`Signed in to Featurebase as ${EMAIL}`)
    expect(back.text).toContain(`<dd data-name>${NAME}</dd>`)
    // The token went to the portal's JWT endpoint only, once.
    const visits = client.visited.filter((u) => u.includes('jwt='))
    expect(visits).toHaveLength(1)
    expect(visits[0]?.startsWith(`${portal()}/api/v1/auth/access/jwt?jwt=`)).toBe(true)
    const signedIn = demo.sims.featurebase?.events.at(-1)
    expect(signedIn).toMatchObject({ type: 'signed-in', email: EMAIL, detail: 'portal: created' })
    expect(signedIn?.claims).toMatchObject({ email: EMAIL, name: NAME, userId: expect.any(String) })
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'token.issued', vendor: 'featurebase', route: 'login' }),
    )
  })

  it('a crafted return_to never leaves the portal: the token goes to the portal and lands on its own page', async () => {
    const client = new Client()
    await logIn(client)
    const crafted = await client.go(
      `${demo.url}/sso/featurebase/login?return_to=${encodeURIComponent('https://evil.example/steal')}`,
    )
    expect(crafted.url).toBe(`${portal()}/`)
    expect(crafted.text).toContain(`Signed in to Featurebase as ${EMAIL}`)
    expect(client.visited.map((u) => new URL(u).host)).not.toContain('evil.example')
    const jwtVisit = client.visited.find((u) => u.includes('jwt=')) ?? ''
    expect(new URL(jwtVisit).searchParams.get('return_to')).toBe(portal())
  })

  it('the SDK page: a CSP naming the SDK origin, its boot script, and a token from POST /sso/featurebase/token the simulator verifies', async () => {
    const client = new Client()
    const page = await client.request(`${demo.url}/featurebase`)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain(`script-src 'self' ${portal()}`)
    expect(csp).toContain(`connect-src 'self' ${portal()}`)
    expect(csp).toContain("frame-ancestors 'none'")
    // No inline script runs: script-src names the app and the SDK's origin only.
    expect(csp.split('; ').find((d) => d.startsWith('script-src'))).toBe(
      `script-src 'self' ${portal()}`,
    )
    const html = await page.text()
    expect(html).toContain(`data-sdk="${portal()}/js/sdk.js"`)
    expect(html).toContain('data-featurebase-widget')
    expect(html).not.toMatch(/<script>/)
    const script = await client.request(`${demo.url}/featurebase.js`)
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(await script.text()).toContain("w.Featurebase('boot', settings)")

    const anonymous = await client.request(`${demo.url}/sso/featurebase/token`, { method: 'POST' })
    expect(anonymous.status).toBe(401)

    await logIn(client, 'sdk.user@example.com')
    const answer = await client.request(`${demo.url}/sso/featurebase/token`, {
      method: 'POST',
      headers: { origin: demo.url, 'sec-fetch-site': 'same-origin' },
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    const { token, expiresAt } = (await answer.json()) as { token: string; expiresAt: number }
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000)
    const boot = await fetch(`${portal()}/api/v1/sdk/boot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: 'demo-feedback', featurebaseJwt: token }),
    })
    expect(await boot.json()).toEqual({
      user: { userId: expect.any(String), email: 'sdk.user@example.com', name: NAME },
    })
    const crossSite = await client.request(`${demo.url}/sso/featurebase/token`, {
      method: 'POST',
      headers: { origin: portal(), 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.status).toBe(403)
  })
})
