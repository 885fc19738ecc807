// Intercom in the demo, over real HTTP: the /intercom page and its script, the token from
// POST /sso/intercom/token, and the Messenger simulator verifying the boot the page would send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userIdFor } from '../src/app'
import { type RunningDemo, startDemo } from '../src/demo'
import { INTERCOM_PAGE_SCRIPT } from '../src/pages'
import { Client, linkHref } from './client'

/** A JWT's header or payload, decoded (the simulator verifies the signature). */
const part = (jwt: string, i: 0 | 1) =>
  JSON.parse(Buffer.from(jwt.split('.')[i] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >
const decodeProtectedHeader = (jwt: string) => part(jwt, 0)
const decodeJwt = (jwt: string) => part(jwt, 1)

const EMAIL = 'ada@example.com'
const NAME = 'Ada Lovelace'

describe('Intercom in the demo, against its simulator over real HTTP', () => {
  let demo: RunningDemo
  beforeAll(async () => {
    demo = await startDemo({ port: 0, real: {}, onEvent: () => {} })
  })
  afterAll(() => demo.close())

  const sim = () => demo.simulators.intercom as string
  const loggedIn = async (email = EMAIL, name = NAME) => {
    const client = new Client()
    await client.submit(`${demo.url}/login`, { email, name, returnTo: '/intercom' })
    return client
  }
  const token = (client: Client, headers: Record<string, string> = {}) =>
    client.request(`${demo.url}/sso/intercom/token`, { method: 'POST', headers })
  const ping = (body: unknown) =>
    fetch(`${sim()}/messenger/web/ping`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: demo.url },
      body: JSON.stringify(body),
    })

  it('links Intercom from the front page to its page in the app', async () => {
    const home = await new Client().go(demo.url)
    expect(linkHref(home.text, 'Intercom', demo.url)).toBe(`${demo.url}/intercom`)
  })

  it('serves /intercom under a CSP that allows scripts from the app and the Messenger only, with no inline script', async () => {
    const client = await loggedIn()
    const page = await client.go(`${demo.url}/intercom`)
    expect(page.response.status).toBe(200)
    expect(page.response.headers.get('cache-control')).toBe('no-store')
    expect(page.response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'self' ${sim()}; connect-src 'self' ${sim()}; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    )
    // One script, from the app, configured by attributes: the app id, the Messenger, the token URL.
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts).toHaveLength(1)
    const attrs = scripts[0]?.[1] ?? ''
    expect(scripts[0]?.[2]).toBe('')
    expect(attrs).toContain('src="/intercom.js"')
    expect(attrs).toContain('data-app-id="demo-app"')
    expect(attrs).toContain(`data-widget="${sim()}/widget/demo-app"`)
    expect(attrs).toContain('data-token-url="/sso/intercom/token"')
    // The settings carry no identity: no user id anywhere in the page, no email in the script.
    expect(page.text).not.toContain(userIdFor(EMAIL))
    expect(attrs).not.toContain(EMAIL)
  })

  it('serves the page script, which boots with app_id and intercom_user_jwt only', async () => {
    const res = await fetch(`${demo.url}/intercom.js`)
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/)
    const source = await res.text()
    expect(source).toBe(INTERCOM_PAGE_SCRIPT)
    const boots = [...source.matchAll(/Intercom\('boot', (\{[^}]*\})\)/g)].map((m) => m[1])
    expect(boots).toEqual(['{ app_id: appId, intercom_user_jwt: body.token }'])
    expect(source).not.toMatch(/user_id|email|user_hash/)
    expect(source).toContain("w.Intercom('shutdown')")
  })

  it('the Messenger simulator serves its script at the URL the page names', async () => {
    const res = await fetch(`${sim()}/widget/demo-app`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
  })

  it('logged in: the app signs a Messenger JWT the simulator accepts as that user', async () => {
    const client = await loggedIn()
    const res = await token(client, { origin: demo.url, 'sec-fetch-site': 'same-origin' })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as { token: string; expiresAt: number }
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'token'])
    expect(decodeProtectedHeader(body.token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const claims = decodeJwt(body.token)
    expect(Object.keys(claims).sort()).toEqual(['email', 'exp', 'iat', 'name', 'user_id'])
    expect(claims).toMatchObject({ user_id: userIdFor(EMAIL), email: EMAIL, name: NAME })
    expect(claims.exp).toBe((claims.iat as number) + 3600)
    expect(body.expiresAt).toBe(claims.exp)
    const before = demo.sims.intercom?.events.length ?? 0
    const answer = await ping({ app_id: 'demo-app', intercom_user_jwt: body.token })
    expect(answer.status).toBe(200)
    const answered = (await answer.json()) as { receipt?: string }
    expect(answered).toEqual({
      user: { user_id: userIdFor(EMAIL), email: EMAIL, name: NAME, attributes: {}, verified: true },
      // The page of what Intercom received, on the simulator's own origin.
      receipt: expect.stringMatching(/\/messenger\/received\/[\w-]{22}$/),
    })
    expect(new URL(answered.receipt ?? '').origin).toBe(sim())
    expect(demo.sims.intercom?.events.slice(before)).toEqual([
      expect.objectContaining({ type: 'signed-in', sub: userIdFor(EMAIL), email: EMAIL }),
    ])
  })

  it('logged out: 401 and no token; a boot without one is refused by the enforced Messenger', async () => {
    const res = await token(new Client())
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({
      error: expect.objectContaining({ code: 'ERR_SSO_UNAUTHENTICATED' }),
    })
    const answer = await ping({ app_id: 'demo-app', user_id: userIdFor(EMAIL), email: EMAIL })
    expect(answer.status).toBe(401)
    expect(await answer.json()).toMatchObject({ error: { code: 'missing_jwt' } })
  })

  it('refuses a cross-site caller with the victim’s cookie: 403, no token', async () => {
    const client = await loggedIn()
    for (const headers of <Record<string, string>[]>[
      { origin: sim() },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await token(client, headers)
      expect(res.status).toBe(403)
      expect(await res.text()).not.toMatch(/eyJ/)
    }
  })

  it('a user switch signs the next user, and only them', async () => {
    const first = await loggedIn()
    const second = await loggedIn('bob@example.com', 'Bob')
    const a = decodeJwt(((await (await token(first)).json()) as { token: string }).token)
    const b = decodeJwt(((await (await token(second)).json()) as { token: string }).token)
    expect(a.user_id).toBe(userIdFor(EMAIL))
    expect(b).toMatchObject({ user_id: userIdFor('bob@example.com'), email: 'bob@example.com' })
    await first.submit(`${demo.url}/logout`, {})
    expect((await token(first)).status).toBe(401)
    expect((await token(second)).status).toBe(200)
  })
})
