// The development inspector on Fastify: `inspector: true` with the default rule (loopback clients
// only, no proxy hop named), which works because the plugin hands the core the socket's address.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Client } from '../../express/test/client'
import { type RunningDemo, startDemo } from '../src/demo'
import { SIMULATED_VENDORS } from '../src/vendors'
import {
  type InspectedExample,
  inspectorChecks,
  nonLoopbackRefused,
  proxyRefused,
} from './inspector'

const EMAIL = 'ada@example.com'

const logIn = async (url: string, client: Client) => {
  const done = await client.submit(`${url}/login`, { email: EMAIL, name: 'Ada', returnTo: '/' })
  expect(done.text).toContain(`Signed in to the demo app as <strong>${EMAIL}</strong>`)
}

describe('the Fastify demo: the development inspector at /sso/_inspect', () => {
  let demo: RunningDemo
  beforeAll(async () => {
    demo = await startDemo({ port: 0, onEvent: () => {} })
  })
  afterAll(() => demo.close())

  const example = (): InspectedExample => ({
    url: demo.url,
    vendorIds: Object.keys(SIMULATED_VENDORS),
    secrets: Object.values(demo.secrets),
    email: EMAIL,
    logIn: (client) => logIn(demo.url, client),
  })
  inspectorChecks(example)
  proxyRefused(example)
  nonLoopbackRefused((host) => startDemo({ port: 0, host, onEvent: () => {} }))
})

describe('the Fastify demo under NODE_ENV=production', () => {
  it('does not mount the inspector: /sso/_inspect is Fastify’s own 404, signed in or not', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    let demo: RunningDemo | undefined
    try {
      demo = await startDemo({ port: 0, onEvent: () => {} })
      const client = new Client()
      const before = await client.request(`${demo.url}/sso/_inspect`)
      expect(before.status).toBe(404)
      expect(await before.json()).toMatchObject({ message: 'Route GET:/sso/_inspect not found' })
      await logIn(demo.url, client)
      const after = await client.request(`${demo.url}/sso/_inspect`)
      expect(after.status).toBe(404)
      expect(await after.text()).not.toContain('SSO inspector')
      // The vendors' routes are still there.
      const token = await client.request(`${demo.url}/sso/komo/token`, {
        method: 'POST',
        headers: { origin: demo.url, 'sec-fetch-site': 'same-origin' },
      })
      expect(token.status).toBe(200)
    } finally {
      vi.unstubAllEnvs()
      await demo?.close()
    }
  })
})
