// The tests the Next.js and Hono examples share: every vendor of DEMO_VENDORS walked over real
// HTTP (a cookie-keeping client that follows redirects as a browser does) and in Chromium, from the
// app's front page, logged out, to the simulator's "Signed in", and out again where the vendor
// has a logout. A vendor added to DEMO_VENDORS is walked by both examples with no change here.
import type { Browser, Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { Client, inputValue, linkHref } from '../../express/test/client'
import { DEMO_VENDORS, type DemoVendor } from '../src/index'
import { DEMO_AGENTS, type RunningSimulators } from '../src/simulate'

/** The example under test: where it listens, and its simulators. */
export interface ExampleUnderTest {
  readonly url: string
  readonly simulators: RunningSimulators
}

const NAME = 'Ada Lovelace'
// Comm100 signs in only the agents its admin created; the others take anyone.
const EMAIL = DEMO_AGENTS[0] as string
const VIA_VENDOR_PAGE = DEMO_VENDORS.filter((v) => v.button)
const WITH_LOGOUT = DEMO_VENDORS.filter((v) => v.logout)
// A token in a URL: a JWT, or one of the vendors' own token parameters.
const TOKEN_IN_URL = /eyJ[\w-]+\.[\w-]+\.[\w-]+|[?&](externalToken|jwt|refresh-token)=/

/** The one form of a page: where it posts and its fields. */
function formOf(html: string, base: string) {
  const forms = [...html.matchAll(/<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/gi)]
  expect(forms).toHaveLength(1)
  const action = new URL((forms[0]?.[1] ?? '').replace(/&amp;/g, '&'), base)
  const fields: Record<string, string> = {}
  for (const m of (forms[0]?.[2] ?? '').matchAll(/<input\b[^>]*name="([^"]+)"[^>]*>/gi)) {
    const name = m[1] as string
    fields[name] = inputValue(m[0], name) ?? ''
  }
  return { action, fields }
}

/**
 * Front page → the vendor's link → its login button → the app's login page → the login form →
 * back through `/sso/<vendor>/login` → (Zendesk: the form page, posted) → the vendor's page.
 */
async function walk(app: ExampleUnderTest, vendor: DemoVendor, email = EMAIL) {
  const client = new Client()
  const origin = app.simulators.origins[vendor.id]
  const home = await client.go(app.url)
  expect(home.text).toContain('You are not signed in')
  const start = await client.go(linkHref(home.text, vendor.name, app.url))
  expect(new URL(start.url).origin).toBe(origin)
  const login = await client.go(linkHref(start.text, vendor.button as string, start.url))
  expect(`${new URL(login.url).origin}${new URL(login.url).pathname}`).toBe(`${app.url}/login`)
  const { action, fields } = formOf(login.text, login.url)
  expect(fields.returnTo).toMatch(new RegExp(`^/sso/${vendor.id}/login(\\?|$)`))
  let done = await client.submit(action, { ...fields, email, name: NAME })
  if (new URL(done.url).origin === app.url && /<form\b/.test(done.text)) {
    // A form-POST vendor (Zendesk): the app's page posts the token to the vendor, never in a URL.
    const form = formOf(done.text, done.url)
    expect(form.action.origin).toBe(origin)
    done = await client.submit(form.action, form.fields)
  }
  return { client, done, origin }
}

