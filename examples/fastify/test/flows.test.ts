// Every vendor of the Fastify demo against its simulator, over real HTTP: logged out at the
// vendor → the app's login → back through the plugin's route → the simulator verifies the token
// and shows who is signed in. The session is @fastify/session's, read by getUser from the
// Fastify request.
import type { SsoEvent } from '@sso/middleware/fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// The Express demo's cookie-keeping client: the same browser stand-in for both demos.
import { Client, inputValue, linkHref } from '../../express/test/client'
// The SDK-token route tests Next and Hono run, on the vendors' entries they share.
import { DEMO_VENDORS } from '../../vendors/src/index'
import { sdkTokenRoutes } from '../../vendors/test/flows'
import { type RunningDemo, startDemo } from '../src/demo'
import { SIMULATED_VENDORS } from '../src/vendors'

const EMAIL = 'ada@example.com'
const NAME = 'Ada Lovelace'

/** The one form of a form-POST page (Zendesk): where it posts and its fields. */
function formOf(html: string, base: string) {
  const action = /<form\b[^>]*method="post"[^>]*action="([^"]*)"/i.exec(html)?.[1] ?? ''
  const fields = Object.fromEntries(
    [...html.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)].map((m) => [m[1], m[2]]),
  )
  return { action: new URL(action.replace(/&amp;/g, '&'), base).href, fields }
}

