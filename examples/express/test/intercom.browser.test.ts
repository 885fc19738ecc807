// Intercom walked in Chromium from the demo's front page: the /intercom page boots the Messenger
// stand-in (served by the simulator) with the token from POST /sso/intercom/token, under the
// page's real CSP. Every walk listens for CSP violations and dialogs.
import type { BrowserContext, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { userIdFor } from '../src/app'
import { demoInChromium } from './browser'

interface Watch {
  violations: string[]
  cspConsole: string[]
  dialogs: string[]
  /** Boots the page sent the Messenger simulator: their JSON bodies. */
  pings: Record<string, unknown>[]
}

async function watch(
  context: BrowserContext,
  simulator: string,
): Promise<{ page: Page; w: Watch }> {
  const w: Watch = { violations: [], cspConsole: [], dialogs: [], pings: [] }
  await context.exposeBinding('__reportViolation', (_source, v: string) => {
    w.violations.push(v)
  })
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      ;(window as unknown as Record<string, (v: string) => void>).__reportViolation?.(
        `${e.violatedDirective} ${e.blockedURI}`,
      )
    })
  })
  const page = await context.newPage()
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) w.cspConsole.push(msg.text())
  })
  page.on('dialog', (dialog) => {
    w.dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url() === `${simulator}/messenger/web/ping`) {
      w.pings.push(JSON.parse(request.postData() ?? '{}'))
    }
  })
  return { page, w }
}

function expectClean(w: Watch) {
  expect(w.violations, 'securitypolicyviolation events').toEqual([])
  expect(w.cspConsole, 'CSP console messages').toEqual([])
  expect(w.dialogs, 'dialogs').toEqual([])
}

const panel = '#intercom-container'

