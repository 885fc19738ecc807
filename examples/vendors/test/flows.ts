// The tests the Next.js and Hono examples share: every vendor of DEMO_VENDORS walked over real
// HTTP (a cookie-keeping client that follows redirects as a browser does) and in Chromium, from the
// app's front page, logged out, to the simulator's "Signed in", and out again where the vendor
// has a logout. A vendor added to DEMO_VENDORS is walked by both examples with no change here.
import type { Browser, Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { Client, inputValue, linkHref } from '../../express/test/client'
import { DEMO_VENDORS, type DemoVendor } from '../src/index'
import { DEMO_AGENTS, DEMO_IDS, type RunningSimulators } from '../src/simulate'

/** The example under test: where it listens, and its simulators. */
export interface ExampleUnderTest {
  readonly url: string
  readonly simulators: RunningSimulators
}

const NAME = 'Ada Lovelace'
// Comm100 signs in only the agents its admin created; the others take anyone.
const EMAIL = DEMO_AGENTS[0] as string
/** Vendors whose page sends a logged-out person to the app: by a button, or by itself. */
const viaVendorPage = (vendors: readonly DemoVendor[]) =>
  vendors.filter((v) => v.button || v.redirects)
const VIA_VENDOR_PAGE = viaVendorPage(DEMO_VENDORS)
const WITH_LOGOUT = DEMO_VENDORS.filter((v) => v.logout)
// A token in a URL: a JWT, or one of the vendors' own token parameters.
const TOKEN_IN_URL = /eyJ[\w-]+\.[\w-]+\.[\w-]+|[?&](externalToken|jwt|refresh-token|ssoToken)=/

/**
 * How each vendor's own service checks a token from its SDK-token route, the way its SDK hands it
 * over: resolves to the email the vendor then knows the person by (or rejects).
 */
export const SDK_TOKEN_CHECKS: Readonly<
  Record<string, (simulator: string, token: string) => Promise<string | undefined>>
> = {
  komo: async (simulator, token) => {
    const res = await postJson(`${simulator}/api/verify`, { token })
    return ((await res.json()) as { contact?: { email?: string } }).contact?.email
  },
  // The Messenger's boot, as the widget sends it (the enforced workspace accepts a valid JWT only).
  intercom: async (simulator, token) => {
    const res = await postJson(`${simulator}/messenger/web/ping`, {
      app_id: DEMO_IDS.intercom,
      intercom_user_jwt: token,
    })
    return ((await res.json()) as { user?: { email?: string } }).user?.email
  },
  // The widget page the SDK frames, with the token as `ssoToken` (verified server-side).
  canny: async (simulator, token) => {
    const query = new URLSearchParams({
      boardToken: `board-${DEMO_IDS.canny}`,
      basePath: '/feedback',
      ssoToken: token,
    })
    const res = await fetch(`${simulator}/widget?${query}`)
    return /Signed in to Canny as ([^<\s]+)/.exec(await res.text())?.[1]
  },
  // The SDK's boot with `featurebaseJwt`.
  featurebase: async (simulator, token) => {
    const res = await postJson(`${simulator}/api/v1/sdk/boot`, {
      appId: DEMO_IDS.featurebase,
      featurebaseJwt: token,
    })
    return ((await res.json()) as { user?: { email?: string } }).user?.email
  },
  // The embedding SDK's exchange (`/auth/sso?jwt=…&token=true`), then the session's user.
  metabase: async (simulator, token) => {
    const res = await fetch(
      `${simulator}/auth/sso?${new URLSearchParams({ jwt: token, token: 'true' })}`,
    )
    if (!res.ok) return undefined
    const { id } = (await res.json()) as { id: string }
    const me = await fetch(`${simulator}/api/user/current`, {
      headers: { 'x-metabase-session': id },
    })
    return ((await me.json()) as { email?: string }).email
  },
}

const postJson = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

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
 * Front page → the vendor's link → its login button (or the vendor's own redirect) → the app's
 * login page → the login form → back through `/sso/<vendor>/login` → (Zendesk: the form page,
 * posted) → the vendor's page.
 */
