// The teaching tools of #16 in Chromium: the development inspector (`/sso/_inspect`) opened from
// the demo's front page, and a simulator's "What Kustomer received" panel at the end of a real
// walk. Neither page may hold a token that verifies with any secret the demo created: every
// JWT-looking substring of each page is tried against every one of them.
import type { BrowserContext, Page } from 'playwright-core'
import { jwtVerify } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { demoInChromium } from './browser'

// Every secret the demo and its simulators create goes through randomBytes (as in
// security/leaks.test.ts): record each one, as the demo uses it (a string, signed as UTF-8 bytes).
const random = vi.hoisted(() => ({ secrets: [] as string[] }))
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  const randomBytes = ((size: number, callback?: unknown) => {
    if (callback !== undefined)
      return (actual.randomBytes as (...a: unknown[]) => unknown)(size, callback)
    const bytes = actual.randomBytes(size)
    if (size >= 16) random.secrets.push(bytes.toString('base64url'), bytes.toString('hex'))
    return bytes
  }) as typeof actual.randomBytes
  return { ...actual, randomBytes, default: { ...actual, randomBytes } }
})

const EMAIL = 'grace.inspector@example.com'
const NAME = 'Grace Hopper'
/** Every vendor the demo mounts under /sso, as its id. */
const MOUNTED = [
  'komo',
  'kustomer',
  'konnec',
  'comm100',
  'bettermode',
  'zendesk',
  'zendesk-agents',
  'discourse',
  'intercom',
  'featurebase',
  'metabase',
  'canny',
]

/** The JWT-looking substrings of a text (three dot-separated Base64url runs). */
const jwtsIn = (text: string) =>
  [...text.matchAll(/[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]+/g)].map((m) => m[0])

async function verifiesWithADemoSecret(jwt: string): Promise<boolean> {
  for (const secret of random.secrets) {
    try {
      await jwtVerify(jwt, new TextEncoder().encode(secret))
      return true
    } catch {}
  }
  return false
}

/** Every page's JWT-looking substrings: none may verify (and there must be some to try). */
async function expectNoUsableToken(page: Page) {
  const candidates = jwtsIn(await page.content())
  expect(candidates.length).toBeGreaterThan(0)
  for (const jwt of candidates) expect(await verifiesWithADemoSecret(jwt), jwt).toBe(false)
}

async function logIn(page: Page) {
  await page.waitForURL(/\/login(\?|$)/)
  await page.getByLabel('Email').fill(EMAIL)
  await page.getByLabel('Name').fill(NAME)
  await page.getByRole('button', { name: 'Log in' }).click()
}

/** Every URL the context's pages request, to show where the browser went (and did not). */
function requestLog(context: BrowserContext): string[] {
  const urls: string[] = []
  context.on('request', (request) => urls.push(request.url()))
  return urls
}

