// Canny walked in Chromium from the demo's front page: the hosted board's SSO redirect (logged out
// → the app's login → back → Canny's /api/redirects/sso → the board says signed in), and the
// widget page, whose one script (under the page's real CSP) asks POST /sso/canny/token for the
// token and hands it to the simulator's widget SDK. Every walk fails on a CSP violation.
import type { BrowserContext, Page, Request } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { userIdFor } from '../src/app'
import { demoInChromium } from './browser'

const NAME = 'Grace Hopper'

/** A page that records CSP violations (any document) and every request URL. */
async function watched(context: BrowserContext) {
  const violations: string[] = []
  const requests: Request[] = []
  await context.exposeBinding('__reportViolation', (_source, v: string) => {
    violations.push(v)
  })
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = window as unknown as Record<string, (v: unknown) => void>
      report.__reportViolation?.(
        `${e.violatedDirective} ${e.blockedURI} on ${document.location.href}`,
      )
    })
  })
  const page = await context.newPage()
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text())
  })
  page.on('request', (request) => requests.push(request))
  return { page, violations, requests }
}

async function logIn(page: Page, email: string) {
  await page.waitForURL(/\/login\?returnTo=/)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Name').fill(NAME)
  await page.getByRole('button', { name: 'Log in' }).click()
}

describe('a person walks Canny in the demo, in Chromium', () => {
  const running = demoInChromium()
  const canny = () => running.demo.simulators.canny as string

  it('the board: from the front page, logged out, through Canny’s SSO redirect to "Signed in"', async () => {
    const email = 'canny.board@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, violations, requests } = await watched(context)
      await page.goto(running.demo.url)
      await page.getByText('You are not signed in').waitFor()
      await page.getByRole('link', { name: 'Canny', exact: true }).click()
      // The board sent us to the app's SSO page with companyID and redirect; logged out, to login.
      await logIn(page, email)
      await page.getByText(`Signed in to Canny as ${email}`).waitFor({ timeout: 10_000 })
      expect(page.url()).toBe(`${canny()}/`)
      expect(await page.locator('main').getAttribute('data-state')).toBe('signed-in')
      const withToken = requests.map((r) => r.url()).filter((u) => /ssoToken=/.test(u))
      expect(withToken).toHaveLength(1)
      expect(
        (withToken[0] as string).startsWith(
          `${canny()}/api/redirects/sso?companyID=demo&ssoToken=eyJ`,
        ),
      ).toBe(true)
      expect(violations).toEqual([])
    } finally {
      await context.close()
    }
  })

  it('the widget: anonymous when logged out, the signed-in user after login, anonymous again after logout', async () => {
    const email = 'canny.widget@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, violations, requests } = await watched(context)
      await page.goto(running.demo.url)
      await page.getByRole('link', { name: 'Canny widget', exact: true }).click()
      await page.waitForURL(`${running.demo.url}/canny`)
      const widget = page.locator('[data-canny]')
      await page.waitForSelector('[data-canny][data-canny-state="anonymous"]', { timeout: 10_000 })
      const board = page.frameLocator('[data-canny] iframe')
      await board.getByText('Log in to post and vote.').waitFor()

      await page.getByRole('link', { name: 'Log in', exact: true }).click()
      await logIn(page, email)
      await page.waitForURL(`${running.demo.url}/canny`)
      await page.waitForSelector('[data-canny][data-canny-state="signed-in"]', { timeout: 10_000 })
      expect(await widget.getAttribute('data-canny-user')).toBe(userIdFor(email))
      await board.getByText(`Signed in to Canny as ${email}`).waitFor()
      expect(await board.locator('main').getAttribute('data-email')).toBe(email)
      // The token came from the app's POST route and went only to the simulator's widget.
      const posts = requests.filter(
        (r) => r.method() === 'POST' && r.url().endsWith('/sso/canny/token'),
      )
      expect(posts.length).toBeGreaterThanOrEqual(1)
      const withToken = requests.map((r) => r.url()).filter((u) => /eyJ/.test(u))
      expect(withToken.length).toBeGreaterThanOrEqual(1)
      for (const url of withToken) expect(url.startsWith(`${canny()}/widget?`)).toBe(true)
      expect(running.demo.sims.canny?.events.at(-1)).toMatchObject({
        type: 'signed-in',
        email,
        detail: 'widget',
      })

      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(`${running.demo.url}/`)
      await page.goto(`${running.demo.url}/canny`)
      await page.waitForSelector('[data-canny][data-canny-state="anonymous"]', { timeout: 10_000 })
      expect(await widget.getAttribute('data-canny-user')).toBeNull()
      expect(violations).toEqual([])
    } finally {
      await context.close()
    }
  })
})
