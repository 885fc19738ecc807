// Zendesk and Discourse walked in Chromium from the demo's front page. Zendesk's sign-in is a
// form the real browser posts under the form page's real CSP: every walk listens for CSP
// violations (the console's "Content Security Policy" messages and a `securitypolicyviolation`
// listener in every document) and for dialogs, and records every script element the pages hold.
import type { BrowserContext, Page, Request } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { demoInChromium } from './browser'

const NAME = 'Grace Hopper'
/** The one script of the middleware's form page (its CSP allows exactly this, by hash). */
const FORM_SCRIPT = 'document.forms[0].submit()'

interface Watch {
  /** `securitypolicyviolation` events, from any document of the page. */
  violations: { directive: string; blocked: string; url: string; sample: string }[]
  /** Console messages about the Content Security Policy. */
  cspConsole: string[]
  /** Every dialog (alert, confirm, prompt) that opened. */
  dialogs: string[]
  /** Every script element in any document: the page's URL and the script's text. */
  scripts: { url: string; text: string }[]
  /** Form posts to the Zendesk account's /access/jwt, with the headers the browser sent. */
  posts: { request: Request; headers: Record<string, string> }[]
}

/** Listens to everything the assertions need, in every document of every page of the context. */
async function watch(context: BrowserContext, zendesk: string): Promise<{ page: Page; w: Watch }> {
  const w: Watch = { violations: [], cspConsole: [], dialogs: [], scripts: [], posts: [] }
  await context.exposeBinding('__reportViolation', (_source, v: Watch['violations'][number]) => {
    w.violations.push(v)
  })
  await context.exposeBinding('__reportScript', (_source, s: Watch['scripts'][number]) => {
    w.scripts.push(s)
  })
  // Runs before any of the document's own scripts, whatever its CSP (it is the browser's).
  await context.addInitScript(() => {
    const report = window as unknown as Record<string, (v: unknown) => void>
    document.addEventListener('securitypolicyviolation', (e) => {
      report.__reportViolation?.({
        directive: e.violatedDirective,
        blocked: e.blockedURI,
        url: document.location.href,
        sample: e.sample,
      })
    })
    const seen = new WeakSet<Node>()
    const record = (node: Node) => {
      if (node instanceof HTMLScriptElement && !seen.has(node)) {
        seen.add(node)
        report.__reportScript?.({ url: document.location.href, text: node.text || node.src })
      }
    }
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        for (const node of m.addedNodes) {
          record(node)
          if (node instanceof Element) node.querySelectorAll('script').forEach(record)
        }
      }
    }).observe(document, { childList: true, subtree: true })
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
    if (request.method() === 'POST' && request.url().startsWith(`${zendesk}/access/jwt`)) {
      const entry = { request, headers: {} as Record<string, string> }
      w.posts.push(entry)
      void request.allHeaders().then((h) => {
        entry.headers = h
      })
    }
  })
  return { page, w }
}

/** The walk was clean: no CSP violation reported either way, no dialog. */
function expectClean(w: Watch) {
  expect(w.violations, 'securitypolicyviolation events').toEqual([])
  expect(w.cspConsole, 'CSP console messages').toEqual([])
  expect(w.dialogs, 'dialogs').toEqual([])
}