async function walk(app: ExampleUnderTest, vendor: DemoVendor, email = EMAIL) {
  const client = new Client()
  const origin = app.simulators.origins[vendor.id] as string
  const home = await client.go(app.url)
  expect(home.text).toContain('You are not signed in')
  const start = await client.go(linkHref(home.text, vendor.name, app.url))
  let login = start
  if (vendor.redirects) {
    // The vendor's page itself sent the browser on, through the vendor's SSO route of the app.
    expect(client.visited[1]).toBe(linkHref(home.text, vendor.name, app.url))
    expect(new URL(client.visited[1] as string).origin).toBe(origin)
  } else {
    expect(new URL(start.url).origin).toBe(origin)
    login = await client.go(linkHref(start.text, vendor.button as string, start.url))
  }
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

/**
 * The SDK-token routes over real HTTP (part of `httpFlows`; examples/fastify calls it alone): 401
 * logged out, 403 cross-site or from the vendor's origin, 405 on GET, then `{ <field>, expiresAt }`
 * whose token the vendor's simulator takes, and refuses once altered.
 */
export function sdkTokenRoutes(
  app: () => ExampleUnderTest,
  vendors: readonly DemoVendor[] = DEMO_VENDORS,
): void {
  it.each(vendors.filter((v) => v.tokenField).map((v) => [v.name, v] as const))(
    '%s: POST /sso/<id>/token answers the signed-in session only, and the vendor accepts the token',
    async (_name, vendor) => {
      const { url, simulators } = app()
      const route = `${url}/sso/${vendor.id}/token`
      const check = SDK_TOKEN_CHECKS[vendor.id]
      expect(check, `a check in SDK_TOKEN_CHECKS for ${vendor.id}`).toBeDefined()
      const sameOrigin = { origin: url, 'sec-fetch-site': 'same-origin' }
      const client = new Client()
      const loggedOut = await client.request(route, { method: 'POST', headers: sameOrigin })
      expect(loggedOut.status).toBe(401)
      expect(await loggedOut.json()).toMatchObject({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } })
      const login = await client.go(`${url}/login?returnTo=/`)
      const { action, fields } = formOf(login.text, login.url)
      await client.submit(action, { ...fields, email: EMAIL, name: NAME })
      for (const headers of <Record<string, string>[]>[
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        { origin: simulators.origins[vendor.id] as string },
      ]) {
        const refused = await client.request(route, { method: 'POST', headers })
        expect(refused.status).toBe(403)
        expect(await refused.text()).not.toMatch(/eyJ/)
      }
      expect((await client.request(route)).status).toBe(405)
      const response = await client.request(route, { method: 'POST', headers: sameOrigin })
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toContain('no-store')
      const body = (await response.json()) as Record<string, unknown>
      expect(Object.keys(body).sort()).toEqual(['expiresAt', vendor.tokenField].sort())
      const token = body[vendor.tokenField as string] as string
      expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/)
      expect(body.expiresAt).toBeGreaterThan(Date.now() / 1000)
      expect(await check?.(simulators.origins[vendor.id] as string, token)).toBe(EMAIL)
      // A token altered by one character is refused by the vendor.
      const forged = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`
      expect(await check?.(simulators.origins[vendor.id] as string, forged)).toBeUndefined()
    },
  )
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

  sdkTokenRoutes(app)

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
  it.each(viaVendorPage(vendors).map((v) => [v.name, v] as const))(
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
        if (!vendor.redirects) {
          await page.waitForURL(`${origin}/**`)
          await page.getByRole('link', { name: vendor.button, exact: true }).click()
        }
        // (A redirecting vendor's page sends the browser on by itself, through the app's route.)
        await page.waitForURL(/\/login\?returnTo=/)
        expect(new URL(page.url()).searchParams.get('returnTo')).toMatch(
          new RegExp(`^/sso/${vendor.id}/login(\\?|$)`),
        )
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

  // The SDK-token routes as a page of the app calls them, from its own origin in Chromium
  // (Komo's is walked through its card below): 401 logged out, then a token the vendor accepts.
  const sdkVendors = vendors.filter((v) => v.tokenField && v.id !== 'komo')
  it.each(sdkVendors.map((v) => [v.name, v] as const))(
    "%s: the app's page asks POST /sso/<id>/token, logged out then in, and the vendor takes the token",
    async (_name, vendor) => {
      const { app, browser } = running()
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        const ask = () =>
          page.evaluate(async (path) => {
            const res = await fetch(path, { method: 'POST', credentials: 'same-origin' })
            return { status: res.status, body: (await res.json()) as Record<string, unknown> }
          }, `/sso/${vendor.id}/token`)
        await page.goto(app.url)
        await page.getByText('You are not signed in').waitFor()
        const loggedOut = await ask()
        expect(loggedOut.status).toBe(401)
        expect(loggedOut.body).toMatchObject({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } })
        await page.goto(`${app.url}/login?returnTo=/`)
        await logIn(page, EMAIL)
        await page.waitForURL(`${app.url}/`)
        await page.getByRole('button', { name: 'Log out' }).waitFor()
        const answer = await ask()
        expect(answer.status).toBe(200)
        const token = answer.body[vendor.tokenField as string] as string
        expect(
          await SDK_TOKEN_CHECKS[vendor.id]?.(app.simulators.origins[vendor.id] as string, token),
        ).toBe(EMAIL)
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