/** The HTTP tests; call inside a `describe` whose `beforeAll` starts the example. */
export function httpFlows(app: () => ExampleUnderTest): void {
  it.each(VIA_VENDOR_PAGE.map((v) => [v.name, v] as const))(
    '%s: a logged-out visitor ends up signed in at the vendor, the token only there',
    async (_name, vendor) => {
      const { client, done, origin } = await walk(app(), vendor)
      expect(done.response.status).toBe(200)
      expect(new URL(done.url).origin).toBe(origin)
      expect(done.text).toContain(`Signed in to ${vendor.name} as ${EMAIL}`)
      expect(app().simulators.sims[vendor.id]?.events.at(-1)).toMatchObject({ type: 'signed-in' })
      // Every URL that carried a token was the vendor's own.
      for (const hop of client.visited.filter((u) => TOKEN_IN_URL.test(decodeURIComponent(u))))
        expect(new URL(hop).origin).toBe(origin)
    },
  )

  it.each(WITH_LOGOUT.map((v) => [v.name, v] as const))(
    "%s: the vendor's Log out runs through the app and ends the app's session",
    async (_name, vendor) => {
      const { client, done } = await walk(app(), vendor)
      const signedIn = await client.go(app().url)
      expect(signedIn.text).toContain(`Signed in as`)
      const logout = await client.go(linkHref(done.text, /^Log out$/, done.url))
      expect(logout.response.status).toBeLessThan(400)
      const home = await client.go(app().url)
      expect(home.text).toContain('You are not signed in')
    },
  )

  it('Komo: the token endpoint answers the signed-in session only, and the hub verifies it', async () => {
    const { url, simulators } = app()
    const client = new Client()
    const sameOrigin = { origin: url, 'sec-fetch-site': 'same-origin' }
    const loggedOut = await client.request(`${url}/sso/komo/token`, {
      method: 'POST',
      headers: sameOrigin,
    })
    expect(loggedOut.status).toBe(401)
    expect(await loggedOut.json()).toMatchObject({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } })
    const login = await client.go(`${url}/login?returnTo=/komo`)
    const { action, fields } = formOf(login.text, login.url)
    expect(fields.returnTo).toBe('/komo')
    const komoPage = await client.submit(action, { ...fields, email: EMAIL, name: NAME })
    expect(new URL(komoPage.url).pathname).toBe('/komo')
    expect(komoPage.text).toContain(`Signed in as`)
    // A cross-site caller gets nothing, logged in or not.
    const crossSite = await client.request(`${url}/sso/komo/token`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.status).toBe(403)
    const response = await client.request(`${url}/sso/komo/token`, {
      method: 'POST',
      headers: sameOrigin,
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toContain('no-store')
    const { token } = (await response.json()) as { token: string }
    const verified = await fetch(`${simulators.origins.komo}/api/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    })
    expect(verified.status).toBe(200)
    expect(await verified.json()).toMatchObject({
      contact: { email: EMAIL, firstName: 'Ada', lastName: 'Lovelace' },
    })
  })

  it.each([
    ['protocol-relative', '//evil.example/x'],
    ['backslash', '/\\evil.example'],
    ['absolute', 'https://evil.example/'],
    ['script', 'javascript:alert(1)'],
    ['control characters', '/ok\r\nSet-Cookie: x=1'],
    ['over 2,048 characters', `/${'a'.repeat(2100)}`],
  ])('the login page and form drop an unsafe returnTo (%s) for /', async (_kind, bad) => {
    const { url } = app()
    const client = new Client()
    const login = await client.go(`${url}/login?returnTo=${encodeURIComponent(bad)}`)
    const { action, fields } = formOf(login.text, login.url)
    expect(fields.returnTo).toBe('/')
    const posted = await client.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: EMAIL, name: NAME, returnTo: bad }).toString(),
    })
    expect(posted.status).toBe(303)
    expect(new URL(posted.headers.get('location') ?? '', url).href).toBe(`${url}/`)
  })

  it("Discourse: a request whose signature does not match is refused before the app's login", async () => {
    const { url, simulators } = app()
    const client = new Client()
    const forum = await client.go(`${simulators.origins.discourse}/`)
    const login = await client.request(linkHref(forum.text, 'Log in', forum.url))
    const start = new URL(login.headers.get('location') ?? '')
    expect(start.origin + start.pathname).toBe(`${url}/sso/discourse/login`)
    const sig = start.searchParams.get('sig') ?? ''
    start.searchParams.set('sig', `${sig[0] === '0' ? '1' : '0'}${sig.slice(1)}`)
    const refused = await client.request(start)
    expect(refused.status).toBe(400)
    expect(refused.headers.get('location')).toBeNull()
  })
}

/** Logs in on the app's login page (the vendor sent the browser there with a `returnTo`). */
async function logIn(page: Page, email: string) {
  await page.waitForURL(/\/login\?returnTo=/)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Name').fill(NAME)
  await page.getByRole('button', { name: 'Log in' }).click()
}

/** The Chromium walks; call inside a `describe` whose `beforeAll` starts the example and Chromium. */
export function browserWalks(
  running: () => { app: ExampleUnderTest; browser: Browser },
  vendors: readonly DemoVendor[] = DEMO_VENDORS,
): void {
  const viaVendorPage = vendors.filter((v) => v.button)
  it.each(viaVendorPage.map((v) => [v.name, v] as const))(
    '%s: front page, logged out → the vendor → login → back → signed in there (and out)',
    async (_name, vendor) => {
      const { app, browser } = running()
      const origin = app.simulators.origins[vendor.id] as string
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        const dialogs: string[] = []
        page.on('dialog', (d) => {
          dialogs.push(d.message())
          void d.dismiss()
        })
        await page.goto(app.url)
        await page.getByText('You are not signed in').waitFor()
        await page.getByRole('link', { name: vendor.name, exact: true }).click()
        await page.waitForURL(`${origin}/**`)
        await page.getByRole('link', { name: vendor.button, exact: true }).click()
        await logIn(page, EMAIL)
        await page.getByText(`Signed in to ${vendor.name} as ${EMAIL}`).waitFor({ timeout: 15_000 })
        expect(new URL(page.url()).origin).toBe(origin)
        if (vendor.logout) {
          await page.getByRole('link', { name: 'Log out', exact: true }).click()
          await page.waitForLoadState()
          await page.goto(app.url)
          await page.getByText('You are not signed in').waitFor()
        }
        expect(dialogs).toEqual([])
      } finally {
        await context.close()
      }
    },
  )

  if (vendors.some((v) => v.id === 'komo')) {
    it('Komo: the card asks for a user, and after login shows the signed-in contact', async () => {
      const { app, browser } = running()
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        await page.goto(app.url)
        await page.getByRole('link', { name: 'Komo', exact: true }).click()
        await page.waitForURL(`${app.url}/komo`)
        await page.getByRole('button', { name: 'Open card' }).click()
        await page.getByText('Sign in to your app to continue').waitFor({ timeout: 15_000 })
        await page.getByRole('link', { name: 'Log in', exact: true }).click()
        await logIn(page, EMAIL)
        await page.waitForURL(`${app.url}/komo`)
        await page.getByRole('button', { name: 'Open card' }).click()
        await page.getByText(`Signed in to Komo as ${EMAIL}`).waitFor({ timeout: 15_000 })
        expect(await page.locator('[data-komo-card]').getAttribute('data-komo-state')).toBe(
          'signed-in',
        )
      } finally {
        await context.close()
      }
    })
  }
}

/** Every secret the simulators hold (the app's environment), for scanning logs and events. */
export function secretsOf(app: ExampleUnderTest): string[] {
  return Object.entries(app.simulators.env)
    .filter(([name]) => /SECRET|KEY/.test(name))
    .map(([, value]) => value)
}

export { EMAIL, NAME }
