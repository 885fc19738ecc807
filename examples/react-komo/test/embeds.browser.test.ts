// The Intercom Messenger (useIntercom) and the Canny board (<CannyWidget>) of the React example,
// walked in Chromium against their simulators: logged out, logged in, logout, a user switch.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userIdFor } from '../../express/src/app'
import { launchChromium } from '../../express/test/browser'
import { type RunningExample, startExample } from '../start'

interface Watch {
  /** Token requests the page sent, by path (`/sso/intercom/token`, `/sso/canny/token`). */
  tokenRequests: { path: string; method: string; origin: string | undefined }[]
  /** Boots the page sent the Messenger simulator: their JSON bodies. */
  pings: Record<string, unknown>[]
  /** Every Canny board the page framed: the widget URL's ssoToken, or null (anonymous). */
  boards: (string | null)[]
  /** Console messages about a Content Security Policy, and dialogs. */
  csp: string[]
  dialogs: string[]
  pending: Promise<void>[]
}

type Claims = Record<string, unknown>
const claimsOf = (jwt: unknown): Claims => {
  expect(typeof jwt).toBe('string')
  const [, payload] = (jwt as string).split('.')
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Claims
}

/** Seconds since the epoch, for the window a token's `iat` must fall in. */
const nowSeconds = () => Math.floor(Date.now() / 1000)

