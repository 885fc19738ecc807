// Classes of defects a security review found (issue #10), tested as classes on every host:
// app hooks that throw or reject, results and locations that cannot be written, state-changing
// routes reached by HEAD or by a subresource, and the Komo origin check on every transport.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createHttp2Server, connect as http2Connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  bettermode,
  comm100,
  defineVendor,
  type KonnecOptions,
  komo,
  konnec,
  type SsoEvent,
  ssoMiddleware,
  type Vendor,
  type VendorResult,
} from '../../src/index'
import {
  acme,
  ADA,
  type AnyOptions,
  byName,
  FETCH_ORIGIN,
  HOSTS,
  HS256_SECRET,
  listen,
  type Listening,
  type Running,
} from '@sso/fixtures'
import { KONNEC, type KonnecApi, startKonnec } from '@sso/fixtures'

/** Unhandled rejections seen while a test runs: each one would have crashed a real process. */
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
})

/** Lets pending rejections surface (they are reported after the microtask queue drains). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

/** After a test: no rejection went unhandled while it ran. */
async function expectNoUnhandledRejection() {
  await settle()
  expect(unhandled).toEqual([])
  unhandled.length = 0
}

const failing = (kind: 'throw' | 'reject') =>
  kind === 'throw'
    ? () => {
        throw new Error('hook failed: password=hunter2')
      }
    : async () => {
        throw new Error('hook failed: password=hunter2')
      }

/** A custom vendor whose one route returns whatever `result` gives. */
function returning(result: () => unknown): Vendor {
  return defineVendor({
    id: 'odd',
    routes: [
      {
        name: 'page',
        method: 'GET',
        path: '/odd/page',
        kind: 'browser',
        handle: () => result() as VendorResult,
      },
      {
        name: 'api',
        method: 'POST',
        path: '/odd/api',
        kind: 'api',
        handle: () => result() as VendorResult,
      },
    ],
  })
}

const bigint = BigInt(1)
const circular: Record<string, unknown> = {}
circular.self = circular