describe('the Fastify demo, every vendor against its simulator over real HTTP', () => {
  let demo: RunningDemo
  const events: SsoEvent[] = []
  beforeAll(async () => {
    demo = await startDemo({ port: 0, onEvent: (e) => events.push(e) })
  })
  afterAll(() => demo.close())

  it('links every vendor from the front page', async () => {
    const home = await new Client().go(demo.url)
    expect(home.text).toContain('You are not signed in')
    for (const [id, entry] of Object.entries(SIMULATED_VENDORS)) {
      const expected = entry.startPath
        ? `${demo.url}${entry.startPath}`
        : `${demo.simulators[id]}${entry.vendorPath ?? '/'}`
      expect(linkHref(home.text, entry.name, demo.url)).toBe(expected)
    }
  })

  // The vendor's own way in: the link on its front page that starts its sign-in.
  it.each([
    ['kustomer', 'Kustomer', /^Login$/, /externalToken=/],
    ['comm100', 'Comm100', /^Log in with SSO$/, /jwt=/],
    ['bettermode', 'Bettermode', /^Log in$/, /jwt=/],
    ['konnec', 'Konnec', /^Log in$/, /refresh-token=/],
    ['discourse', 'Discourse', /^Log in$/, /sso=.*sig=/],
    ['featurebase', 'Featurebase', /^Log in$/, /jwt=/],
  ])(
    '%s: a logged-out visitor ends up signed in at the vendor',
    async (id, name, button, token) => {
      const client = new Client()
      const home = await client.go(demo.url)
      const start = await client.go(linkHref(home.text, name, demo.url))
      expect(new URL(start.url).origin).toBe(demo.simulators[id])
      const login = await client.go(linkHref(start.text, button, start.url))
      expect(new URL(login.url).pathname).toBe('/login')
      const returnTo = inputValue(login.text, 'returnTo') ?? ''
      expect(returnTo.startsWith(`/sso/${id}/login`)).toBe(true)
      const done = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
      expect(done.response.status).toBe(200)
      expect(new URL(done.url).origin).toBe(demo.simulators[id])
      expect(done.text).toContain(`Signed in to ${name} as ${EMAIL}`)
      // The token went to the vendor's simulator only.
      const hops = client.visited.filter((u) => token.test(u) && !u.startsWith(`${demo.url}/login`))
      expect(hops.length).toBeGreaterThan(0)
      for (const hop of hops.filter((u) => !u.startsWith(`${demo.url}/sso/`))) {
        expect(new URL(hop).origin).toBe(demo.simulators[id])
      }
    },
  )

  // The vendor's page itself sends a visitor without a session to the app: no button.
  it.each([
    ['canny', 'Canny', '/', '/api/redirects/sso', 'ssoToken'],
    ['metabase', 'Metabase', '/dashboard/1', '/auth/sso', 'jwt'],
  ])(
    '%s: its page sends a logged-out visitor through the app and back, the token only at its SSO endpoint',
    async (id, name, landing, endpoint, param) => {
      const client = new Client()
      const sim = demo.simulators[id] as string
      const home = await client.go(demo.url)
      const login = await client.go(linkHref(home.text, name, demo.url))
      expect(client.visited[1]).toBe(`${sim}${landing}`)
      expect(new URL(login.url).pathname).toBe('/login')
      const returnTo = inputValue(login.text, 'returnTo') ?? ''
      expect(returnTo.startsWith(`/sso/${id}/login?`)).toBe(true)
      const done = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
      expect(done.response.status).toBe(200)
      expect(done.url).toBe(`${sim}${landing}`)
      expect(done.text).toContain(`Signed in to ${name} as ${EMAIL}`)
      expect(demo.sims[id]?.events.at(-1)).toMatchObject({ type: 'signed-in', email: EMAIL })
      // The token travelled once, in the URL of the vendor's SSO endpoint, and nowhere else.
      const carried = client.visited.filter((u) => /eyJ/.test(u))
      expect(carried).toHaveLength(1)
      const hop = new URL(carried[0] as string)
      expect(`${hop.origin}${hop.pathname}`).toBe(`${sim}${endpoint}`)
      expect(hop.searchParams.get(param)).toMatch(/^eyJ/)
    },
  )

  it('Canny: a link to another board host or company is refused, with no token', async () => {
    const client = new Client()
    await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo: '/' })
    for (const [query, status] of [
      [{ companyID: 'demo', redirect: 'https://evil.example/' }, 400],
      [{ companyID: 'other', redirect: `${demo.simulators.canny}/` }, 403],
    ] as const) {
      const res = await client.request(`${demo.url}/sso/canny/login?${new URLSearchParams(query)}`)
      expect(res.status).toBe(status)
      expect(res.headers.get('location')).toBeNull()
      expect(await res.text()).not.toMatch(/eyJ/)
    }
  })

  // The SDK-token routes, with the checks Next and Hono run (the simulators take each token).
  sdkTokenRoutes(
    () => ({
      url: demo.url,
      simulators: { env: {}, origins: demo.simulators, sims: demo.sims, close: demo.close },
    }),
    DEMO_VENDORS.filter((v) => ['intercom', 'canny', 'featurebase', 'metabase'].includes(v.id)),
  )

  it('Zendesk: the form page posts the token to the account, which signs the user in', async () => {
    const client = new Client()
    const home = await client.go(demo.url)
    const account = await client.go(linkHref(home.text, 'Zendesk', demo.url))
    const login = await client.go(linkHref(account.text, /^My requests$/, account.url))
    expect(new URL(login.url).pathname).toBe('/login')
    const returnTo = inputValue(login.text, 'returnTo') ?? ''
    const page = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
    expect(new URL(page.url).pathname).toBe('/sso/zendesk/login')
    expect(page.response.headers.get('cache-control')).toBe('no-store')
    expect(page.response.headers.get('referrer-policy')).toBe('strict-origin')
    expect(page.response.headers.get('content-security-policy')).toContain(
      `form-action ${demo.simulators.zendesk}`,
    )
    const { action, fields } = formOf(page.text, page.url)
    expect(new URL(action).origin).toBe(demo.simulators.zendesk)
    const done = await client.submit(action, fields as Record<string, string>)
    expect(done.text).toContain(`Signed in to Zendesk as ${EMAIL}`)
  })

  it('Komo: the token route answers the signed-in session only, and the hub verifies the token', async () => {
    const client = new Client()
    const token = `${demo.url}/sso/komo/token`
    const sameOrigin = { origin: demo.url, 'sec-fetch-site': 'same-origin' }
    expect((await client.request(token, { method: 'POST', headers: sameOrigin })).status).toBe(401)
    await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo: '/komo' })
    const page = await client.go(`${demo.url}/komo`)
    expect(page.text).toContain(`${demo.simulators.komo}/assets/embed/embed.js`)
    const crossSite = await client.request(token, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.status).toBe(403)
    const response = await client.request(token, { method: 'POST', headers: sameOrigin })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as { token: string }
    const verified = await fetch(`${demo.simulators.komo}/api/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: body.token }),
    })
    expect(verified.status).toBe(200)
    expect(await verified.json()).toMatchObject({
      contact: { email: EMAIL, firstName: 'Ada', lastName: 'Lovelace' },
    })
  })

  it('Bettermode: logout runs through the plugin and ends the @fastify/session session', async () => {
    const client = new Client()
    await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo: '/' })
    expect((await client.go(demo.url)).text).toContain(`Signed in to the demo app as`)
    const out = await client.go(`${demo.url}/sso/bettermode/logout`)
    expect(out.response.status).toBe(200)
    expect((await client.go(demo.url)).text).toContain('You are not signed in')
  })

  it('emits events with user ids only, never an email or a token', () => {
    expect(events.some((e) => e.type === 'token.issued')).toBe(true)
    const text = JSON.stringify(events)
    expect(text).not.toContain(EMAIL)
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
  })
})
