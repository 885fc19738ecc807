import type { SsoEvent } from '@sso/middleware/fetch'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../../express/test/browser'
import { browserWalks, EMAIL, httpFlows, secretsOf } from '../../vendors/test/flows'
import { createHonoApp } from '../src/app'
import { type RunningHonoExample, startHonoExample } from '../src/start'

describe('examples/hono: Hono on @hono/node-server, every vendor against its simulator', () => {
  let app: RunningHonoExample
  let browser: Browser
  const events: SsoEvent[] = []
  beforeAll(async () => {
    app = await startHonoExample({ port: 0, onEvent: (e) => events.push(e) })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  describe('over real HTTP', () => {
    httpFlows(() => app)
  })

  describe('in Chromium', () => {
    browserWalks(() => ({ app, browser }))
  })

  it('the events name users by id only, and hold no secret or token', () => {
    expect(events.length).toBeGreaterThan(0)
    const text = JSON.stringify(events)
    for (const secret of secretsOf(app)) expect(text).not.toContain(secret)
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)
    expect(text).not.toContain(EMAIL)
  })
})

describe('examples/hono: the session', () => {
  /** A logged-in session's cookie (`name=value`) on `app`. */
  async function logIn(app: ReturnType<typeof createHonoApp>) {
    const login = await app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: EMAIL, name: 'Ada Lovelace', returnTo: '/komo' }),
    })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/komo')
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string
    expect(cookie).toMatch(/^hono_demo_session=/)
    return cookie
  }

  it('a session id without its signature, or with another, is no one', async () => {
    const app = createHonoApp({ env: {}, sessionSecret: 'x'.repeat(32), onEvent: () => {} })
    const cookie = await logIn(app)
    const value = decodeURIComponent(cookie.slice('hono_demo_session='.length))
    const dot = value.lastIndexOf('.')
    const id = value.slice(0, dot)
    const signature = value.slice(dot + 1)
    const other = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`
    for (const forged of [id, `${id}.`, `${id}.${other}`, 'abc', '']) {
      const res = await app.request('/api/me', {
        headers: { cookie: `hono_demo_session=${encodeURIComponent(forged)}` },
      })
      expect(await res.json()).toEqual({ user: null })
    }
    // The genuine cookie is someone, on this app only (another secret, another app).
    const me = await app.request('/api/me', { headers: { cookie } })
    expect(await me.json()).toMatchObject({ user: { email: EMAIL } })
    const otherApp = createHonoApp({ env: {}, sessionSecret: 'w'.repeat(32), onEvent: () => {} })
    const elsewhere = await otherApp.request('/api/me', { headers: { cookie } })
    expect(await elsewhere.json()).toEqual({ user: null })
  })

  it('lazy options: without its variables the app starts, and every /sso request is a loud ERR_SSO_CONFIG', async () => {
    const errors: unknown[] = []
    const original = console.error
    console.error = (error: unknown) => errors.push(error)
    try {
      const app = createHonoApp({ env: {}, sessionSecret: 'v'.repeat(32), onEvent: () => {} })
      expect((await app.request('/login')).status).toBe(200)
      for (const path of ['/sso/komo/token', '/sso/kustomer/login']) {
        const res = await app.request(path, { method: 'POST' })
        expect(res.status).toBe(500)
        expect(await res.text()).toContain('ERR_SSO_CONFIG')
      }
      expect(errors).toHaveLength(2)
      expect(errors[1]).toBe(errors[0])
      expect(errors[0]).toMatchObject({ code: 'ERR_SSO_CONFIG' })
      expect(String((errors[0] as Error).cause)).toContain('KOMO_SSO_SECRET')
    } finally {
      console.error = original
    }
  })

  it('a login and its cookie, then logout forgets the session even if the cookie is replayed', async () => {
    const app = createHonoApp({ env: {}, sessionSecret: 'y'.repeat(32), onEvent: () => {} })
    const cookie = await logIn(app)
    const me = await app.request('/api/me', { headers: { cookie } })
    expect(await me.json()).toMatchObject({ user: { email: EMAIL, name: 'Ada Lovelace' } })
    const logout = await app.request('/logout', { method: 'POST', headers: { cookie } })
    expect(logout.headers.get('set-cookie')).toMatch(/Max-Age=0/)
    const replayed = await app.request('/api/me', { headers: { cookie } })
    expect(await replayed.json()).toEqual({ user: null })
  })

  it('a cross-site login post is refused', async () => {
    const app = createHonoApp({ env: {}, sessionSecret: 'z'.repeat(32), onEvent: () => {} })
    const res = await app.request('/login', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'cross-site',
      },
      body: new URLSearchParams({ email: EMAIL, name: 'Ada', returnTo: '/' }),
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('set-cookie')).toBeNull()
  })
})
