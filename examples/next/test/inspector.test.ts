// The development inspector on Next.js: with `next dev` only (under `next start`,
// NODE_ENV=production, it is not mounted: test/next.test.ts). A route handler cannot see the
// client's address, so `allow` (src/lib/inspector.ts) trusts the loopback address the dev
// server listens on, and refuses a request that names a proxy hop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  inspectorChecks,
  nonLoopbackAddress,
  proxyRefused,
  sharedVendorsExample,
} from '../../fastify/test/inspector'
import { type RunningNextExample, startNextExample } from '../serve'
import { inspectorAllowed } from '../src/lib/inspector'

describe('examples/next: next dev on 127.0.0.1, the development inspector at /sso/_inspect', () => {
  let app: RunningNextExample
  beforeAll(async () => {
    app = await startNextExample({ dev: true })
  }, 300_000)
  afterAll(() => app?.close())

  const example = () => sharedVendorsExample(app, '/session')
  inspectorChecks(example)
  proxyRefused(example)

  it("the dev server listens on 127.0.0.1 only: from the machine's other address, no connection", async () => {
    const port = new URL(app.url).port
    const refused = await fetch(`http://${nonLoopbackAddress()}:${port}/sso/_inspect`).then(
      () => 'answered',
      (error: Error) => (error.cause as { code?: string } | undefined)?.code,
    )
    expect(refused).toBe('ECONNREFUSED')
  })
})

describe("examples/next: inspectorAllowed, the inspector's rule without a client address", () => {
  const request = (headers: Record<string, string> = {}) =>
    new Request('http://127.0.0.1:3000/sso/_inspect', { headers })

  it.each([['127.0.0.1'], ['127.1.2.3'], ['::1'], ['[::1]']])(
    'admits requests when the server listens on %s (loopback)',
    (host) => {
      expect(inspectorAllowed(request(), host)).toBe(true)
      // As Next fills it in from a loopback socket.
      expect(inspectorAllowed(request({ 'x-forwarded-for': '127.0.0.1' }), host)).toBe(true)
      expect(inspectorAllowed(request({ 'x-forwarded-for': '::ffff:127.0.0.1' }), host)).toBe(true)
    },
  )

  it.each([
    ['unset (plain `next dev`)', undefined],
    ['empty', ''],
    ['every interface', '0.0.0.0'],
    ['every IPv6 interface', '::'],
    ['a name, not an address', 'localhost'],
    ['a LAN address', '192.168.1.20'],
    ['a look-alike', '127.0.0.1.example.com'],
  ])('admits nobody when the listening address is %s', (_kind, host) => {
    expect(inspectorAllowed(request(), host)).toBe(false)
  })

  it.each([
    ['forwarded', 'for=127.0.0.1'],
    ['x-real-ip', '127.0.0.1'],
    ['via', '1.1 tunnel'],
    ['x-forwarded-for', '203.0.113.9'],
    ['x-forwarded-for', '127.0.0.1, 203.0.113.9'],
    ['x-forwarded-for', '::ffff:10.0.0.1'],
  ])('refuses a request naming a proxy hop (%s: %s), even on loopback', (name, value) => {
    expect(inspectorAllowed(request({ [name]: value }), '127.0.0.1')).toBe(false)
  })
})