describe.each(byName(HOSTS))('%s', (_name, host) => {
  let running: Running | undefined
  const start = async (options: Partial<AnyOptions>) => {
    running = await host.start({ getUser: () => ADA, vendors: [acme()], ...options } as AnyOptions)
    await running.ready
    return running
  }
  afterEach(async () => {
    await running?.close()
    running = undefined
    await expectNoUnhandledRejection()
  })

  describe('app hooks that throw or reject never crash the process', () => {
    it.each(['throw', 'reject'] as const)(
      'an onEvent that %ss leaves every answer as it was',
      async (kind) => {
        const app = await start({ onEvent: failing(kind), loginUrl: '/login' })
        // An unauthenticated bad link emits `request.refused`: the reported crash.
        const bad = await app.send('/sso/acme/login?x=%ZZ')
        expect(bad.status).toBe(400)
        expect(bad.body).toContain('ERR_SSO_BAD_REQUEST')
        const good = await app.send('/sso/acme/login')
        expect(good.status).toBe(302)
        expect(new URL(good.headers.get('location') ?? '').searchParams.get('jwt')).toBeTruthy()
        const boom = await app.send('/sso/acme/boom')
        expect(boom.status).toBe(500)
      },
    )

    it.each(['throw', 'reject'] as const)(
      'a getUser that %ss is a 500 ERR_SSO_GET_USER_FAILED',
      async (kind) => {
        const app = await start({ getUser: failing(kind) })
        const sent = await app.send('/sso/acme/login')
        expect(sent.status).toBe(500)
        expect(sent.body).toContain('ERR_SSO_GET_USER_FAILED')
        expect(sent.body).not.toContain('hunter2')
      },
    )

    it.each(['throw', 'reject'] as const)(
      'an onLogout that %ss is a 500 ERR_SSO_INTERNAL, and nothing leaks',
      async (kind) => {
        const app = await start({
          vendors: [comm100({ secret: HS256_SECRET })],
          onLogout: failing(kind),
        })
        const sent = await app.send('/sso/comm100/logout')
        expect(sent.status).toBe(500)
        expect(sent.body).toContain('ERR_SSO_INTERNAL')
        expect(sent.body).not.toContain('hunter2')
        expect(sent.headers.get('location')).toBeNull()
      },
    )

    it.each(['throw', 'reject'] as const)(
      'a loginUrl function that %ss is a 500 ERR_SSO_INTERNAL',
      async (kind) => {
        const events: SsoEvent[] = []
        const app = await start({
          getUser: () => null,
          loginUrl: failing(kind),
          onEvent: (e) => void events.push(e),
        })
        const sent = await app.send('/sso/acme/login')
        expect(sent.status).toBe(500)
        expect(sent.body).toContain('ERR_SSO_INTERNAL')
        expect(sent.body).not.toContain('hunter2')
        expect(events.map((e) => [e.type, e.code])).toEqual([
          ['login.required', 'ERR_SSO_UNAUTHENTICATED'],
          ['error', 'ERR_SSO_INTERNAL'],
        ])
      },
    )

    it('awaits an async loginUrl function', async () => {
      const app = await start({
        getUser: () => null,
        loginUrl: async (returnTo) => `/signin?next=${encodeURIComponent(returnTo)}`,
      })
      const sent = await app.send('/sso/acme/login?a=1')
      expect(sent.status).toBe(302)
      expect(sent.headers.get('location')).toBe('/signin?next=%2Fsso%2Facme%2Flogin%3Fa%3D1')
    })

    it.each(['throw', 'reject'] as const)(
      "a vendor's claims hook that %ss is a 500 and no token",
      async (kind) => {
        const app = await start({
          vendors: [
            bettermode({
              secret: HS256_SECRET,
              communityUrl: 'https://community.acme.example',
              claims: failing(kind),
            }),
          ],
        })
        const sent = await app.send('/sso/bettermode/login')
        expect(sent.status).toBe(500)
        expect(sent.body).toContain('ERR_SSO_INTERNAL')
        expect(sent.headers.get('location')).toBeNull()
      },
    )
  })

  describe('what cannot be written is a 500, never a throw in the adapter', () => {
    it.each([
      ['a non-Latin-1 character', () => '/login?next=\u2603'],
      ['a CR/LF (header injection)', () => '/login\r\nSet-Cookie: a=b'],
      ['a space', () => '/login?a b'],
      ['an empty string', () => ''],
      ['a protocol-relative URL', () => '//evil.example/login'],
      ['not a string', () => 42],
      ['a promise of a non-string', async () => ({ href: '/login' })],
    ])('a loginUrl function returning %s', async (_name, loginUrl) => {
      const app = await start({ getUser: () => null, loginUrl: loginUrl as () => string })
      const sent = await app.send('/sso/acme/login')
      expect(sent.status).toBe(500)
      expect(sent.body).toMatch(/ERR_SSO_(INTERNAL|CONFIG)/)
      expect(sent.headers.get('location')).toBeNull()
      expect(sent.headers.get('set-cookie')).toBeNull()
      // The next request is served as usual: the process is alive.
      expect((await app.send('/sso/acme/token', { method: 'POST' })).status).toBe(401)
    })

    it.each([
      ['status 1000', () => ({ kind: 'html', status: 1000, body: 'x' })],
      ['status 99', () => ({ kind: 'json', status: 99, body: {} })],
      ['status 200.5', () => ({ kind: 'html', status: 200.5, body: 'x' })],
      ['status "200"', () => ({ kind: 'html', status: '200', body: 'x' })],
      ['a BigInt in JSON', () => ({ kind: 'json', body: { n: bigint } })],
      ['a circular JSON body', () => ({ kind: 'json', body: circular })],
      ['an undefined JSON body', () => ({ kind: 'json', body: undefined })],
      ['a non-string HTML body', () => ({ kind: 'html', body: { toString: () => 'x' } })],
      ['no result', () => undefined],
      ['an unknown kind', () => ({ kind: 'stream', body: 'x' })],
      ['a redirect with no location', () => ({ kind: 'redirect', allow: 'configured' })],
      [
        'a configured redirect holding a newline',
        () => ({ kind: 'redirect', location: 'https://a.example/\nx', allow: 'configured' }),
      ],
      [
        'a configured redirect holding non-ASCII',
        () => ({ kind: 'redirect', location: 'https://a.example/\u00e9', allow: 'configured' }),
      ],
    ])('a custom vendor returning %s', async (_name, result) => {
      const app = await start({ vendors: [returning(result)] })
      for (const [path, init] of [
        ['/sso/odd/page', undefined],
        ['/sso/odd/api', { method: 'POST' }],
      ] as const) {
        const sent = await app.send(path, init)
        expect(sent.status, path).toBe(500)
        expect(sent.body, path).toContain('ERR_SSO_INTERNAL')
        expect(sent.headers.get('location'), path).toBeNull()
      }
    })
  })

  describe('state-changing routes (logout) run for a page navigation only', () => {
    const logouts = [
      ['comm100', () => comm100({ secret: HS256_SECRET })],
      [
        'bettermode',
        () => bettermode({ secret: HS256_SECRET, communityUrl: 'https://community.acme.example' }),
      ],
    ] as const

    it.each(logouts)('HEAD on the %s logout is a 405 and never runs onLogout', async (id, make) => {
      let loggedOut = 0
      const app = await start({ vendors: [make()], onLogout: () => void loggedOut++ })
      const head = await app.send(`/sso/${id}/logout`, { method: 'HEAD' })
      expect(head.status).toBe(405)
      expect(head.headers.get('allow')).toBe('GET')
      expect(loggedOut).toBe(0)
      const get = await app.send(`/sso/${id}/logout`)
      expect(get.status).toBe(302)
      expect(loggedOut).toBe(1)
    })

    it.each(
      logouts.flatMap(([id, make]) =>
        ['image', 'script', 'iframe', 'empty', 'style', 'object', 'embed'].map(
          (dest) => [id, dest, make] as const,
        ),
      ),
    )('the %s logout refuses Sec-Fetch-Dest: %s with a 403', async (id, dest, make) => {
      let loggedOut = 0
      const events: SsoEvent[] = []
      const app = await start({
        vendors: [make()],
        onLogout: () => void loggedOut++,
        onEvent: (e) => void events.push(e),
      })
      const sent = await app.send(`/sso/${id}/logout`, { headers: { 'sec-fetch-dest': dest } })
      expect(sent.status).toBe(403)
      expect(sent.body).toContain('ERR_SSO_FORBIDDEN')
      expect(sent.headers.get('location')).toBeNull()
      expect(loggedOut).toBe(0)
      expect(events).toEqual([
        { type: 'request.refused', vendor: id, route: 'logout', code: 'ERR_SSO_FORBIDDEN' },
      ])
    })

    it.each(logouts)(
      'the %s logout runs for a navigation, or a browser that sends no Sec-Fetch-Dest',
      async (id, make) => {
        let loggedOut = 0
        const app = await start({ vendors: [make()], onLogout: () => void loggedOut++ })
        const nav = await app.send(`/sso/${id}/logout`, {
          headers: { 'sec-fetch-dest': 'document', 'sec-fetch-site': 'cross-site' },
        })
        expect(nav.status).toBe(302)
        expect((await app.send(`/sso/${id}/logout`)).status).toBe(302)
        expect(loggedOut).toBe(2)
      },
    )

    it('applies to a custom route marked sideEffects', async () => {
      let ran = 0
      const vendor = defineVendor({
        id: 'custom',
        routes: [
          {
            name: 'unlink',
            method: 'GET',
            path: '/custom/unlink',
            kind: 'browser',
            sideEffects: true,
            handle: () => {
              ran++
              return { kind: 'redirect', location: '/', allow: 'relative' }
            },
          },
        ],
      })
      const app = await start({ vendors: [vendor] })
      expect((await app.send('/sso/custom/unlink', { method: 'HEAD' })).status).toBe(405)
      const img = await app.send('/sso/custom/unlink', { headers: { 'sec-fetch-dest': 'image' } })
      expect(img.status).toBe(403)
      expect(ran).toBe(0)
      expect((await app.send('/sso/custom/unlink')).status).toBe(302)
      expect(ran).toBe(1)
    })
  })
})

