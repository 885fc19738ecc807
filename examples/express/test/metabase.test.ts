// Metabase against its simulator, over real HTTP: the full app's round trip through /auth/sso,
// and the embedding SDK's token from POST /sso/metabase/token exchanged for a Metabase session.
import type { SsoEvent } from '@sso/middleware'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from '../src/demo'
import { METABASE_SDK_CONFIG } from '../src/pages'
import { Client, inputValue, linkHref } from './client'

const EMAIL = 'grace@example.com'
const NAME = 'Grace Hopper'

describe('Metabase in the demo, against its simulator over real HTTP', () => {
  let demo: RunningDemo
  const events: SsoEvent[] = []
  beforeAll(async () => {
    demo = await startDemo({ port: 0, real: {}, onEvent: (e) => events.push(e) })
  })
  afterAll(() => demo.close())
  const origin = () => demo.simulators.metabase as string

  /** Logs in to the demo app directly; the client keeps the session. */
  async function signedIn(email = EMAIL, name = NAME) {
    const client = new Client()
    await client.submit(`${demo.url}/login`, { email, name, returnTo: '/' })
    return client
  }

  it('front page links Metabase to a dashboard of the simulator, and the SDK page', async () => {
    const home = await new Client().go(demo.url)
    expect(linkHref(home.text, 'Metabase', demo.url)).toBe(`${origin()}/dashboard/1`)
    expect(linkHref(home.text, 'Metabase SDK', demo.url)).toBe(`${demo.url}/metabase`)
  })

  it('the full app: dashboard → /auth/sso → the app’s login → back with a JWT → signed in on the dashboard', async () => {
    const client = new Client()
    const home = await client.go(demo.url)
    const start = await client.go(linkHref(home.text, 'Metabase', demo.url))
    // Metabase sent the browser through its /auth/sso to the JWT Identity Provider URI.
    expect(client.visited).toContain(`${origin()}/auth/sso?return_to=%2Fdashboard%2F1`)
    expect(new URL(start.url).pathname).toBe('/login')
    const returnTo = inputValue(start.text, 'returnTo') ?? ''
    expect(returnTo).toBe('/sso/metabase/login?return_to=%2Fdashboard%2F1')
    const done = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
    expect(done.response.status).toBe(200)
    expect(done.url).toBe(`${origin()}/dashboard/1`)
    expect(done.text).toContain(`Signed in to Metabase as ${EMAIL}`)
    expect(done.text).toContain('<code data-path>/dashboard/1</code> as Grace Hopper')
    // The token travelled once, to the simulator's /auth/sso, and nowhere else.
    const carried = client.visited.filter((u) => /eyJ/.test(u))
    expect(carried).toHaveLength(1)
    expect(new URL(carried[0] as string).origin).toBe(origin())
    expect(new URL(carried[0] as string).pathname).toBe('/auth/sso')
    const user = demo.sims.metabase?.users.find((u) => u.email === EMAIL)
    expect(user).toMatchObject({ firstName: 'Grace', lastName: 'Hopper', groups: ['All Users'] })
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'token.issued', vendor: 'metabase', route: 'login' }),
    )
  })

  it('a foreign return_to is dropped by the app: Metabase lands on its home page', async () => {
    const client = await signedIn()
    const done = await client.go(
      `${demo.url}/sso/metabase/login?return_to=${encodeURIComponent('https://evil.example/x')}`,
    )
    expect(done.url).toBe(`${origin()}/`)
    expect(done.text).toContain(`Signed in to Metabase as ${EMAIL}`)
    expect(client.visited.some((u) => u.includes('evil.example') && /eyJ/.test(u))).toBe(false)
  })

  it('the SDK: POST /sso/metabase/token → { jwt, expiresAt }, which Metabase exchanges for a session of that user', async () => {
    const client = await signedIn('ada@example.com', 'Ada Lovelace')
    const answer = await client.request(`${demo.url}/sso/metabase/token`, {
      method: 'POST',
      headers: { origin: demo.url, 'sec-fetch-site': 'same-origin' },
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    const body = (await answer.json()) as { jwt: string; expiresAt: number }
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'jwt'])
    const exchanged = await fetch(`${origin()}/auth/sso?jwt=${body.jwt}&token=true`)
    expect(exchanged.status).toBe(200)
    const session = (await exchanged.json()) as { id: string }
    const me = await fetch(`${origin()}/api/user/current`, {
      headers: { 'x-metabase-session': session.id },
    })
    expect(await me.json()).toMatchObject({ email: 'ada@example.com', common_name: 'Ada Lovelace' })
  })

  it('the SDK token route: logged out 401, GET 405, cross-site 403, all without a token', async () => {
    const out = await new Client().request(`${demo.url}/sso/metabase/token`, { method: 'POST' })
    expect(out.status).toBe(401)
    const client = await signedIn()
    const get = await client.request(`${demo.url}/sso/metabase/token`)
    expect(get.status).toBe(405)
    const cross = await client.request(`${demo.url}/sso/metabase/token`, {
      method: 'POST',
      headers: { origin: origin(), 'sec-fetch-site': 'cross-site' },
    })
    expect(cross.status).toBe(403)
    for (const r of [out, get, cross]) expect(await r.text()).not.toContain('eyJ')
  })

  it('the SDK page: the stand-in from the simulator, its config from the app, under a CSP without inline script', async () => {
    const page = await fetch(`${demo.url}/metabase`)
    expect(page.status).toBe(200)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toBe(
      `default-src 'none'; script-src 'self' ${origin()}; connect-src 'self' ${origin()}; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    )
    const html = await page.text()
    expect(html).toContain('<script src="/metabase/sdk-config.js"></script>')
    expect(html).toContain(`<script defer src="${origin()}/app/embedding-sdk.js"></script>`)
    expect(html).toContain('<div class="card" data-metabase-dashboard="1"></div>')
    expect(html).not.toMatch(/<script>/)
    const config = await fetch(`${demo.url}/metabase/sdk-config.js`)
    expect(config.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(await config.text()).toBe(METABASE_SDK_CONFIG)
  })
})
