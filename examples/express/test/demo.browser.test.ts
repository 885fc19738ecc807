import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { demoInChromium } from './browser'

const NAME = 'Grace Hopper'

describe('a person walks every vendor flow in the demo, in Chromium', () => {
  const running = demoInChromium()

  async function logIn(page: Page, email: string) {
    await page.waitForURL(/\/login\?returnTo=/)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Name').fill(NAME)
    await page.getByRole('button', { name: 'Log in' }).click()
  }

  it.each([
    ['Kustomer', 'Login'],
    ['Comm100', 'Log in with SSO'],
    ['Bettermode', 'Log in'],
    ['Konnec', 'Log in'],
  ])('%s: from the front page, logged out, to "Signed in"', async (vendor, button) => {
    const email = `${vendor.toLowerCase()}.user@example.com`
    const context = await running.browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(running.demo.url)
      await page.getByText('You are not signed in').waitFor()
      await page.getByRole('link', { name: vendor, exact: true }).click()
      await page.waitForURL(`${running.demo.simulators[vendor.toLowerCase() as 'kustomer']}/**`)
      await page.getByRole('link', { name: button, exact: true }).click()
      await logIn(page, email)
      await page.getByText(`Signed in to ${vendor} as ${email}`).waitFor({ timeout: 10_000 })
      expect(new URL(page.url()).origin).toBe(
        running.demo.simulators[vendor.toLowerCase() as 'kustomer'],
      )
      expect(await page.content()).toContain(`Signed in to ${vendor} as ${email}`)
      if (vendor === 'Konnec') {
        // Konnec never receives an email: its page says the demo's username is the email.
        await page.getByText(/never receives an email/).waitFor()
      }
    } finally {
      await context.close()
    }
  })

  it('Komo: the card asks for a user, and after login shows the signed-in contact', async () => {
    const email = 'komo.user@example.com'
    const context = await running.browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(running.demo.url)
      await page.getByRole('link', { name: 'Komo', exact: true }).click()
      await page.waitForURL(`${running.demo.url}/komo`)
      // The page says what the card's button does before anyone has to guess.
      await page.getByText(/click Open card, and the embed asks this page who you are/).waitFor()
      await page.getByRole('button', { name: 'Open card' }).click()
      await page.getByText('Sign in to your app to continue').waitFor({ timeout: 10_000 })
      await page.getByRole('link', { name: 'Log in', exact: true }).click()
      await logIn(page, email)
      await page.waitForURL(`${running.demo.url}/komo`)
      await page.getByRole('button', { name: 'Open card' }).click()
      await page.getByText(`Signed in to Komo as ${email}`).waitFor({ timeout: 10_000 })
      expect(await page.locator('[data-komo-card]').getAttribute('data-komo-state')).toBe(
        'signed-in',
      )
    } finally {
      await context.close()
    }
  })
})