describe('Komo: the token endpoint compares whole origins', () => {
  const connectHosts = HOSTS.filter((h) => h.name.startsWith('ssoMiddleware'))

  describe.each(byName(connectHosts))('%s', (_name, host) => {
    let running: Running | undefined
    afterEach(async () => {
      await running?.close()
    })
    const start = async () => {
      running = await host.start({
        getUser: () => ADA,
        vendors: [komo({ secret: HS256_SECRET })],
      } as AnyOptions)
      await running.ready
      return running
    }
    const post = (app: Running, origin: string) =>
      app.send('/sso/komo/token', { method: 'POST', headers: { origin } })

    it.each([
      ['https: for an http: site', (port: number) => `https://127.0.0.1:${port}`],
      ['another port', (port: number) => `http://127.0.0.1:${port + 1}`],
      ['another host', (port: number) => `http://localhost:${port}`],
      ['null', () => 'null'],
      ['something that is no origin', () => 'not an origin'],
    ])('refuses an Origin of %s with 403 ERR_SSO_FORBIDDEN', async (_name, origin) => {
      const app = await start()
      const sent = await post(app, origin(Number(new URL(app.url ?? '').port)))
      expect(sent.status).toBe(403)
      expect(sent.body).toContain('ERR_SSO_FORBIDDEN')
    })

    it('serves an Origin equal to its own, port included', async () => {
      const app = await start()
      const sent = await post(app, app.url ?? '')
      expect(sent.status).toBe(200)
      expect(JSON.parse(sent.body).token).toMatch(/^eyJ/)
    })
  })

  it('ssoHandler serves a same-origin browser when the runtime passes no Host header', async () => {
    const { ssoHandler } = await import('../../src/index')
    const handler = ssoHandler({ getUser: () => ADA, vendors: [komo({ secret: HS256_SECRET })] })
    const request = new Request(`${FETCH_ORIGIN}/sso/komo/token`, {
      method: 'POST',
      headers: { origin: FETCH_ORIGIN, 'sec-fetch-site': 'same-origin' },
    })
    expect(request.headers.get('host')).toBeNull()
    const response = await handler(request)
    expect(response?.status).toBe(200)
    const https = await handler(
      new Request(`${FETCH_ORIGIN}/sso/komo/token`, {
        method: 'POST',
        headers: { origin: FETCH_ORIGIN.replace('http:', 'https:') },
      }),
    )
    expect(https?.status).toBe(403)
  })
})