describe('Intercom from the demo front page, in Chromium', () => {
  const running = demoInChromium()
  const simulator = () => running.demo.simulators.intercom as string

  /** The app's login form, filled in and sent; lands wherever returnTo says. */
  async function logIn(page: Page, email: string, name: string) {
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Name').fill(name)
    await page.getByRole('button', { name: 'Log in' }).click()
  }

  it('logged out: no boot; logged in: the Messenger shows the user; logout shuts it down', async () => {
    const email = 'messenger.user@example.com'
    const name = 'Messenger User'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, simulator())
      await page.goto(running.demo.url)
      await page.getByText('You are not signed in').waitFor()
      await page.getByRole('link', { name: 'Intercom', exact: true }).click()
      await page.waitForURL(`${running.demo.url}/intercom`)

      // Logged out: the token endpoint says 401, the page does not boot the Messenger.
      await page.locator('[data-intercom-demo="logged-out"]').waitFor()
      await page.waitForFunction(
        () =>
          (window as { Intercom?: { __intercomSimulator?: boolean } }).Intercom
            ?.__intercomSimulator === true,
      )
      expect(w.pings).toEqual([])
      expect(await page.locator('[data-intercom-user]').count()).toBe(0)
      // A boot without a JWT (what a page that put user_id in its settings would do) is refused.
      await page.evaluate(() =>
        (window as unknown as { Intercom: (...a: unknown[]) => void }).Intercom('boot', {
          app_id: 'demo-app',
          user_id: 'someone-else',
        }),
      )
      await page
        .locator(`${panel}[data-intercom-state="refused"][data-intercom-code="missing_jwt"]`)
        .waitFor()
      expect(await page.locator('[data-intercom-user]').count()).toBe(0)

      // The app's login, back to /intercom: booted with the token, the panel shows the user.
      await page.getByRole('link', { name: 'Log in' }).click()
      await page.waitForURL(/\/login\?returnTo=%2Fintercom$/)
      await logIn(page, email, name)
      await page.waitForURL(`${running.demo.url}/intercom`)
      const id = userIdFor(email)
      await page
        .locator(`${panel}[data-intercom-state="signed-in"][data-intercom-user="${id}"]`)
        .waitFor()
      expect(await page.locator(panel).getAttribute('data-intercom-email')).toBe(email)
      expect(await page.locator('[data-intercom-status]').textContent()).toBe(
        `Signed in to Intercom as ${name}`,
      )
      await page.locator('[data-intercom-demo="booted"]').waitFor()
      // The boot carried the app id and the JWT, and no unsigned identity.
      expect(w.pings).toHaveLength(2)
      expect(Object.keys(w.pings[1] ?? {}).sort()).toEqual(['app_id', 'intercom_user_jwt'])
      expect(w.pings[1]?.app_id).toBe('demo-app')
      expect(running.demo.sims.intercom?.users.get(id)).toMatchObject({
        email,
        name,
        verified: true,
      })
      // The Messenger links to what Intercom received; the tab it opens shows the panel.
      const received = page.locator('[data-intercom-received]')
      expect(await received.textContent()).toBe('What Intercom received')
      expect(new URL((await received.getAttribute('href')) ?? '').origin).toBe(simulator())
      const [tab] = await Promise.all([context.waitForEvent('page'), received.click()])
      await tab.locator('#received [data-check="signature"][data-status="ok"]').waitFor()
      expect(await tab.locator('#received-title').textContent()).toBe('What Intercom received')
      expect(await tab.locator('#back-to-app').getAttribute('href')).toBe(`${running.demo.url}/`)
      await tab.close()

      // Log out: the page shuts the Messenger down; nobody is shown.
      await page.getByRole('button', { name: 'Log out' }).click()
      await page.locator('[data-intercom-demo="shut-down"]').waitFor()
      expect(await page.locator(panel).getAttribute('data-intercom-state')).toBe('shutdown')
      expect(await page.locator('[data-intercom-user]').count()).toBe(0)
      expect(
        await page.evaluate(
          () => (window as unknown as { Intercom: { booted: boolean } }).Intercom.booted,
        ),
      ).toBe(false)
      // And the session is gone: a reload does not boot.
      await page.reload()
      await page.locator('[data-intercom-demo="logged-out"]').waitFor()
      expect(await page.locator('[data-intercom-user]').count()).toBe(0)
      expectClean(w)
    } finally {
      await context.close()
    }
  })

  it('a user switch shows the next user, never the previous one', async () => {
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, simulator())
      await page.goto(`${running.demo.url}/login?returnTo=%2Fintercom`)
      await logIn(page, 'first.user@example.com', 'First User')
      await page
        .locator(`${panel}[data-intercom-user="${userIdFor('first.user@example.com')}"]`)
        .waitFor()
      // Someone else logs in in the same browser (a second tab), then this page is reloaded.
      const other = await context.newPage()
      await other.goto(`${running.demo.url}/login?returnTo=%2F`)
      await logIn(other, 'second.user@example.com', 'Second User')
      await other.waitForURL(`${running.demo.url}/`)
      await page.reload()
      const second = userIdFor('second.user@example.com')
      await page
        .locator(`${panel}[data-intercom-state="signed-in"][data-intercom-user="${second}"]`)
        .waitFor()
      expect(await page.locator(panel).getAttribute('data-intercom-email')).toBe(
        'second.user@example.com',
      )
      expect(await page.locator(panel).textContent()).not.toContain('first.user@example.com')
      expectClean(w)
    } finally {
      await context.close()
    }
  })

  it('shows a hostile name as text: no script runs, the CSP is never tested', async () => {
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, simulator())
      const name = '<img src=x onerror="alert(1)">'
      await page.goto(`${running.demo.url}/login?returnTo=%2Fintercom`)
      await logIn(page, 'hostile.name@example.com', name)
      await page.locator(`${panel}[data-intercom-state="signed-in"]`).waitFor()
      expect(await page.locator('[data-intercom-status]').textContent()).toBe(
        `Signed in to Intercom as ${name}`,
      )
      expect(await page.locator(`${panel} img`).count()).toBe(0)
      expectClean(w)
    } finally {
      await context.close()
    }
  })
})
