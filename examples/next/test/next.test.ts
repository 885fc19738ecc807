// The Next.js example as it runs in production: `next build` once (with no vendor secret in its
// environment: the handler's options are lazy), then `next start` on a free port with the
// simulators' secrets, every vendor over real HTTP and in Chromium.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../../express/test/browser'
import { Client } from '../../express/test/client'
import { browserWalks, EMAIL, httpFlows, NAME, secretsOf } from '../../vendors/test/flows'
import { buildNext, type RunningNextExample, startNextExample } from '../serve'

describe('examples/next: next build && next start, every vendor against its simulator', () => {
  let app: RunningNextExample
  let browser: Browser
  let buildMs = 0
  beforeAll(async () => {
    buildMs = await buildNext()
    console.log(`next build: ${Math.round(buildMs)} ms`)
    app = await startNextExample()
    browser = await launchChromium()
  }, 300_000)
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('builds without any vendor secret or session password in the environment', () => {
    // buildNext passes the test's environment, which holds none of them: had the route module
    // read its options at import, `next build` (collecting page data) would have failed.
    for (const name of Object.keys(app.simulators.env)) expect(process.env[name]).toBeUndefined()
    expect(process.env.SESSION_PASSWORD).toBeUndefined()
    expect(buildMs).toBeGreaterThan(0)
  })

  describe('over real HTTP', () => {
    httpFlows(() => app)
  })

  describe('in Chromium', () => {
    browserWalks(() => ({ app, browser }))
  })

  it("lazy options: started without the vendors' variables, every /sso request fails loudly, the rest works", async () => {
    const bare = await startNextExample({ withoutVendors: true })
    try {
      expect((await fetch(`${bare.url}/login`)).status).toBe(200)
      for (const path of ['/sso/komo/token', '/sso/kustomer/login']) {
        const res = await fetch(`${bare.url}${path}`, { method: 'POST', redirect: 'manual' })
        expect(res.status).toBe(500)
        await res.body?.cancel()
      }
      // Next.js logs the handler's rejection: the ERR_SSO_CONFIG, naming the missing variables.
      await expect.poll(() => bare.log).toContain('ERR_SSO_CONFIG')
      expect(bare.log).toContain('KOMO_SSO_SECRET')
      for (const secret of secretsOf(bare)) expect(bare.log).not.toContain(secret)
    } finally {
      await bare.close()
    }
  })

  it('under next start (NODE_ENV=production) the inspector is not mounted, and the front page does not link to it', async () => {
    const client = new Client()
    const home = await client.go(app.url)
    expect(home.text).not.toContain('_inspect')
    await client.submit(`${app.url}/session`, { email: EMAIL, name: NAME, returnTo: '/' })
    for (const headers of [{}, { accept: 'application/json' }] as Record<string, string>[]) {
      const res = await client.request(`${app.url}/sso/_inspect`, { headers })
      // The route handler's own 404: `sso` answered null, no vendor route there.
      expect(res.status).toBe(404)
      expect(await res.text()).toBe('Not found')
    }
  })

  it("the server's log holds no secret, token or email", () => {
    const log = app.log
    expect(log).toContain('[sso]')
    for (const secret of secretsOf(app)) expect(log).not.toContain(secret)
    expect(log).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)
    expect(log).not.toContain(EMAIL)
  })
})