describe('the Connect adapter survives a failing write or next()', () => {
  let server: Listening | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
    await expectNoUnhandledRejection()
  })
  const middleware = () => ssoMiddleware({ getUser: () => ADA, vendors: [acme()] })

  it('answers a bare 500 when setting a header throws', async () => {
    const mw = middleware()
    server = await listen((req, res) => {
      const setHeader = res.setHeader.bind(res)
      let calls = 0
      res.setHeader = ((name: string, value: string) => {
        // A framework's patched response refusing the first header it is given.
        if (calls++ === 0) throw new TypeError('Invalid character in header content')
        return setHeader(name, value)
      }) as typeof res.setHeader
      mw(req, res, () => {
        res.statusCode = 404
        res.end()
      })
    })
    const response = await fetch(`${server.url}/sso/acme/profile`)
    expect(response.status).toBe(500)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.text()).toBe('Internal Server Error')
  })

  it('ends the response when the app handler that next() calls throws', async () => {
    const mw = middleware()
    server = await listen((req, res) =>
      mw(req, res, () => {
        throw new Error('the app handler failed')
      }),
    )
    // Under basePath but no route: the core answers null asynchronously, then next() throws.
    const response = await fetch(`${server.url}/sso/nothing/here`)
    expect(response.status).toBe(500)
  })
})

