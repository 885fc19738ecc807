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
  it('a forged or unsigned session cookie is no one', async () => {
    const app = createHonoApp({ env: {}, sessionSecret: 'x'.repeat(32), onEvent: () => {} })
    for (const cookie of [
      'hono_demo_session=abc',
      'hono_demo_session=abc.def',
      'hono_demo_session=',
    ]) {
      const res = await app.request('/api/me', { headers: { cookie } })
      expect(await res.json()).toEqual({ user: null })
    }
  })

  it('a login and its cookie, then logout forgets the session even if the cookie is replayed', async () => {
    const app = createHonoApp({ env: {}, sessionSecret: 'y'.repeat(32), onEvent: () => {} })
    const login = await app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: EMAIL, name: 'Ada Lovelace', returnTo: '/komo' }),
    })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/komo')
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string
    expect(cookie).toMatch(/^hono_demo_session=/)
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
