import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../../express/test/browser'
import { type RunningExample, startExample } from '../start'

describe('examples/react-komo in Chromium', () => {
  let example: RunningExample
  let browser: Browser
  let appUrl: string
  beforeAll(async () => {
    example = await startExample()
    appUrl = example.appUrl
    browser = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await example?.close()
  })

  it('a person logs in, clicks the Komo card and sees "Signed in to Komo as <email>"', async () => {
    const email = 'react.user@example.com'
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(appUrl)
      await page.getByRole('button', { name: 'Open card' }).click()
      await page.getByText('Sign in to your app to continue').waitFor({ timeout: 15_000 })
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Name').fill('React User')
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByText(`Logged in as React User`).waitFor({ timeout: 15_000 })
      await page.getByRole('button', { name: 'Open card' }).click()
      await page.getByText(`Signed in to Komo as ${email}`).waitFor({ timeout: 15_000 })
      expect(await page.locator('[data-komo-card]').getAttribute('data-komo-state')).toBe(
        'signed-in',
      )
      expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0)
      // The card links to what Komo received; the tab it opens shows the panel.
      const received = page.locator('[data-komo-received]')
      expect(await received.textContent()).toBe('What Komo received')
      expect(new URL((await received.getAttribute('href')) ?? '').origin).toBe(
        example.demo.simulators.komo,
      )
      const [tab] = await Promise.all([context.waitForEvent('page'), received.click()])
      await tab.locator('#received [data-check="signature"][data-status="ok"]').waitFor()
      expect(await tab.locator('#received-title').textContent()).toBe('What Komo received')
      expect(await tab.locator('#back-to-app').getAttribute('href')).toBe(`${appUrl}/`)
      await tab.close()
      // Logging out makes the provider call komoEmbed.forgetUser(): the card is reset.
      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForFunction(
        () =>
          document.querySelector('[data-komo-card]')?.getAttribute('data-komo-state') !==
          'signed-in',
      )
      expect(await page.content()).not.toContain(`Signed in to Komo as ${email}`)
    } finally {
      await context.close()
    }
  })
})
