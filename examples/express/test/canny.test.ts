// Canny against its simulator, over real HTTP: the hosted board's SSO redirect (board → the app's
// SSO page → the app's login → back → Canny's /api/redirects/sso → the board), and the widget page
// whose script asks POST /sso/canny/token for the token the widget verifies.
import type { SsoEvent } from '@sso/middleware'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from '../src/demo'
import { CANNY_PAGE_SCRIPT } from '../src/pages'
import { Client, inputValue, linkHref } from './client'

const EMAIL = 'ada@example.com'
const NAME = 'Ada Lovelace'

describe('Canny in the demo, against its simulator over real HTTP', () => {
  let demo: RunningDemo
  const events: SsoEvent[] = []
  beforeAll(async () => {
    demo = await startDemo({ port: 0, real: {}, onEvent: (e) => events.push(e) })
  })
  afterAll(() => demo.close())
  const canny = () => demo.simulators.canny as string

  async function signedInClient() {
    const client = new Client()
    await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo: '/' })
    return client
  }

  it('links the board and the widget page from the front page', async () => {
    const home = await new Client().go(demo.url)
    expect(linkHref(home.text, 'Canny', demo.url)).toBe(`${canny()}/`)
    expect(linkHref(home.text, 'Canny widget', demo.url)).toBe(`${demo.url}/canny`)
  })

  it('board → SSO redirect → login → back → Canny signs the user in, the token only ever at Canny', async () => {
    const client = new Client()
    const home = await client.go(demo.url)
    const login = await client.go(linkHref(home.text, 'Canny', demo.url))
    expect(new URL(login.url).pathname).toBe('/login')
    const returnTo = inputValue(login.text, 'returnTo') ?? ''
    const sent = new URL(returnTo, demo.url)
    expect(sent.pathname).toBe('/sso/canny/login')
    expect(Object.fromEntries(sent.searchParams)).toEqual({
      companyID: 'demo',
      redirect: `${canny()}/`,
    })
    const board = await client.submit(`${demo.url}/login`, { email: EMAIL, name: NAME, returnTo })
    expect(board.url).toBe(`${canny()}/`)
    expect(board.text).toContain(`Signed in to Canny as ${EMAIL}`)
    // The token travelled once, in the URL of Canny's SSO endpoint, and nowhere else.
    const withToken = client.visited.filter((u) => /eyJ/.test(u))
    expect(withToken).toHaveLength(1)
    const hop = new URL(withToken[0] as string)
    expect(`${hop.origin}${hop.pathname}`).toBe(`${canny()}/api/redirects/sso`)
    expect([...hop.searchParams.keys()]).toEqual(['companyID', 'ssoToken', 'redirect'])
    expect(demo.sims.canny?.events.at(-1)).toMatchObject({
      type: 'signed-in',
      email: EMAIL,
      detail: 'sso-redirect',
    })
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'token.issued', vendor: 'canny', route: 'login' }),
    )
    expect(JSON.stringify(events)).not.toContain(EMAIL)
  })

  it.each([
    [
      'another host',
      { companyID: 'demo', redirect: 'https://evil.example/' },
      400,
      'ERR_SSO_REDIRECT_NOT_ALLOWED',
    ],
    ['another company', { companyID: 'other', redirect: '' }, 403, 'ERR_SSO_FORBIDDEN'],
    ['a malformed companyID', { companyID: 'de-mo', redirect: '' }, 400, 'ERR_SSO_BAD_REQUEST'],
  ])('refuses a link to %s with %s and no token', async (_, params, status, code) => {
    const client = await signedInClient()
    const query = new URLSearchParams({ ...params, redirect: params.redirect || `${canny()}/` })
    const response = await client.request(`${demo.url}/sso/canny/login?${query}`)
    expect(response.status).toBe(status)
    expect(response.headers.get('location')).toBeNull()
    const text = await response.text()
    expect(text).toContain(code)
    expect(text).not.toMatch(/eyJ/)
  })

  it('the widget page: its CSP, its script, and the token the widget verifies', async () => {
    const client = await signedInClient()
    const page = await client.go(`${demo.url}/canny`)
    expect(page.response.status).toBe(200)
    const csp = page.response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain(`script-src 'self' ${canny()}`)
    expect(csp).toContain(`frame-src ${canny()}`)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(page.text).not.toMatch(/<script>/)
    expect(page.text).toContain('<script src="/canny.js" defer></script>')
    expect(page.text).toContain(`data-sdk="${canny()}/sdk.js"`)
    const script = await client.go(`${demo.url}/canny.js`)
    expect(script.text).toBe(CANNY_PAGE_SCRIPT)

    const answer = await client.request(`${demo.url}/sso/canny/token`, {
      method: 'POST',
      headers: { origin: demo.url, 'sec-fetch-site': 'same-origin' },
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    const { token, expiresAt } = (await answer.json()) as { token: string; expiresAt: number }
    expect(expiresAt - Math.floor(Date.now() / 1000)).toBeGreaterThan(3590)
    const widget = await new Client().go(
      `${canny()}/widget?${new URLSearchParams({ boardToken: 'board-demo', basePath: '/canny', ssoToken: token })}`,
    )
    expect(widget.response.status).toBe(200)
    expect(widget.text).toContain(`Signed in to Canny as ${EMAIL}`)
    expect(widget.response.headers.get('content-security-policy')).toContain(
      `frame-ancestors ${demo.url}`,
    )
    expect(demo.sims.canny?.events.at(-1)).toMatchObject({ type: 'signed-in', detail: 'widget' })
  })

  it('the token route: 401 logged out, 403 cross-site, 405 on GET', async () => {
    const anonymous = await new Client().request(`${demo.url}/sso/canny/token`, { method: 'POST' })
    expect(anonymous.status).toBe(401)
    const client = await signedInClient()
    const cross = await client.request(`${demo.url}/sso/canny/token`, {
      method: 'POST',
      headers: { origin: canny(), 'sec-fetch-site': 'cross-site' },
    })
    expect(cross.status).toBe(403)
    expect(await cross.text()).not.toMatch(/eyJ/)
    expect((await client.request(`${demo.url}/sso/canny/token`)).status).toBe(405)
  })
})
