import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE,
  configErrorOf,
  KONNEC,
  type KonnecApi,
  konnecFixture,
  startApp,
  startKonnec,
  type TestApp,
} from '@sso/fixtures'
import { konnec, type KonnecOptions } from '../../src/index'
import { escapeHtml } from '../../src/vendor-kit'
import { runVendorContract } from './contract'

runVendorContract(konnecFixture)

/** Resets a Konnec simulator between tests: no faults, no records (its users stay). */
const reset = (api: KonnecApi) => {
  api.sim.clearFaults()
  api.sim.clearRecords()
  api.received.length = 0
}
/** The API calls Konnec's simulator answered, in order. */
const actions = (api: KonnecApi) => api.sim.responses.map((r) => r.action)

describe('konnec', () => {
  let api: KonnecApi
  let app: TestApp | undefined
  beforeAll(async () => {
    api = await startKonnec({ record: true })
  })
  afterAll(() => api.close())
  beforeEach(() => reset(api))
  afterEach(async () => {
    await app?.close()
    app = undefined
  })
  const start = async (extra: Partial<KonnecOptions> = {}) => {
    app = await startApp({
      vendors: [konnec({ apiBaseUrl: api.url, ...KONNEC, retryDelayMs: 10, ...extra })],
      loginUrl: '/login',
    })
    return app
  }
  const login = async (a: TestApp) => a.get('/sso/konnec/login')
  const expectUnavailable = async (response: Response, status: number) => {
    expect(response.status).toBe(status)
    const body = await response.text()
    expect(body).toContain('ERR_SSO_VENDOR_UNAVAILABLE')
    expect(body).not.toContain(KONNEC.apiKey)
    expect(body).not.toContain(ALICE.id)
    expect(response.headers.get('location')).toBeNull()
  }

  it('calls update then generate-token with the org headers, and redirects with the refresh token', async () => {
    const a = await start({ appUrl: 'https://app.konnec.to/home' })
    a.user = { ...ALICE, username: 'alice l', picture: 'https://cdn.example/a.png' }
    const response = await login(a)
    expect(response.status).toBe(302)
    expect(api.received.map((c) => [c.method, c.action])).toEqual([
      ['POST', 'update'],
      ['POST', 'generate-token'],
    ])
    for (const call of api.received) {
      expect(call.headers['x-org-id']).toBe(KONNEC.orgId)
      expect(call.headers['x-api-key']).toBe(KONNEC.apiKey)
      expect(call.headers['content-type']).toBe('application/json')
      expect(call.username).toBe('alice l')
    }
    expect(JSON.parse(api.received[0]?.body ?? '')).toEqual({
      name: 'Alice Liddell',
      role: 'USER',
      picture: 'https://cdn.example/a.png',
    })
    expect(api.received[1]?.body).toBe('')
    // Konnec itself accepted both calls and holds the user as the update set it.
    expect(api.sim.responses.map((r) => (r.status ?? 0) < 300)).toEqual([true, true])
    expect(api.sim.users.get('alice l')).toEqual({
      username: 'alice l',
      name: 'Alice Liddell',
      role: 'USER',
      picture: 'https://cdn.example/a.png',
    })
    const location = new URL(response.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe('https://app.konnec.to/home')
    expect(api.sim.issued.has(location.searchParams.get('refresh-token') ?? '')).toBe(true)
  })

  it('uses the username option and encodes it as one path segment', async () => {
    const a = await start({ username: (u) => `${u.email}/../admin`, role: 'ADMIN' })
    expect((await login(a)).status).toBe(302)
    expect(api.received[0]?.username).toBe(`${ALICE.email}/../admin`)
    expect(JSON.parse(api.received[0]?.body ?? '').role).toBe('ADMIN')
    expect(api.sim.users.get(`${ALICE.email}/../admin`)?.role).toBe('ADMIN')
  })

  it.each([
    ['refresh_token', { kind: 'token-field', field: 'refresh_token' }],
    ['token', { kind: 'token-field', field: 'token' }],
    ['a plain-text body', { kind: 'plain-token', contentType: 'text/plain; charset=utf-8' }],
  ] as const)('reads the refresh token from %s', async (_, fault) => {
    api.sim.inject(fault)
    const response = await login(await start())
    expect(response.status).toBe(302)
    const token =
      new URL(response.headers.get('location') ?? '').searchParams.get('refresh-token') ?? ''
    expect(api.sim.issued.has(token)).toBe(true)
  })

  it('takes a readToken override', async () => {
    api.sim.inject({ kind: 'token-field', field: 'weird' })
    const response = await login(await start({ readToken: (b) => (b as { weird?: string }).weird }))
    expect(response.status).toBe(302)
  })

  it('answers 502 when the answer holds no token', async () => {
    api.sim.inject({ kind: 'token-field', field: 'nothing' })
    await expectUnavailable(await login(await start()), 502)
  })

  it('answers 504 when Konnec hangs past the timeout, without retrying', async () => {
    api.sim.inject({ kind: 'hang' })
    const started = performance.now()
    await expectUnavailable(await login(await start({ timeoutMs: 200 })), 504)
    expect(performance.now() - started).toBeLessThan(3000)
    expect(actions(api)).toEqual(['update'])
  })

  it.each([502, 503, 504])('retries once after a %i and succeeds', async (status) => {
    api.sim.inject({ kind: 'status', status, times: 1 })
    const response = await login(await start())
    expect(response.status).toBe(302)
    expect(actions(api)).toEqual(['update', 'update', 'generate-token'])
  })

  it('retries once after a connection reset and succeeds', async () => {
    api.sim.inject({ kind: 'reset', times: 1 })
    const response = await login(await start())
    expect(response.status).toBe(302)
    expect(actions(api)).toEqual(['update', 'update', 'generate-token'])
  })

  it('gives up with a 502 after a second reset', async () => {
    api.sim.inject({ kind: 'reset', times: 2 })
    await expectUnavailable(await login(await start()), 502)
    expect(actions(api)).toEqual(['update', 'update'])
  })

  it.each([500, 400, 404])('does not retry a %i and answers 502', async (status) => {
    api.sim.inject({ kind: 'status', status })
    await expectUnavailable(await login(await start()), 502)
    expect(actions(api)).toEqual(['update'])
  })

  it.each([502, 503, 504])(
    'gives up after exactly one retry of a %i that persists: two calls, then a 502',
    async (status) => {
      api.sim.inject({ kind: 'status', status })
      const response = await login(await start())
      await expectUnavailable(response, 502)
      expect(actions(api)).toEqual(['update', 'update'])
    },
  )

  it('answers 502, not 500, for a wrong API key', async () => {
    await expectUnavailable(await login(await start({ apiKey: 'wrong-key-0123456789' })), 502)
    // Konnec refused the key (401), and a 401 is not retried.
    expect(api.sim.responses.map((r) => [r.action, r.status])).toEqual([['update', 401]])
    expect(api.received[0]?.headers['x-api-key']).toBe('wrong-key-0123456789')
  })

  it('answers 502 for malformed JSON', async () => {
    api.sim.inject({ kind: 'malformed', on: 'generate-token' })
    await expectUnavailable(await login(await start()), 502)
  })

  it('answers 502 when Konnec is down', async () => {
    app = await startApp({
      vendors: [konnec({ apiBaseUrl: 'http://127.0.0.1:9', ...KONNEC, retryDelayMs: 1 })],
    })
    await expectUnavailable(await login(app), 502)
  })

  it('needs no email and accepts an unverified one (Konnec links by username)', async () => {
    const a = await start()
    a.user = { id: 'user-7', email: '', emailVerified: false }
    expect((await login(a)).status).toBe(302)
  })
})

describe('konnec upstream hardening', () => {
  let api: KonnecApi
  /** Another origin: where a redirect would take the key. It must receive nothing. */
  let elsewhere: KonnecApi
  let app: TestApp | undefined
  beforeAll(async () => {
    api = await startKonnec({ record: true })
    elsewhere = await startKonnec({ record: true })
  })
  afterAll(async () => {
    await api.close()
    await elsewhere.close()
  })
  beforeEach(() => {
    reset(api)
    reset(elsewhere)
  })
  afterEach(async () => {
    await app?.close()
    app = undefined
  })
  const start = async (extra: Partial<KonnecOptions> = {}) => {
    app = await startApp({
      vendors: [konnec({ apiBaseUrl: api.url, ...KONNEC, retryDelayMs: 10, ...extra })],
      exposeErrors: true,
    })
    return app
  }
  const login = async (a: TestApp) => a.get('/sso/konnec/login')
  const expectUnavailable = async (response: Response, status: number, message: string) => {
    expect(response.status).toBe(status)
    const body = await response.text()
    expect(body).toContain('ERR_SSO_VENDOR_UNAVAILABLE')
    expect(body).toContain(escapeHtml(message))
    expect(body).not.toContain(KONNEC.apiKey)
    expect(body).not.toContain(ALICE.id)
    expect(body).not.toContain('127.0.0.1')
    expect(response.headers.get('location')).toBeNull()
  }
  /** Resolves when every answer the API gave has had its socket closed. */
  const answersClosed = () => Promise.all(api.sim.responses.map((r) => r.closed))
  /** The answers an injected fault shaped (the fake's streamed bodies). */
  const faulted = (kind: string) => api.sim.responses.filter((r) => r.fault === kind)

  describe('usernames become one safe path segment', () => {
    it.each([
      ['.', 'user.username'],
      ['..', 'user.username'],
      ['.', 'the username option'],
      ['..', 'the username option'],
    ])(
      'refuses the username %j (from %s) with a 422 naming the field, calling nobody',
      async (name, from) => {
        const a = await start(from === 'the username option' ? { username: () => name } : {})
        a.user = { ...ALICE, username: name }
        const response = await login(a)
        expect(response.status).toBe(422)
        const body = await response.text()
        expect(body).toContain('ERR_SSO_USER_INVALID')
        expect(body).toContain(
          escapeHtml(
            'The Konnec `username` must not be "." or ".." (the URL parser would collapse it).',
          ),
        )
        expect(response.headers.get('location')).toBeNull()
        expect(api.sim.requests).toEqual([])
      },
    )

    it('refuses a username holding a lone surrogate with a 422, not a 500', async () => {
      const a = await start()
      a.user = { ...ALICE, username: 'al\uD800ice' }
      const response = await login(a)
      expect(response.status).toBe(422)
      const body = await response.text()
      expect(body).toContain('ERR_SSO_USER_INVALID')
      expect(body).toContain('`username`')
      expect(api.sim.requests).toEqual([])
    })

    it.each([
      ['%2e%2e', '%252e%252e'],
      ['%2E.', '%252E.'],
      ['...', '...'],
      ['.alice', '.alice'],
      ['a/../b', 'a%2F..%2Fb'],
      ["o'neil!(x)*", 'o%27neil%21%28x%29%2A'],
      ['é ~_-', '%C3%A9%20~_-'],
    ])('sends the username %j as the one segment %s', async (name, segment) => {
      const a = await start()
      a.user = { ...ALICE, username: name }
      const response = await login(a)
      expect(response.status).toBe(302)
      expect(api.sim.requests).toEqual([
        `/api/organization/${KONNEC.orgId}/user/${segment}/update`,
        `/api/organization/${KONNEC.orgId}/user/${segment}/generate-token`,
      ])
      expect(api.received.map((c) => c.username)).toEqual([name, name])
      expect(api.sim.users.has(name)).toBe(true)
    })
  })

  describe('redirects are never followed', () => {
    it.each([301, 302, 303, 307, 308])(
      'answers 502 to a %i from the API; the redirect target receives nothing',
      async (status) => {
        api.sim.inject({
          kind: 'redirect',
          status,
          location: `${elsewhere.url}/api/organization/${KONNEC.orgId}/user/${ALICE.id}/update`,
        })
        const response = await login(await start())
        await expectUnavailable(
          response,
          502,
          `Konnec's update call answered a redirect (${status}); redirects are not followed.`,
        )
        expect(elsewhere.sim.requests).toEqual([])
        expect(elsewhere.received).toEqual([])
        expect(actions(api)).toEqual(['update'])
      },
    )
  })

  describe('answer bodies are bounded while they stream', () => {
    it.each([true, false])(
      'accepts an answer of exactly 64 KiB (Content-Length: %s)',
      async (contentLength) => {
        api.sim.inject({ kind: 'body-size', bytes: 64 * 1024, contentLength, on: 'generate-token' })
        const response = await login(await start())
        expect(response.status).toBe(302)
        expect(faulted('body-size')).toMatchObject([{ bytesWritten: 64 * 1024, finished: true }])
      },
    )

    it.each([true, false])(
      'refuses an answer of 64 KiB + 1 with a 502 (Content-Length: %s)',
      async (contentLength) => {
        api.sim.inject({
          kind: 'body-size',
          bytes: 64 * 1024 + 1,
          contentLength,
          on: 'generate-token',
        })
        await expectUnavailable(
          await login(await start()),
          502,
          "Konnec's generate-token answer is too large.",
        )
        expect(actions(api)).toEqual(['update', 'generate-token'])
      },
    )

    it('refuses a Content-Length over the limit before reading, and closes the socket', async () => {
      api.sim.inject({ kind: 'announce', contentLength: 400 * 1024 * 1024, on: 'generate-token' })
      // The body never comes: reading it would end in the 504 of the timeout.
      await expectUnavailable(
        await login(await start({ timeoutMs: 2000 })),
        502,
        "Konnec's generate-token answer is too large.",
      )
      await answersClosed()
      expect(faulted('announce')).toMatchObject([{ bytesWritten: 0, closedEarly: true }])
    })

    it('cancels an answer that never ends as soon as it passes the limit', async () => {
      api.sim.inject({ kind: 'endless', on: 'generate-token' })
      await expectUnavailable(
        await login(await start({ timeoutMs: 3000 })),
        502,
        "Konnec's generate-token answer is too large.",
      )
      await answersClosed()
      const [stream, ...more] = faulted('endless')
      expect(more).toEqual([])
      expect(stream?.finished).toBe(false)
      expect(stream?.closedEarly).toBe(true)
      // Socket buffers on both sides hold a few MiB; the limit is what the middleware keeps.
      expect(stream?.bytesWritten).toBeLessThan(16 * 1024 * 1024)
    })

    it('stops reading a 64 MiB chunked answer early instead of buffering it', async () => {
      api.sim.inject({
        kind: 'body-size',
        bytes: 64 * 1024 * 1024,
        contentLength: false,
        on: 'generate-token',
      })
      await expectUnavailable(
        await login(await start()),
        502,
        "Konnec's generate-token answer is too large.",
      )
      await answersClosed()
      const [stream, ...more] = faulted('body-size')
      expect(more).toEqual([])
      expect(stream?.finished).toBe(false)
      expect(stream?.closedEarly).toBe(true)
      expect(stream?.bytesWritten).toBeLessThan(16 * 1024 * 1024)
    })
  })
})

describe('konnec configuration', () => {
  it.each([
    [{ apiBaseUrl: 'http://api.konnec.to', orgId: 'o', apiKey: 'k' }, /must use https/],
    [{ apiBaseUrl: 'https://api.konnec.to', orgId: '', apiKey: 'k' }, /`orgId` is required/],
    [{ apiBaseUrl: 'https://api.konnec.to', orgId: 'o' }, /`apiKey` is required/],
    [
      { apiBaseUrl: 'https://api.konnec.to', orgId: 'o', apiKey: 'k', timeoutMs: -1 },
      /`timeoutMs`/,
    ],
    [{ apiBaseUrl: 'not a url', orgId: 'o', apiKey: 'k' }, /absolute URL/],
    [
      {
        apiBaseUrl: 'https://api.konnec.to',
        orgId: 'o',
        apiKey: 'k',
        appUrl: 'javascript:alert(1)',
      },
      /https/,
    ],
    [
      { apiBaseUrl: 'https://api.konnec.to', orgId: '..', apiKey: 'k' },
      /^konnec\(\): `orgId` must not be "\." or "\.\." \(the URL parser would collapse it\)\.$/,
    ],
    [
      { apiBaseUrl: 'https://api.konnec.to', orgId: 'o', apiKey: 'k\r\nx-admin: 1' },
      /^konnec\(\): `apiKey` is sent as a header, so it must not hold control characters or line breaks\.$/,
    ],
    [
      { apiBaseUrl: 'https://api.konnec.to', orgId: 'o', apiKey: ' k' },
      /`apiKey` is sent as a header, so it must not start or end with a space/,
    ],
    [
      { apiBaseUrl: 'https://api.konnec.to', orgId: 'org€', apiKey: 'k' },
      /`orgId` is sent as a header, so it must hold only Latin-1 characters/,
    ],
    [
      { apiBaseUrl: 'https://api.konnec.to', orgId: '.', apiKey: 'k' },
      /`orgId` must not be "\." or "\.\."/,
    ],
  ])('refuses %j at construction', (options, message) => {
    const caught = configErrorOf(() => konnec(options as never), message)
    expect(caught.message).not.toContain('"k"')
  })
})
