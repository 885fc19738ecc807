import type { JWTPayload } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { komoSimulator } from '../src/simulators/komo'
import { fakeBrowser } from './fake-dom'
import type { FakeBrowser, FakeElement } from './fake-dom'
import { NOW, OTHER_SECRET, SECRET, now, sign, start } from './helpers'

// Komo's documented loader: a queueing proxy that records [method, ...args] in komoEmbed.q.
const LOADER = `
window.komoEmbed = window.komoEmbed || (function () {
  var proxy = { q: [] };
  ['setAuthRequestHandler', 'setAuthToken', 'forgetUser'].forEach(function (method) {
    proxy[method] = function () { proxy.q.push([method].concat([].slice.call(arguments))); };
  });
  return proxy;
})();
`

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    sub: 'u_1',
    email: 'ada@example.com',
    first_name: 'Ada',
    last_name: 'Lovelace',
    iat: NOW,
    exp: NOW + 3600,
    ...overrides,
  }
}

interface Page {
  browser: FakeBrowser
  sim: ReturnType<typeof komoSimulator>
  card: FakeElement
  /** Loads the SDK from the simulator, as the async script tag would. */
  load(): Promise<void>
}

async function hostPage(): Promise<Page> {
  const sim = komoSimulator({ secret: SECRET, now })
  const hub = await start(sim)
  const browser = fakeBrowser('http://127.0.0.1:5173/events', `${hub}/assets/embed/embed.js`)
  const card = browser.document.createElement('div')
  card.setAttribute('data-komo-card', 'welcome')
  browser.document.body.appendChild(card)
  browser.run(LOADER)
  return {
    browser,
    sim,
    card,
    async load() {
      const source = await (await fetch(`${hub}/assets/embed/embed.js`)).text()
      browser.run(source)
    },
  }
}

function state(card: FakeElement): string | null {
  return card.getAttribute('data-komo-state')
}

function status(card: FakeElement): string | undefined {
  return card.find('data-komo-status')?.textContent
}

async function open(card: FakeElement, expected: string): Promise<void> {
  const button = card.button()
  expect(button?.textContent).toBe('Open card')
  button?.click()
  await vi.waitFor(() => expect(state(card)).toBe(expected))
}

