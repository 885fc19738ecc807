// Featurebase walked in Chromium from the demo's front page: the portal's Log in round trip
// (logged out → the app's login → back on the portal page, signed in), and the demo's SDK page,
// where the simulator's SDK boots with the token from POST /sso/featurebase/token under the
// page's real CSP (every walk fails on a CSP violation or a dialog).
import type { BrowserContext, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { demoInChromium } from './browser'

const NAME = 'Grace Hopper'

interface Watch {
  violations: string[]
  cspConsole: string[]
  dialogs: string[]
  /** POSTs to the token endpoint, with the headers the browser sent. */
  tokenPosts: Record<string, string>[]
}

async function watch(context: BrowserContext, app: string): Promise<{ page: Page; w: Watch }> {
  const w: Watch = { violations: [], cspConsole: [], dialogs: [], tokenPosts: [] }
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
    if (/Content Security Policy/i.test(msg.text())) w.cspConsole.push(msg.text())
  })
  page.on('dialog', (dialog) => {
    w.dialogs.push(`${dialog.type()}: ${dialog.message()}`)
    void dialog.dismiss()
  })
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url() === `${app}/sso/featurebase/token`) {
      void request.allHeaders().then((h) => w.tokenPosts.push(h))
    }
  })
  return { page, w }
}

function expectClean(w: Watch) {
  expect(w.violations, 'securitypolicyviolation events').toEqual([])
  expect(w.cspConsole, 'CSP console messages').toEqual([])
  expect(w.dialogs, 'dialogs').toEqual([])
}

async function logIn(page: Page, email: string) {
  await page.waitForURL(/\/login\?returnTo=/)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Name').fill(NAME)
  await page.getByRole('button', { name: 'Log in' }).click()
}

describe('Featurebase from the demo front page, in Chromium', () => {
  const running = demoInChromium()
  const portal = () => running.demo.simulators.featurebase as string

  it('portal: logged out, Log in → the app login → back on the portal, signed in to Featurebase', async () => {
    const email = 'featurebase.user@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, running.demo.url)
      await page.goto(running.demo.url)
      await page.getByText('You are not signed in').waitFor()
      await page.getByRole('link', { name: 'Featurebase', exact: true }).click()
      await page.waitForURL(`${portal()}/`)
      await page.getByRole('link', { name: 'Log in', exact: true }).click()
      await logIn(page, email)
      await page.getByText(`Signed in to Featurebase as ${email}`).waitFor({ timeout: 10_000 })
      expect(page.url()).toBe(`${portal()}/`)
      expect(await page.locator('main').getAttribute('data-state')).toBe('signed-in')
      expect(await page.locator('[data-name]').textContent()).toBe(NAME)
      expectClean(w)
    } finally {
      await context.close()
    }
  })

  it('SDK page: anonymous when logged out; after login the SDK boots with the app token and shows the user', async () => {
    const email = 'featurebase.sdk@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, running.demo.url)
      await page.goto(running.demo.url)
      await page.getByRole('link', { name: 'Featurebase widget', exact: true }).click()
      await page.waitForURL(`${running.demo.url}/featurebase`)
      const widget = page.locator('[data-featurebase-widget]')
      await page.waitForFunction(
        () =>
          document
            .querySelector('[data-featurebase-widget]')
            ?.getAttribute('data-featurebase-state') === 'anonymous',
      )
      expect(await widget.textContent()).toBe('Browsing Featurebase anonymously')

      await page.getByRole('link', { name: 'Log in', exact: true }).click()
      await logIn(page, email)
      await page.waitForURL(`${running.demo.url}/featurebase`)
      await page.getByText(`Signed in to Featurebase as ${email} (${NAME})`).waitFor({
        timeout: 10_000,
      })
      expect(await widget.getAttribute('data-featurebase-state')).toBe('signed-in')
      expect(await widget.getAttribute('data-featurebase-email')).toBe(email)
      // The browser asked the app itself for the token, same-origin.
      expect(w.tokenPosts.length).toBeGreaterThanOrEqual(2)
      for (const headers of w.tokenPosts) expect(headers['sec-fetch-site']).toBe('same-origin')
      expect(running.demo.sims.featurebase?.events.at(-1)).toMatchObject({
        type: 'signed-in',
        email,
        detail: 'sdk: created',
      })
      // The SDK is the simulator's, loaded by the page's own script; no inline script ran.
      expect(
        await page.evaluate(() => typeof (window as { Featurebase?: unknown }).Featurebase),
      ).toBe('function')
      expectClean(w)
    } finally {
      await context.close()
    }
  })

  it('SDK page: a boot script changed to run inline is blocked by the page CSP', async () => {
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, running.demo.url)
      await page.goto(`${running.demo.url}/featurebase`)
      await page.waitForFunction(
        () =>
          document
            .querySelector('[data-featurebase-widget]')
            ?.getAttribute('data-featurebase-state') === 'anonymous',
      )
      await page.evaluate(() => {
        const s = document.createElement('script')
        s.textContent = 'window.__inlineRan = true'
        document.body.appendChild(s)
      })
      await expect.poll(() => w.violations.length).toBeGreaterThan(0)
      expect(await page.evaluate(() => (window as { __inlineRan?: boolean }).__inlineRan)).toBe(
        undefined,
      )
      expect(w.violations[0]).toMatch(/^script-src/)
    } finally {
      await context.close()
    }
  })
})