describe('Zendesk and Discourse from the demo front page, in Chromium', () => {
  const running = demoInChromium()

  const zendesk = () => running.demo.simulators.zendesk as string
  const discourse = () => running.demo.simulators.discourse as string

  /** Front page (logged out) → Zendesk → My requests → the app's login, filled in. */
  async function toZendeskLogin(page: Page, email: string, name: string) {
    await page.goto(running.demo.url)
    await page.getByText('You are not signed in').waitFor()
    await page.getByRole('link', { name: 'Zendesk', exact: true }).click()
    await page.waitForURL(`${zendesk()}/`)
    await page.getByRole('link', { name: 'My requests', exact: true }).click()
    await page.waitForURL(/\/login\?returnTo=/)
    expect(new URL(page.url()).searchParams.get('returnTo')).toMatch(/^\/sso\/zendesk\/login\?/)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Name').fill(name)
  }

  it('Zendesk: logged out → app login → the browser posts the form under its CSP → "Signed in"', async () => {
    const email = 'zendesk.user@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, zendesk())
      const formPage = page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/sso/zendesk/login' && r.status() === 200,
      )
      await toZendeskLogin(page, email, NAME)
      await page.getByRole('button', { name: 'Log in' }).click()
      // The form page the browser got, with its real headers.
      const response = await formPage
      const headers = await response.allHeaders()
      expect(headers['content-security-policy']).toMatch(/script-src 'sha256-[^']+';/)
      expect(headers['content-security-policy']).toContain(`form-action ${zendesk()}`)
      expect(headers['referrer-policy']).toBe('strict-origin')

      await page.getByText(`Signed in to Zendesk as ${email}`).waitFor({ timeout: 10_000 })
      expect(new URL(page.url()).origin).toBe(zendesk())
      expect(new URL(page.url()).pathname).toBe('/hc/requests/1')
      expect(await page.locator('[data-configuration]').textContent()).toBe('end-user SSO')

      // The browser itself made the POST: the token in the body, never in a URL, and an Origin
      // (not "null") because the form page's referrer policy is strict-origin.
      expect(w.posts).toHaveLength(1)
      const post = w.posts[0] as Watch['posts'][number]
      expect(post.request.postData() ?? '').toMatch(/^jwt=eyJ/)
      expect(post.request.url()).not.toContain('eyJ')
      expect(post.headers.origin).toBe(running.demo.url)
      expect(post.headers['content-type']).toBe('application/x-www-form-urlencoded')
      // The only script that ran anywhere on the walk is the form page's submit.
      expect(w.scripts).toEqual([
        {
          url: expect.stringContaining(`${running.demo.url}/sso/zendesk/login?`),
          text: FORM_SCRIPT,
        },
      ])
      expectClean(w)
    } finally {
      await context.close()
    }
  })

  it('Discourse: logged out → Log in on the forum → app login → "Signed in"', async () => {
    const email = 'discourse.user@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, zendesk())
      await page.goto(running.demo.url)
      await page.getByText('You are not signed in').waitFor()
      await page.getByRole('link', { name: 'Discourse', exact: true }).click()
      await page.waitForURL(`${discourse()}/`)
      await page.getByRole('link', { name: 'Log in', exact: true }).click()
      await page.waitForURL(/\/login\?returnTo=/)
      expect(new URL(page.url()).searchParams.get('returnTo')).toMatch(
        /^\/sso\/discourse\/login\?sso=[^&]+&sig=[0-9a-f]{64}$/,
      )
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Name').fill(NAME)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByText(`Signed in to Discourse as ${email}`).waitFor({ timeout: 10_000 })
      expect(new URL(page.url()).origin).toBe(discourse())
      expect(await page.locator('main').getAttribute('data-email')).toBe(email)
      expect(w.scripts).toEqual([])
      expectClean(w)
    } finally {
      await context.close()
    }
  })

  it('a user named "><script>alert(1)</script> signs in to Zendesk: no dialog, no extra script', async () => {
    const email = 'hostile.name@example.com'
    const hostile = '"><script>alert(1)</script>'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, zendesk())
      await toZendeskLogin(page, email, hostile)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByText(`Signed in to Zendesk as ${email}`).waitFor({ timeout: 10_000 })
      // The name reached Zendesk as text, in the signed token, and is shown as text.
      expect(await page.locator('[data-name]').textContent()).toBe(hostile)
      const jwt = new URLSearchParams(w.posts[0]?.request.postData() ?? '').get('jwt') ?? ''
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString())
      expect(claims).toMatchObject({ email, name: hostile })
      expect(w.scripts).toEqual([
        {
          url: expect.stringContaining(`${running.demo.url}/sso/zendesk/login?`),
          text: FORM_SCRIPT,
        },
      ])
      expectClean(w)
    } finally {
      await context.close()
    }
  })

  it('a changed form script breaks the page: the browser reports the CSP violation and the form is not posted', async () => {
    const email = 'changed.script@example.com'
    const context = await running.browser.newContext()
    try {
      const { page, w } = await watch(context, zendesk())
      // Logged in from the front page's own Log in link.
      await page.goto(running.demo.url)
      await page.getByRole('link', { name: 'Log in', exact: true }).click()
      await page.waitForURL(/\/login\?returnTo=/)
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Name').fill(NAME)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByText(`Signed in to the demo app as ${email}`).waitFor()
      const signedInBefore = running.demo.sims.zendesk?.events.filter(
        (e) => e.type === 'signed-in',
      ).length
      let changed = 0
      // Between the app and the browser: the app's response, headers (its CSP) and all, with the
      // inline script's text altered. (Playwright routes the first request of a navigation, not
      // the hops of a redirect chain, so the test opens the remote login URL itself, as Zendesk
      // links to it.)
      await page.route(
        (url) => url.origin === running.demo.url && url.pathname === '/sso/zendesk/login',
        async (route) => {
          const response = await route.fetch({ maxRedirects: 0 })
          const body = await response.text()
          const headers = { ...response.headers() }
          delete headers['content-length']
          const altered = body.replace(
            `<script>${FORM_SCRIPT}</script>`,
            `<script>${FORM_SCRIPT};console.log("changed")</script>`,
          )
          if (altered !== body) changed++
          await route.fulfill({ response, headers, body: altered })
        },
      )
      const returnTo = `${zendesk()}/hc/requests/1`
      const formUrl = `${running.demo.url}/sso/zendesk/login?return_to=${encodeURIComponent(returnTo)}&brand_id=360000000001`
      const response = await page.goto(formUrl)
      expect(changed).toBe(1)
      // The CSP the browser enforced is the app's, unchanged.
      expect((await response?.allHeaders())?.['content-security-policy']).toMatch(
        /script-src 'sha256-[^']+';/,
      )
      await expect.poll(() => w.violations.length, { timeout: 10_000 }).toBeGreaterThan(0)
      // Time for a submit that should not come.
      await page.waitForTimeout(1000)
      expect(w.violations[0]).toMatchObject({
        directive: expect.stringMatching(/^script-src/),
        blocked: 'inline',
        url: formUrl,
      })
      // Chromium says it on the console too ("Executing inline script violates the following
      // Content Security Policy directive 'script-src 'sha256-…''. … The action has been blocked.").
      expect(
        w.cspConsole.some((m) =>
          /inline script violates the following Content Security Policy directive 'script-src/.test(
            m,
          ),
        ),
      ).toBe(true)
      // The form was not submitted: no POST, still on the app's page, nobody signed in.
      expect(w.posts).toEqual([])
      expect(page.url()).toBe(formUrl)
      expect(await page.locator('form[method="post"] input[name="jwt"]').count()).toBe(1)
      expect(await page.getByText('Signed in to Zendesk').count()).toBe(0)
      expect(running.demo.sims.zendesk?.events.filter((e) => e.type === 'signed-in').length).toBe(
        signedInBefore,
      )
      expect(w.dialogs).toEqual([])
    } finally {
      await context.close()
    }
  })
})
