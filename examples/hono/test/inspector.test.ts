// The development inspector on Hono: `ssoHandler` cannot see the client's address, so the app's
// `allow` reads the socket's from @hono/node-server (`getConnInfo(c)`) and admits loopback
// clients only, no proxy hop named; against the running example over real HTTP.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Client } from '../../express/test/client'
import {
  inspectorChecks,
  nonLoopbackRefused,
  proxyRefused,
  sharedVendorsExample,
} from '../../fastify/test/inspector'
import { createHonoApp } from '../src/app'
import { type RunningHonoExample, startHonoExample } from '../src/start'

describe('examples/hono: the development inspector at /sso/_inspect', () => {
  let app: RunningHonoExample
  beforeAll(async () => {
    app = await startHonoExample({ port: 0, onEvent: () => {} })
  })
  afterAll(() => app?.close())

  const example = () => sharedVendorsExample(app, '/login')
  inspectorChecks(example)
  proxyRefused(example)
  nonLoopbackRefused((host) => startHonoExample({ port: 0, host, onEvent: () => {} }))

  it('without a Node socket (Hono’s app.request(), no bindings) nobody is let in', async () => {
    const bare = createHonoApp({ env: app.simulators.env, onEvent: () => {} })
    const res = await bare.request('/sso/_inspect')
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('ERR_SSO_FORBIDDEN')
  })
})

describe('examples/hono under NODE_ENV=production', () => {
  it('does not mount the inspector: /sso/_inspect is the app’s 404', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    let app: RunningHonoExample | undefined
    try {
      app = await startHonoExample({ port: 0, onEvent: () => {} })
      const client = new Client()
      await sharedVendorsExample(app, '/login').logIn(client)
      const res = await client.request(`${app.url}/sso/_inspect`)
      expect(res.status).toBe(404)
      expect(await res.text()).toBe('404 Not Found')
    } finally {
      vi.unstubAllEnvs()
      await app?.close()
    }
  })
})