describe('Komo on HTTP/2 and behind a TLS-terminating proxy', () => {
  const komoMiddleware = () =>
    ssoMiddleware({ getUser: () => ADA, vendors: [komo({ secret: HS256_SECRET })] })

  /** POSTs to the token route over h2c: the client sends `:authority`, never `Host`. */
  async function h2Post(origin: (self: string) => string) {
    const mw = komoMiddleware()
    const server = createHttp2Server((req, res) =>
      mw(req as unknown as IncomingMessage, res as unknown as ServerResponse, () => {
        res.statusCode = 404
        res.end()
      }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const client = http2Connect(self)
    try {
      return await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = client.request({
          ':method': 'POST',
          ':path': '/sso/komo/token',
          origin: origin(self),
          'sec-fetch-site': 'same-origin',
        })
        let status = 0
        let body = ''
        stream.on('response', (headers) => {
          status = Number(headers[':status'])
        })
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => {
          body += chunk
        })
        stream.on('end', () => resolve({ status, body }))
        stream.on('error', reject)
        stream.end()
      })
    } finally {
      client.close()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  it('serves a same-origin browser over HTTP/2 (no Host, only :authority)', async () => {
    const sent = await h2Post((self) => self)
    expect(sent.status).toBe(200)
    expect(JSON.parse(sent.body).token).toMatch(/^eyJ/)
  })

  it('refuses an https: Origin for an h2c (http:) site over HTTP/2', async () => {
    const sent = await h2Post((self) => self.replace('http:', 'https:'))
    expect(sent.status).toBe(403)
    expect(sent.body).toContain('ERR_SSO_FORBIDDEN')
  })

  it.each([
    [true, 200],
    [false, 403],
  ])(
    "takes the scheme from Express's req.protocol (trust proxy %s → %i for an https: Origin)",
    async (trust, status) => {
      const app = express()
      app.set('trust proxy', trust)
      app.use(komoMiddleware())
      const server = await listen(app)
      try {
        const response = await fetch(`${server.url}/sso/komo/token`, {
          method: 'POST',
          headers: {
            origin: server.url.replace('http:', 'https:'),
            'x-forwarded-proto': 'https',
          },
        })
        expect(response.status).toBe(status)
      } finally {
        await server.close()
      }
    },
  )
})

describe('Konnec: the login writes to Konnec, so it is a state-changing route', () => {
  let api: KonnecApi
  let running: Running | undefined
  beforeAll(async () => {
    api = await startKonnec({ record: true })
  })
  afterAll(async () => {
    await api.close()
  })
  afterEach(async () => {
    await running?.close()
    running = undefined
    await settle()
    expect(unhandled).toEqual([])
    unhandled.length = 0
  })
  const start = async (extra: Partial<KonnecOptions> = {}) => {
    const host = HOSTS[0] as (typeof HOSTS)[number]
    running = await host.start({
      getUser: () => ADA,
      vendors: [konnec({ apiBaseUrl: api.url, ...KONNEC, retryDelayMs: 1, ...extra })],
    } as AnyOptions)
    return running
  }

  it('answers HEAD and a subresource request without calling Konnec', async () => {
    const app = await start()
    const before = api.sim.requests.length
    const head = await app.send('/sso/konnec/login', { method: 'HEAD' })
    expect(head.status).toBe(405)
    const img = await app.send('/sso/konnec/login', { headers: { 'sec-fetch-dest': 'image' } })
    expect(img.status).toBe(403)
    expect(api.sim.requests.length).toBe(before)
    const nav = await app.send('/sso/konnec/login', { headers: { 'sec-fetch-dest': 'document' } })
    expect(nav.status).toBe(302)
    expect(api.sim.requests.length).toBe(before + 2)
  })

  it.each(['throw', 'reject'] as const)(
    'a username hook that %ss is a 500, and Konnec is not called',
    async (kind) => {
      const app = await start({ username: failing(kind) })
      const before = api.sim.requests.length
      const sent = await app.send('/sso/konnec/login')
      expect(sent.status).toBe(500)
      expect(sent.body).not.toContain('hunter2')
      expect(api.sim.requests.length).toBe(before)
    },
  )

  it('awaits an async username and readToken', async () => {
    const app = await start({
      username: async (user) => `async-${user.id}`,
      readToken: async (body) => (body as { refreshToken?: string }).refreshToken,
    })
    const sent = await app.send('/sso/konnec/login')
    expect(sent.status).toBe(302)
    expect(
      new URL(sent.headers.get('location') ?? '').searchParams.get('refresh-token'),
    ).toBeTruthy()
    expect(api.received.at(-1)?.username).toBe(`async-${ADA.id}`)
    expect(api.sim.users.has(`async-${ADA.id}`)).toBe(true)
  })

  it.each(['throw', 'reject'] as const)('a readToken hook that %ss is a 500', async (kind) => {
    const app = await start({ readToken: failing(kind) })
    const sent = await app.send('/sso/konnec/login')
    expect(sent.status).toBe(500)
    expect(sent.headers.get('location')).toBeNull()
  })
})