describe('Komo embed SDK', () => {
  it('replays the queued handler, replaces window.komoEmbed and signs the contact in on "Open card"', async () => {
    const page = await hostPage()
    const handler = vi.fn(() => sign(claims()))
    ;(page.browser.embed().setAuthRequestHandler as (fn: unknown) => void)(handler)
    expect(page.browser.embed().q).toEqual([['setAuthRequestHandler', handler]])

    await page.load()
    const embed = page.browser.embed()
    expect(Object.keys(embed)).toEqual(
      expect.arrayContaining(['setAuthRequestHandler', 'setAuthToken', 'forgetUser']),
    )
    expect(state(page.card)).toBe('idle')
    expect(handler).not.toHaveBeenCalled()

    await open(page.card, 'signed-in')
    expect(handler).toHaveBeenCalledTimes(1)
    expect(status(page.card)).toBe('Signed in to Komo as ada@example.com')
    expect(page.card.find('data-komo-contact')?.textContent).toBe('Ada Lovelace')
    expect(page.sim.events).toEqual([
      expect.objectContaining({ type: 'signed-in', email: 'ada@example.com' }),
    ])
  })

  it('replays queued calls in order, warning about unknown methods', async () => {
    const page = await hostPage()
    const first = await sign(claims({ email: 'first@example.com' }))
    const second = await sign(claims({ email: 'second@example.com' }))
    page.browser.run(
      `komoEmbed.q.push(['setAuthToken', ${JSON.stringify(first)}], ['forgetUser'], ['bogus'])`,
    )
    page.browser.run(`komoEmbed.setAuthToken(${JSON.stringify(second)})`)
    await page.load()
    expect(page.browser.warnings).toEqual(['komoEmbed: unknown method bogus'])
    await open(page.card, 'signed-in')
    expect(status(page.card)).toBe('Signed in to Komo as second@example.com')
  })

  it('uses a pushed token without asking the handler', async () => {
    const page = await hostPage()
    const handler = vi.fn(() => sign(claims({ email: 'pulled@example.com' })))
    const token = await sign(claims({ email: 'pushed@example.com' }))
    ;(page.browser.embed().setAuthRequestHandler as (fn: unknown) => void)(handler)
    await page.load()
    ;(page.browser.embed().setAuthToken as (t: string) => void)(token)
    await open(page.card, 'signed-in')
    expect(status(page.card)).toBe('Signed in to Komo as pushed@example.com')
    expect(handler).not.toHaveBeenCalled()
  })

  it('keeps a page holding the old proxy working: its later calls run at once', async () => {
    const page = await hostPage()
    const proxy = page.browser.embed() as { setAuthToken(token: string): void }
    await page.load()
    expect(page.browser.embed()).not.toBe(proxy)
    proxy.setAuthToken(await sign(claims()))
    await open(page.card, 'signed-in')
  })

  it('tells the user to sign in to the app when the handler rejects', async () => {
    const page = await hostPage()
    page.browser.context.__handler = () => Promise.reject(new Error('logged out'))
    page.browser.run('komoEmbed.setAuthRequestHandler(function () { return __handler() })')
    await page.load()
    await open(page.card, 'error')
    expect(status(page.card)).toBe('Sign in to your app to continue')
    expect(page.card.getAttribute('data-komo-code')).toBe('no_user')
    expect(page.sim.events).toEqual([])
  })

  it('tells the user to sign in when there is neither a token nor a handler', async () => {
    const page = await hostPage()
    await page.load()
    await open(page.card, 'error')
    expect(status(page.card)).toBe('Sign in to your app to continue')
  })

  it('shows the reason when Komo refuses the token', async () => {
    const page = await hostPage()
    await page.load()
    ;(page.browser.embed().setAuthToken as (t: string) => void)(await sign(claims(), OTHER_SECRET))
    await open(page.card, 'error')
    expect(page.card.getAttribute('data-komo-code')).toBe('bad_signature')
    expect(status(page.card)).toBe(
      'Komo could not verify the SSO token: the signature does not match the configured key.',
    )
  })

  it('asks the handler again once when the token it got has expired', async () => {
    const page = await hostPage()
    const handler = vi
      .fn<() => Promise<string>>()
      .mockImplementationOnce(() => sign(claims({ iat: NOW - 7200, exp: NOW - 3600 })))
      .mockImplementationOnce(() => sign(claims()))
    await page.load()
    ;(page.browser.embed().setAuthRequestHandler as (fn: unknown) => void)(handler)
    await open(page.card, 'signed-in')
    expect(handler).toHaveBeenCalledTimes(2)
  })

  it('renders cards added to the page after the SDK loaded', async () => {
    const page = await hostPage()
    await page.load()
    const later = page.browser.document.createElement('section')
    const inner = page.browser.document.createElement('div')
    inner.setAttribute('data-komo-card', 'later')
    later.appendChild(inner)
    page.browser.document.body.appendChild(later)
    await vi.waitFor(() => expect(state(inner)).toBe('idle'))
    expect(inner.textContent).toContain('Komo card: later')
  })

  it('forgetUser resets every card and drops the token, so the next open asks the handler', async () => {
    const page = await hostPage()
    const handler = vi.fn(() => sign(claims()))
    await page.load()
    const embed = page.browser.embed() as {
      setAuthRequestHandler(fn: unknown): void
      forgetUser(): void
    }
    embed.setAuthRequestHandler(handler)
    await open(page.card, 'signed-in')
    embed.forgetUser()
    expect(state(page.card)).toBe('idle')
    expect(status(page.card)).toBe('')
    await open(page.card, 'signed-in')
    expect(handler).toHaveBeenCalledTimes(2)
  })
})
