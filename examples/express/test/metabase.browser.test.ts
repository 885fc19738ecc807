// Metabase walked in Chromium from the demo's front page: the full app's round trip through the
// simulator's /auth/sso, and the SDK page, whose stand-in script asks the page's
// fetchRequestToken for a JWT from POST /sso/metabase/token under the page's real CSP (any
// violation, console error or dialog fails the walk).
import type { BrowserContext, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { demoInChromium } from './browser'

interface Watch {
  violations: string[]
  errors: string[]
  dialogs: string[]
  /** Every request the page made: method and URL. */
  requests: string[]
  /** Every answer of 400 or more: status, method and URL (the browser's favicon request aside). */
  failed: string[]
}

async function watch(context: BrowserContext): Promise<{ page: Page; w: Watch }> {
  const w: Watch = { violations: [], errors: [], dialogs: [], requests: [], failed: [] }
  await context.exposeBinding('__reportViolation', (_source, v: string) => {
    w.violations.push(v)
  })
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as Record<string, (v: string) => void>).__reportViolation
      report?.(`${e.violatedDirective} ${e.blockedURI} on ${document.location.href}`)
    })
  })
  const page = await context.newPage()
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) w.violations.push(msg.text())
    // A failed load is also an answer below, where it is judged by its URL.
    else if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text()))
      w.errors.push(msg.text())
  })
  page.on('pageerror', (err) => w.errors.push(String(err)))
  page.on('dialog', (dialog) => {
    w.dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on('request', (r) => w.requests.push(`${r.method()} ${r.url()}`))
  page.on('response', (r) => {
    const url = new URL(r.url())
    if (r.status() >= 400 && url.pathname !== '/favicon.ico')
      w.failed.push(`${r.status()} ${r.request().method()} ${url.origin}${url.pathname}`)
  })
  return { page, w }
}

/** No CSP violation, console error or dialog; no failed answer but the `expected` ones. */
function expectClean(w: Watch, expected: string[] = []) {
  expect(w.violations, 'CSP violations').toEqual([])
  expect(w.errors, 'console errors').toEqual([])
  expect(w.dialogs, 'dialogs').toEqual([])
  expect(w.failed, 'failed answers').toEqual(expected)
}

describe('Metabase from the demo front page, in Chromium', () => {
  const running = demoInChromium()
  const metabase = () => running.demo.simulators.metabase as string

  async function logIn(page: Page, email: string, name: string) {
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Name').fill(name)
    await page.getByRole('button', { name: 'Log in' }).click()
  }

  it('the full app: logged out → dashboard → /auth/sso → app login → back → "Signed in to Metabase"', async () => {
    const email = 'metabase.user@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context)
      await page.goto(running.demo.url)
      await page.getByText('You are not signed in').waitFor()
      await page.getByRole('link', { name: 'Metabase', exact: true }).click()
      await page.waitForURL(/\/login\?returnTo=/)
      expect(new URL(page.url()).searchParams.get('returnTo')).toBe(
        '/sso/metabase/login?return_to=%2Fdashboard%2F1',
      )
      await logIn(page, email, 'Ada Lovelace')
      await page.waitForURL(`${metabase()}/dashboard/1`)
      await expect
        .poll(() => page.locator('h1').textContent())
        .toBe(`Signed in to Metabase as ${email}`)
      expect(await page.locator('main').getAttribute('data-state')).toBe('signed-in')
      expect(await page.locator('[data-groups] li').allTextContents()).toEqual(['All Users'])
      // The walk went through the simulator's /auth/sso twice: without, then with the token.
      const sso = w.requests.filter((r) => r.startsWith(`GET ${metabase()}/auth/sso?`))
      expect(sso).toHaveLength(2)
      expect(sso[0]).toBe(`GET ${metabase()}/auth/sso?return_to=%2Fdashboard%2F1`)
      expect(sso[1]).toMatch(
        /\/auth\/sso\?jwt=eyJ[\w-]+\.[\w-]+\.[\w-]+&return_to=%2Fdashboard%2F1$/,
      )
      expect(w.requests.filter((r) => /eyJ/.test(r))).toEqual([sso[1]])
      expectClean(w)
    } finally {
      await context.close()
    }
  })

  it('the SDK page: logged out asks to sign in; after login the stand-in shows the signed-in user', async () => {
    const email = 'sdk.user@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context)
      await page.goto(running.demo.url)
      await page.getByRole('link', { name: 'Metabase SDK', exact: true }).click()
      await page.waitForURL(`${running.demo.url}/metabase`)
      const panel = page.locator('[data-metabase-dashboard]')
      await expect.poll(() => panel.getAttribute('data-metabase-state')).toBe('error')
      expect(await panel.getAttribute('data-metabase-code')).toBe('ERR_SSO_UNAUTHENTICATED')
      expect(await panel.textContent()).toContain('Sign in to your app')
      // Logged out, the one failure is the page's token request, answered 401.
      const refused = [`401 POST ${running.demo.url}/sso/metabase/token`]
      expectClean(w, refused)

      await page.getByRole('link', { name: 'Log in' }).first().click()
      await page.waitForURL(/\/login\?returnTo=%2Fmetabase/)
      await logIn(page, email, 'Grace Hopper')
      await page.waitForURL(`${running.demo.url}/metabase`)
      await expect.poll(() => panel.getAttribute('data-metabase-state')).toBe('signed-in')
      expect(await panel.getAttribute('data-metabase-email')).toBe(email)
      expect(await panel.textContent()).toContain(`Signed in to Metabase as ${email}`)
      // The simulator verified the token and made the session: its own record, not the page's.
      expect(running.demo.sims.metabase?.events.at(-1)).toMatchObject({
        type: 'signed-in',
        email,
      })
      expect(running.demo.sims.metabase?.users.find((u) => u.email === email)).toMatchObject({
        firstName: 'Grace',
        lastName: 'Hopper',
      })
      // The token came from the app's POST, and went only to the instance's exchange.
      const posts = w.requests.filter((r) => r === `POST ${running.demo.url}/sso/metabase/token`)
      expect(posts.length).toBeGreaterThanOrEqual(2)
      const carried = w.requests.filter((r) => /eyJ/.test(r))
      expect(carried).toHaveLength(1)
      expect(carried[0]).toMatch(
        new RegExp(`^GET ${metabase()}/auth/sso\\?jwt=eyJ[^&]+&token=true$`),
      )
      expectClean(w, refused)
    } finally {
      await context.close()
    }
  })
})