describe('the teaching pages in Chromium (one demo, every vendor simulated)', () => {
  const running = demoInChromium()

  /** A fresh browser context (no cookies) and page, closed after `walk`, whatever happens. */
  async function inChromium(walk: (page: Page, context: BrowserContext) => Promise<void>) {
    const context = await running.browser.newContext()
    try {
      await walk(await context.newPage(), context)
    } finally {
      await context.close()
    }
  }

  /** Logs in to the demo app on its own login page. */
  async function signIn(page: Page) {
    await page.goto(`${running.demo.url}/login`)
    await logIn(page)
    await page.getByText(`Signed in to the demo app as ${EMAIL}`).waitFor()
  }

  describe('the inspector, opened from the demo front page', () => {
    async function openInspector(page: Page) {
      await page.goto(running.demo.url)
      const link = page.getByRole('link', { name: 'Inspect what each vendor would receive' })
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/sso/_inspect'),
        link.click(),
      ])
      await page.getByRole('heading', { name: 'SSO inspector', level: 1 }).waitFor()
      return response
    }

    /** Each route section as the page shows it: its heading, vendor line and warnings. */
    const sections = (page: Page) =>
      page.locator('section').evaluateAll((all) =>
        all.map((s) => ({
          heading: s.querySelector('h2')?.textContent ?? '',
          line: s.querySelector('p')?.textContent ?? '',
          outcome: s.querySelector('[data-outcome]')?.getAttribute('data-outcome') ?? '',
          pres: [...s.querySelectorAll('pre:not([data-location])')].map((p) => p.textContent ?? ''),
          location: s.querySelector('pre[data-location]')?.textContent ?? null,
          warnings: [...s.querySelectorAll('li')].map((li) => li.textContent ?? ''),
        })),
      )

    it('signed in: every vendor with its full paths, warnings, decoded claims without signatures, the CSP, no script', async () => {
      await inChromium(async (page) => {
        await signIn(page)
        const response = await openInspector(page)
        expect(new URL(page.url()).pathname).toBe('/sso/_inspect')
        expect(response.status()).toBe(200)
        const csp = response.headers()['content-security-policy'] ?? ''
        expect(csp).toContain("default-src 'none'")
        expect(csp).not.toMatch(/script-src/)
        expect(csp).toContain("form-action 'self'")
        expect(csp).toContain("frame-ancestors 'none'")

        // The signed-in user, by id (never the email, in the page's own words).
        const who = (await page.locator('p', { hasText: 'Signed in as user' }).textContent()) ?? ''
        const id = /Signed in as user (\S+)\./.exec(who)?.[1] ?? ''
        expect(id).toMatch(/^u_[0-9a-f]{16}$/)

        // Every mounted vendor, each route as its full path under /sso.
        const shown = await sections(page)
        const vendors = new Set<string>()
        for (const s of shown) {
          const vendor = s.line.split(' · ')[0] ?? ''
          vendors.add(vendor)
          expect(s.heading).toMatch(new RegExp(`^(GET|POST) /sso/${vendor}/[a-z-]+$`))
        }
        expect([...vendors].sort()).toEqual([...MOUNTED].sort())
        const headings = shown.map((s) => s.heading)
        for (const path of [
          'GET /sso/kustomer/login',
          'POST /sso/komo/token',
          'GET /sso/zendesk-agents/login',
          'GET /sso/discourse/logout',
          'POST /sso/metabase/token',
        ]) {
          expect(headings).toContain(path)
        }
        // The same list the JSON answer gives (same session cookie, Accept: application/json).
        const json = (await (
          await page.request.get(`${running.demo.url}/sso/_inspect`, {
            headers: { accept: 'application/json' },
          })
        ).json()) as { routes: { method: string; path: string }[] }
        expect(json.routes.map((r) => `${r.method} ${r.path}`)).toEqual(headings)

        // The demo's simulators are http: the page warns where a token would travel to one.
        const bettermode = shown.find((s) => s.heading === 'GET /sso/bettermode/login')!
        expect(bettermode.outcome).toBe('ok')
        const bettermodeOrigin = running.demo.simulators.bettermode!
        expect(bettermode.warnings).toContain(
          `The destination ${bettermodeOrigin} is http: (a local simulator is fine; a vendor needs https).`,
        )
        // A route that changes state is listed, never run.
        const logout = shown.find((s) => s.heading === 'GET /sso/zendesk/logout')!
        expect(logout.outcome).toBe('skipped')

        // Zendesk's decoded header and claims for this user; the signature is not on the page.
        const zendesk = shown.find((s) => s.heading === 'GET /sso/zendesk/login')!
        expect(zendesk.outcome).toBe('ok')
        const [header, claims] = (zendesk.pres[0] ?? '').split(/\n(?=\{)/).map((j) => JSON.parse(j))
        expect(header).toEqual({ alg: 'HS256', typ: 'JWT' })
        expect(claims).toMatchObject({ email: EMAIL, name: NAME, external_id: id })
        expect(typeof claims.iat).toBe('number')
        expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/)
        expect(bettermode.location).toMatch(/\?jwt=[\w-]+\.[\w-]+\.SIGNATURE-REMOVED$/)
        await expectNoUsableToken(page)

        // No script: the page has none, and its CSP blocks one added to it.
        expect(await page.locator('script').count()).toBe(0)
        const ran = await page.evaluate(
          () =>
            new Promise<{ ran: boolean; violated: string | null }>((resolve) => {
              const state = { ran: false, violated: null as string | null }
              const w = window as unknown as { __inspectorScriptRan?: boolean }
              document.addEventListener('securitypolicyviolation', (e) => {
                state.violated = e.effectiveDirective
              })
              const script = document.createElement('script')
              script.textContent = 'window.__inspectorScriptRan = true'
              document.body.append(script)
              setTimeout(() => resolve({ ...state, ran: w.__inspectorScriptRan === true }), 200)
            }),
        )
        expect(ran).toEqual({ ran: false, violated: 'script-src-elem' })
      })
    })

    it("previews Kustomer's login for a target: the final Location, on the inspector's origin, no request to Kustomer", async () => {
      await inChromium(async (page, context) => {
        await signIn(page)
        await openInspector(page)
        const kustomer = running.demo.simulators.kustomer!
        const sim = running.demo.sims.kustomer!
        const before = sim.events.length
        const urls = requestLog(context)
        // A hostile return target: the page must show it as text, never as markup.
        const referral = '/docs"><script>window.__hostile=1</script><img src=x onerror=alert(1)>'
        const target = `${kustomer}/login?referralUrl=${encodeURIComponent(referral)}`
        const section = page.locator('section', { hasText: 'GET /sso/kustomer/login' })
        await section
          .getByLabel('Preview with the query')
          .fill(`kustomerRedirectUri=${encodeURIComponent(target)}`)
        let dialogs = 0
        page.on('dialog', (d) => {
          dialogs++
          void d.dismiss()
        })
        const [answer] = await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).searchParams.get('preview') !== null),
          section.getByRole('button', { name: 'Preview' }).click(),
        ])
        await page.waitForURL(/\/sso\/_inspect\?preview=kustomer%2Flogin&query=/)
        // What the server sent, byte for byte: the Location as escaped text, no markup from it.
        const raw = await answer.text()
        expect(raw).toMatch(/<pre data-location>http:\/\/[^<]*&amp;externalToken=/)
        expect(raw).not.toMatch(/<script|<img|onerror=/i)
        const previewed = page.locator('section', { hasText: 'GET /sso/kustomer/login' })
        await previewed.locator('[data-outcome="ok"]').waitFor()

        const location = new URL(
          (await previewed.locator('pre[data-location]').textContent()) ?? '',
        )
        expect(`${location.origin}${location.pathname}`).toBe(`${kustomer}/login`)
        expect(location.searchParams.get('referralUrl')).toBe(referral)
        const token = location.searchParams.get('externalToken') ?? ''
        expect(token).toMatch(/^[\w-]+\.[\w-]+\.SIGNATURE-REMOVED$/)
        const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
        expect(Object.keys(claims).sort()).toEqual(['email', 'iat'])
        expect(claims.email).toBe(EMAIL)

        // The browser stayed on the inspector; Kustomer saw nothing.
        expect(new URL(page.url()).origin).toBe(running.demo.url)
        expect(urls.length).toBeGreaterThan(0)
        for (const url of urls) expect(new URL(url).origin, url).toBe(running.demo.url)
        expect(sim.events.length).toBe(before)

        // The hostile value is text: no element, no script, no dialog.
        expect(
          await page.locator('pre[data-location] script, pre[data-location] img').count(),
        ).toBe(0)
        expect(await page.locator('script, img').count()).toBe(0)
        expect(await page.evaluate(() => (window as { __hostile?: number }).__hostile)).toBe(
          undefined,
        )
        expect(dialogs).toBe(0)
        await expectNoUsableToken(page)

        // A hostile preview name runs nothing either, and the page still lists every route.
        const hostile = new URLSearchParams({
          preview: '"><script>window.__hostile=2</script>',
          query: '<img src=x onerror=alert(2)>',
        })
        const hostileAnswer = await page.goto(`${running.demo.url}/sso/_inspect?${hostile}`)
        expect(hostileAnswer?.status()).toBe(200)
        expect(await hostileAnswer?.text()).not.toMatch(/<script|<img|onerror=/i)
        expect(await page.locator('script, img').count()).toBe(0)
        expect(await page.locator('section').count()).toBe((await sections(page)).length)
        expect(await page.locator('h2', { hasText: 'GET /sso/kustomer/login' }).count()).toBe(1)
        expect(dialogs).toBe(0)
      })
    })

    it('logged out, it loads and says nobody is signed in: no route runs, no token on the page', async () => {
      await inChromium(async (page) => {
        await page.goto(running.demo.url)
        await page.getByText('You are not signed in').waitFor()
        const response = await openInspector(page)
        expect(response.status()).toBe(200)
        await page
          .getByText(
            'Nobody is signed in: sign in to the app to see what each vendor would receive.',
          )
          .waitFor()
        const shown = await sections(page)
        expect(new Set(shown.map((s) => s.line.split(' · ')[0]))).toEqual(new Set(MOUNTED))
        for (const s of shown) expect(['login', 'skipped']).toContain(s.outcome)
        expect(shown.filter((s) => s.outcome === 'login').length).toBeGreaterThan(0)
        expect(shown.flatMap((s) => s.pres)).toEqual([])
        expect(jwtsIn(await page.content())).toEqual([])
      })
    })
  })

  describe('"What Kustomer received", at the end of a real walk', () => {
    it('from the front page to Signed in: the panel, every check ✓, no usable token, back to the app', async () => {
      await inChromium(async (page, context) => {
        const urls = requestLog(context)
        await page.goto(running.demo.url)
        await page.getByRole('link', { name: 'Kustomer', exact: true }).click()
        const kustomer = running.demo.simulators.kustomer!
        await page.waitForURL(`${kustomer}/**`)
        await page.getByRole('link', { name: 'Login', exact: true }).click()
        await page.locator('[data-sent-by="kustomer"]').waitFor()
        await logIn(page)
        await page.getByText(`Signed in to Kustomer as ${EMAIL}`).waitFor({ timeout: 10_000 })
        expect(`${new URL(page.url()).origin}${new URL(page.url()).pathname}`).toBe(
          `${kustomer}/login`,
        )

        // The token really arrived (the positive control of the scan below): it verifies.
        const arrived = new URL(page.url()).searchParams.get('externalToken') ?? ''
        expect(await verifiesWithADemoSecret(arrived)).toBe(true)
        expect(urls.some((u) => u.includes(arrived))).toBe(true)

        const panel = page.locator('#received')
        await expect(panel.locator('h2').textContent()).resolves.toBe('What Kustomer received')
        const row = (name: string) => panel.locator(`[data-received="${name}"]`).textContent()
        expect(await row('parameter')).toBe('query parameter externalToken')
        expect(await row('algorithm')).toBe('HS256')
        expect(await row('shape')).toBe('header.payload.<signature removed>')
        expect(await row('lifetime')).toMatch(/no exp claim/)
        const claims = Object.fromEntries(
          await panel
            .locator('tr[data-claim]')
            .evaluateAll((rows) =>
              rows.map((r) => [
                r.getAttribute('data-claim'),
                r.querySelectorAll('td')[1]?.textContent,
              ]),
            ),
        )
        expect(Object.keys(claims).sort()).toEqual(['email', 'iat'])
        expect(claims.email).toBe(JSON.stringify(EMAIL))
        const sent = JSON.parse(Buffer.from(arrived.split('.')[1]!, 'base64url').toString())
        expect(claims.iat).toMatch(new RegExp(`^${sent.iat} \\(\\d{4}-\\d\\d-\\d\\dT`))
        const checks = await panel.locator('li[data-check]').evaluateAll((items) =>
          items.map((li) => ({
            name: li.getAttribute('data-check'),
            status: li.getAttribute('data-status'),
            mark: li.querySelector('.mark')?.textContent,
          })),
        )
        expect(checks.map((c) => c.name)).toContain('signature')
        expect(checks.length).toBeGreaterThanOrEqual(3)
        // Every check passed (✓), but for optional claims the token does not carry (– absent).
        for (const check of checks) {
          const name = String(check.name)
          if (check.status === 'absent') {
            expect(check.mark, name).toBe('–')
            expect(Object.keys(claims), name).not.toContain(name)
          } else expect(check, name).toMatchObject({ status: 'ok', mark: '✓' })
        }
        expect(checks.filter((c) => c.status === 'ok').length).toBeGreaterThanOrEqual(3)

        // The page's own HTML holds the token's header and payload only in the URL we came by;
        // its signature appears nowhere, and no JWT-looking substring of it verifies.
        expect(await page.content()).not.toContain(arrived.split('.')[2])
        for (const jwt of jwtsIn(await page.content())) {
          expect(await verifiesWithADemoSecret(jwt), jwt).toBe(false)
        }

        await panel.getByRole('link', { name: 'Back to the app' }).click()
        await page.waitForURL(`${running.demo.url}/`)
        await page.getByText(`Signed in to the demo app as ${EMAIL}`).waitFor()
      })
    })
  })
})
