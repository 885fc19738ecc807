// The README's screenshots (examples/express/docs/*.png): the demo (every vendor simulated)
// driven by Debian's Chromium through playwright-core, as the browser tests drive it, at a fixed
// viewport. Run with `npx -y pnpm@12.21.0 screenshots` (node --import tsx: the demo is TypeScript).
//
// So that a re-run changes as few pixels as possible: fixed ports (PORT, default 3990;
// SIMULATOR_PORT_BASE, default 4990: away from the demo's 3000/4100 and the tests' free ports),
// a fixed user, and this process's clock stopped at 2025-01-15T12:00:00Z (the demo has no clock
// option; the demo and its simulators run in this process, so their `Date` is this one). Only
// login.png still differs between runs: Kustomer's unsigned tracking token carries a random id.
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './lib/child.mjs'
import { ensureChromium } from './ensure-chromium.mjs'

const PINNED = Date.UTC(2025, 0, 15, 12, 0, 0)
const RealDate = Date
const pinnedNow = () => PINNED
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(pinnedNow())
    else super(...args)
  }
  static now() {
    return pinnedNow()
  }
}

const OUT = join(ROOT, 'examples/express/docs')
const VIEWPORT = { width: 1100, height: 800 }
const USER = { email: 'ada@example.com', name: 'Ada Lovelace' }
const port = Number(process.env.PORT ?? 3990)
const simulatorPortBase = Number(process.env.SIMULATOR_PORT_BASE ?? 4990)

ensureChromium()
const { startDemo } = await import('../examples/express/src/demo.ts')
const { launchChromium } = await import('../examples/express/test/browser.ts')

const demo = await startDemo({ port, simulatorPortBase, real: {}, onEvent: () => {} })
let browser
try {
  browser = await launchChromium()
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 })
  const page = await context.newPage()
  mkdirSync(OUT, { recursive: true })
  const written = []
  const shoot = async (name, options = {}) => {
    const path = join(OUT, name)
    await page.screenshot({ path, animations: 'disabled', ...options })
    written.push(path)
  }

  // The front page, logged out: every vendor's link and, at the bottom, the inspector's.
  await page.goto(demo.url)
  await page.getByText('You are not signed in').waitFor()
  await shoot('front-page.png', { fullPage: true })

  // Kustomer's portal → Login → the app's login page, which names the vendor that sent you.
  await page.getByRole('link', { name: 'Kustomer', exact: true }).click()
  await page.waitForURL(`${demo.simulators.kustomer}/**`)
  await page.getByRole('link', { name: 'Login', exact: true }).click()
  await page.locator('[data-sent-by="kustomer"]').waitFor()
  await page.getByLabel('Email').fill(USER.email)
  await page.getByLabel('Name').fill(USER.name)
  await shoot('login.png')

  // Signed in at Kustomer: what it received and checked.
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByText(`Signed in to Kustomer as ${USER.email}`).waitFor({ timeout: 10_000 })
  await page.locator('#received').scrollIntoViewIfNeeded()
  await shoot('kustomer-received.png', { fullPage: true })

  // The inspector from the front page, with a preview of Kustomer's login for a target.
  await page.goto(demo.url)
  await page.getByRole('link', { name: 'Inspect what each vendor would receive' }).click()
  await page.getByRole('heading', { name: 'SSO inspector', level: 1 }).waitFor()
  const kustomer = page.locator('section', { hasText: 'GET /sso/kustomer/login' })
  const target = `${demo.simulators.kustomer}/login?referralUrl=%2Fen_us%2Farticle`
  await kustomer
    .getByLabel('Preview with the query')
    .fill(`kustomerRedirectUri=${encodeURIComponent(target)}`)
  await kustomer.getByRole('button', { name: 'Preview' }).click()
  await page.waitForURL(/preview=kustomer%2Flogin/)
  await page
    .locator('section', { hasText: 'GET /sso/kustomer/login' })
    .locator('pre')
    .first()
    .waitFor()
  await page.evaluate(() => window.scrollTo(0, 0))
  await shoot('inspector.png', {
    clip: { x: 0, y: 0, width: VIEWPORT.width, height: 1200 },
    fullPage: true,
  })

  for (const path of written) {
    console.log(`${path.slice(ROOT.length + 1)}  ${Math.round(statSync(path).size / 1024)} KB`)
  }
} finally {
  await browser?.close()
  await demo.close()
}
