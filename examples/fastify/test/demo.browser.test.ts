// A person in Chromium: the Fastify demo's front page, logged out → Kustomer's portal → its
// Login → the app's login page → back through the plugin's route → signed in at Kustomer.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// The Express demo's launcher: Debian's Chromium through playwright-core, one set of flags.
import { launchChromium } from '../../express/test/browser'
import { DEMO_VENDORS } from '../../vendors/src/index'
import { browserWalks, type ExampleUnderTest } from '../../vendors/test/flows'
import { type RunningDemo, startDemo } from '../src/demo'

describe('a person signs in to Kustomer through the Fastify demo, in Chromium', () => {
  let demo: RunningDemo
  let browser: Browser
  beforeAll(async () => {
    demo = await startDemo({ port: 0, onEvent: () => {} })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
  })

  it('walks from the front page, logged out, to "Signed in to Kustomer"', async () => {
    const email = 'grace@example.com'
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(demo.url)
      await page.getByText('You are not signed in').waitFor()
      await page.getByRole('link', { name: 'Kustomer', exact: true }).click()
      await page.waitForURL(`${demo.simulators.kustomer}/**`)
      await page.getByRole('link', { name: 'Login', exact: true }).click()
      await page.waitForURL(/\/login\?returnTo=/)
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Name').fill('Grace Hopper')
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByText(`Signed in to Kustomer as ${email}`).waitFor({ timeout: 10_000 })
      expect(new URL(page.url()).origin).toBe(demo.simulators.kustomer)
      // The app's own session survived the round trip: the front page knows who this is.
      await page.goto(demo.url)
      await page.getByText(`Signed in to the demo app as ${email}`).waitFor()
    } finally {
      await context.close()
    }
  })
})

// The walks the Next.js and Hono examples run, here for the vendors whose flow is not a button on
// the vendor's page: Canny's board and Metabase's dashboard redirect by themselves, Featurebase's
// portal, and every SDK-token route (Intercom, Canny, Featurebase, Metabase) asked by the app's
// page from its own origin, each token taken by the vendor's simulator.
describe('the Fastify demo in Chromium: Intercom, Canny, Featurebase and Metabase', () => {
  let demo: RunningDemo
  let browser: Browser
  let app: ExampleUnderTest
  beforeAll(async () => {
    demo = await startDemo({ port: 0, onEvent: () => {} })
    browser = await launchChromium()
    app = {
      url: demo.url,
      simulators: { env: {}, origins: demo.simulators, sims: demo.sims, close: demo.close },
    }
  })
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
  })
  const ids = ['intercom', 'canny', 'featurebase', 'metabase']
  browserWalks(
    () => ({ app, browser }),
    DEMO_VENDORS.filter((v) => ids.includes(v.id)),
  )
})