describe('examples/react-komo: the Intercom Messenger and the Canny board in Chromium', () => {
  let example: RunningExample
  let browser: Browser
  beforeAll(async () => {
    example = await startExample()
    browser = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await example?.close()
  })

  async function open(context: BrowserContext): Promise<{ page: Page; w: Watch }> {
    const w: Watch = {
      tokenRequests: [],
      pings: [],
      boards: [],
      csp: [],
      dialogs: [],
      pending: [],
    }
    const page = await context.newPage()
    const intercom = example.demo.simulators.intercom
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.origin === example.appUrl && url.pathname.endsWith('/token')) {
        const entry = {
          path: url.pathname,
          method: request.method(),
          origin: '' as string | undefined,
        }
        w.tokenRequests.push(entry)
        // The provisional headers lack Origin: the ones sent come asynchronously.
        w.pending.push(
          request.allHeaders().then((headers) => {
            entry.origin = headers.origin
          }),
        )
      }
      if (request.method() === 'POST' && request.url() === `${intercom}/messenger/web/ping`) {
        w.pings.push(JSON.parse(request.postData() ?? '{}') as Record<string, unknown>)
      }
      if (url.origin === example.cannyUrl && url.pathname === '/widget') {
        w.boards.push(url.searchParams.get('ssoToken'))
      }
    })
    page.on('console', (msg) => {
      if (/Content Security Policy|frame-ancestors/i.test(msg.text())) w.csp.push(msg.text())
    })
    page.on('dialog', (dialog) => {
      w.dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(example.appUrl)
    return { page, w }
  }

  const tokenCalls = (w: Watch, vendor: string) =>
    w.tokenRequests.filter((r) => r.path === `/sso/${vendor}/token`)

  /** The demo's password-less login, as the logged-out page offers it (a form post). */
  async function logIn(page: Page, email: string, name: string) {
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Name').fill(name)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByText(`Logged in as ${name}`).waitFor()
  }

  /** Logged in, someone else logs in in place: the page asks /api/me again, no reload. */
  async function switchTo(page: Page, email: string, name: string) {
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Name').fill(name)
    await page.getByRole('button', { name: 'Switch user' }).click()
    await page.getByText(`Logged in as ${name}`).waitFor()
  }

  /** Logged out, once /api/me answered and every effect has had time to run. */
  async function settledLoggedOut(page: Page) {
    await page.getByRole('button', { name: 'Log in' }).waitFor()
    await page.getByText('Log in above to chat with us as yourself.').waitFor()
    // Long enough for a token request or a script load, had anything started one.
    await page.waitForTimeout(750)
  }

  async function expectClean(w: Watch) {
    await Promise.all(w.pending)
    expect(w.csp, 'CSP console messages').toEqual([])
    expect(w.dialogs, 'dialogs').toEqual([])
    for (const r of w.tokenRequests) {
      expect(r.method).toBe('POST')
      expect(r.origin).toBe(example.appUrl)
    }
  }

  const panel = '#intercom-container'
  const board = '[data-canny]'

  describe('Intercom Messenger (useIntercom)', () => {
    it('logged out: no token request, no Messenger script, nothing booted', async () => {
      const context = await browser.newContext()
      try {
        const { page, w } = await open(context)
        await settledLoggedOut(page)
        expect(tokenCalls(w, 'intercom')).toEqual([])
        expect(w.pings).toEqual([])
        expect(await page.evaluate(() => 'Intercom' in window)).toBe(false)
        expect(await page.locator(`script[src*="/widget/"]`).count()).toBe(0)
        expect(await page.locator(panel).count()).toBe(0)
        await expectClean(w)
      } finally {
        await context.close()
      }
    })

    it('logged in: booted with a JWT naming the user, no identity in the settings; logout shuts it down', async () => {
      const email = 'messenger.react@example.com'
      const name = 'Messenger React'
      const id = userIdFor(email)
      const context = await browser.newContext()
      try {
        const { page, w } = await open(context)
        const before = nowSeconds()
        await logIn(page, email, name)
        await page
          .locator(`${panel}[data-intercom-state="signed-in"][data-intercom-user="${id}"]`)
          .waitFor()
        expect(await page.locator(panel).getAttribute('data-intercom-email')).toBe(email)
        await page.getByText('The Messenger knows who you are.').waitFor()
        // The Messenger links to what Intercom received, on the simulator's own origin.
        const received = page.locator(`${panel} [data-intercom-received]`)
        expect(await received.textContent()).toBe('What Intercom received')
        expect(new URL((await received.getAttribute('href')) ?? '').origin).toBe(
          example.demo.simulators.intercom,
        )
        // One token request, one boot: the app id and the JWT, nothing the page could forge.
        expect(tokenCalls(w, 'intercom')).toHaveLength(1)
        expect(w.pings).toHaveLength(1)
        const boot = w.pings[0] ?? {}
        expect(Object.keys(boot).sort()).toEqual(['app_id', 'intercom_user_jwt'])
        expect(boot.app_id).toBe('demo-app')
        const claims = claimsOf(boot.intercom_user_jwt)
        expect(Object.keys(claims).sort()).toEqual(['email', 'exp', 'iat', 'name', 'user_id'])
        expect(claims.user_id).toBe(id)
        expect(claims.email).toBe(email)
        expect(claims.name).toBe(name)
        expect(claims.iat as number).toBeGreaterThanOrEqual(before)
        expect(claims.iat as number).toBeLessThanOrEqual(nowSeconds())
        expect((claims.exp as number) - (claims.iat as number)).toBe(3600)
        expect(example.demo.sims.intercom?.users.get(id)).toMatchObject({
          email,
          name,
          verified: true,
        })
        expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0)

        // Log out in place: the hook sees the user become null and shuts the Messenger down.
        await page.getByRole('button', { name: 'Log out' }).click()
        // The panel hides itself when shut down: attached, not visible.
        await page
          .locator(`${panel}[data-intercom-state="shutdown"]`)
          .waitFor({ state: 'attached' })
        expect(await page.locator('[data-intercom-user]').count()).toBe(0)
        expect(
          await page.evaluate(
            () => (window as unknown as { Intercom: { booted: boolean } }).Intercom.booted,
          ),
        ).toBe(false)
        await settledLoggedOut(page)
        expect(tokenCalls(w, 'intercom')).toHaveLength(1)
        expect(w.pings).toHaveLength(1)
        await expectClean(w)
      } finally {
        await context.close()
      }
    })

    it('a user switch shuts the first user down, then boots the second with their own JWT', async () => {
      const first = userIdFor('first.messenger@example.com')
      const second = userIdFor('second.messenger@example.com')
      const context = await browser.newContext()
      try {
        const { page, w } = await open(context)
        await logIn(page, 'first.messenger@example.com', 'First Messenger')
        await page.locator(`${panel}[data-intercom-user="${first}"]`).waitFor()
        // Record the commands the hook sends from now on (the Messenger script has loaded).
        await page.evaluate(() => {
          const page = window as unknown as {
            Intercom: ((...args: unknown[]) => unknown) & Record<string, unknown>
            __commands: string[]
          }
          const real = page.Intercom
          page.__commands = []
          page.Intercom = Object.assign((...args: unknown[]) => {
            page.__commands.push(String(args[0]))
            return real(...args)
          }, real)
        })
        await switchTo(page, 'second.messenger@example.com', 'Second Messenger')
        await page
          .locator(`${panel}[data-intercom-state="signed-in"][data-intercom-user="${second}"]`)
          .waitFor()
        expect(await page.locator(panel).getAttribute('data-intercom-email')).toBe(
          'second.messenger@example.com',
        )
        expect(await page.locator(panel).textContent()).not.toContain('First Messenger')
        expect(
          await page.evaluate(() => (window as unknown as { __commands: string[] }).__commands),
        ).toEqual(['shutdown', 'boot'])
        // A fresh token for the second user: the first one's was dropped, not reused.
        expect(tokenCalls(w, 'intercom')).toHaveLength(2)
        expect(w.pings.map((p) => claimsOf(p.intercom_user_jwt).user_id)).toEqual([first, second])
        await expectClean(w)
      } finally {
        await context.close()
      }
    })
  })

  describe('Canny board (<CannyWidget>)', () => {
    it('logged out: no token request, no SDK, no board', async () => {
      const context = await browser.newContext()
      try {
        const { page, w } = await open(context)
        await settledLoggedOut(page)
        await page.getByText('Log in above to see the board and vote as yourself.').waitFor()
        expect(tokenCalls(w, 'canny')).toEqual([])
        expect(w.boards).toEqual([])
        expect(await page.evaluate(() => 'Canny' in window)).toBe(false)
        expect(await page.locator(board).count()).toBe(1)
        expect(await page.locator(`${board} > *`).count()).toBe(0)
        await expectClean(w)
      } finally {
        await context.close()
      }
    })

    it('logged in: the board signs the user in with their token; logout removes it', async () => {
      const email = 'board.react@example.com'
      const name = 'Board React'
      const id = userIdFor(email)
      const context = await browser.newContext()
      try {
        const { page, w } = await open(context)
        const before = nowSeconds()
        await logIn(page, email, name)
        await page
          .locator(`${board}[data-canny-state="signed-in"][data-canny-user="${id}"]`)
          .waitFor()
        expect(await page.locator(board).getAttribute('aria-busy')).toBe('false')
        expect(await page.locator(`${board} iframe`).count()).toBe(1)
        const frame = page.frameLocator(`${board} iframe`)
        await frame.getByText(`Signed in to Canny as ${email}`).waitFor()
        expect(tokenCalls(w, 'canny')).toHaveLength(1)
        expect(w.boards).toHaveLength(1)
        const claims = claimsOf(w.boards[0])
        expect(Object.keys(claims).sort()).toEqual(['email', 'exp', 'iat', 'id', 'name'])
        expect(claims.id).toBe(id)
        expect(claims.email).toBe(email)
        expect(claims.name).toBe(name)
        expect(claims.iat as number).toBeGreaterThanOrEqual(before)
        expect(claims.iat as number).toBeLessThanOrEqual(nowSeconds())
        expect((claims.exp as number) - (claims.iat as number)).toBe(3600)
        expect(example.canny.users.get(`demo:${id}`)).toMatchObject({ email, name })

        // Log out in place: Canny has no sign-out, so the board the SDK drew is removed.
        await page.getByRole('button', { name: 'Log out' }).click()
        await page.waitForFunction(
          (sel) => document.querySelector(sel)?.childElementCount === 0,
          board,
        )
        expect(await page.locator(`${board} iframe`).count()).toBe(0)
        expect(await page.content()).not.toContain(`Signed in to Canny as ${email}`)
        await settledLoggedOut(page)
        expect(await page.locator(`${board} > *`).count()).toBe(0)
        expect(tokenCalls(w, 'canny')).toHaveLength(1)
        expect(w.boards).toHaveLength(1)
        await expectClean(w)
      } finally {
        await context.close()
      }
    })

    it("a user switch replaces the first user's board with the second's, on a fresh token", async () => {
      const first = userIdFor('first.board@example.com')
      const second = userIdFor('second.board@example.com')
      const context = await browser.newContext()
      try {
        const { page, w } = await open(context)
        await logIn(page, 'first.board@example.com', 'First Board')
        await page.locator(`${board}[data-canny-user="${first}"]`).waitFor()
        await switchTo(page, 'second.board@example.com', 'Second Board')
        await page
          .locator(`${board}[data-canny-state="signed-in"][data-canny-user="${second}"]`)
          .waitFor()
        expect(await page.locator(`${board} iframe`).count()).toBe(1)
        await page
          .frameLocator(`${board} iframe`)
          .getByText('Signed in to Canny as second.board@example.com')
          .waitFor()
        expect(tokenCalls(w, 'canny')).toHaveLength(2)
        expect(w.boards.map((token) => claimsOf(token).id)).toEqual([first, second])
        expect(example.canny.users.get(`demo:${second}`)?.signIns).toBe(1)
        await expectClean(w)
      } finally {
        await context.close()
      }
    })
  })
})
