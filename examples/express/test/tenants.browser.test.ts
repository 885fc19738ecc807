import { describe, expect, it } from 'vitest'
import { demoInChromium } from './browser'

const NAME = 'Grace Hopper'

describe("a person walks each tenant's community from the demo's front page, in Chromium", () => {
  const running = demoInChromium()

  it.each([
    ['acme', 'Acme community'],
    ['globex', 'Globex community'],
  ])('%s: logged out → login → back → "Signed in" at its own community', async (id, name) => {
    const tenant = running.demo.tenants.find((t) => t.id === id)
    if (!tenant) throw new Error(`no tenant ${id}`)
    const community = new URL(tenant.bettermode.communityUrl).origin
    const email = `${id}.member@example.com`
    const context = await running.browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(running.demo.url)
      await page.getByText('You are not signed in').waitFor()
      await page.getByText(/A tenant here is one of this app's customer organisations/).waitFor()
      await page.getByRole('link', { name, exact: true }).click()
      await page.waitForURL(`${community}/**`)
      await page.getByText('Welcome to the community').waitFor()
      await page.getByRole('link', { name: 'Log in', exact: true }).click()
      // The app's login, with a returnTo that keeps the tenant's path.
      await page.waitForURL(/\/login\?returnTo=/)
      expect(new URL(page.url()).searchParams.get('returnTo')).toBe(
        `/t/${id}/sso/bettermode/login?referrer_uri=%2Fspaces%2Fgeneral`,
      )
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Name').fill(NAME)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByText(`Signed in to Bettermode as ${email}`).waitFor({ timeout: 10_000 })
      expect(new URL(page.url()).origin).toBe(community)
      expect(new URL(page.url()).pathname).toBe('/spaces/general')
      expect(await page.locator('main').getAttribute('data-email')).toBe(email)
      // Signed in at this tenant's community, and not at the other's.
      const other = running.demo.tenants.find((t) => t.id !== id)
      expect(tenant.sim.events.at(-1)).toMatchObject({ type: 'signed-in', email })
      expect(other?.sim.events.some((e) => e.type === 'signed-in' && e.email === email)).toBe(false)
    } finally {
      await context.close()
    }
  })
})
