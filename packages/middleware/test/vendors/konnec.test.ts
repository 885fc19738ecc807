import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { konnec, type KonnecOptions } from '../../src/index'
import { ALICE, startApp, type TestApp, configErrorOf } from './harness'
import { KONNEC, startKonnecApi } from './konnec-api'

describe('konnec', () => {
  let api: Awaited<ReturnType<typeof startKonnecApi>>
  let app: TestApp | undefined
  beforeAll(async () => {
    api = await startKonnecApi()
  })
  afterAll(() => api.close())
  beforeEach(() => {
    api.setMode({ kind: 'ok' })
    api.calls.length = 0
  })
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
    expect(api.calls.map((c) => c.action)).toEqual(['update', 'generate-token'])
    for (const call of api.calls) {
      expect(call.headers['x-org-id']).toBe(KONNEC.orgId)
      expect(call.headers['x-api-key']).toBe(KONNEC.apiKey)
      expect(call.headers['content-type']).toBe('application/json')
      expect(call.username).toBe('alice l')
    }
    expect(JSON.parse(api.calls[0]?.body ?? '')).toEqual({
      name: 'Alice Liddell',
      role: 'USER',
      picture: 'https://cdn.example/a.png',
    })
    expect(api.calls[1]?.body).toBe('')
    const location = new URL(response.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe('https://app.konnec.to/home')
    expect(api.issued.has(location.searchParams.get('refresh-token') ?? '')).toBe(true)
  })

  it('uses the username option and encodes it as one path segment', async () => {
    const a = await start({ username: (u) => `${u.email}/../admin`, role: 'ADMIN' })
    await login(a)
    expect(api.calls[0]?.username).toBe(`${ALICE.email}/../admin`)
    expect(JSON.parse(api.calls[0]?.body ?? '').role).toBe('ADMIN')
  })

  it.each([
    ['refresh_token', { kind: 'field', field: 'refresh_token' }],
    ['token', { kind: 'field', field: 'token' }],
    ['a plain-text body', { kind: 'plain' }],
  ] as const)('reads the refresh token from %s', async (_, mode) => {
    api.setMode(mode)
    const response = await login(await start())
    expect(response.status).toBe(302)
    const token =
      new URL(response.headers.get('location') ?? '').searchParams.get('refresh-token') ?? ''
    expect(api.issued.has(token)).toBe(true)
  })

  it('takes a readToken override', async () => {
    api.setMode({ kind: 'field', field: 'weird' })
    const response = await login(await start({ readToken: (b) => (b as { weird?: string }).weird }))
    expect(response.status).toBe(302)
  })

  it('answers 502 when the answer holds no token', async () => {
    api.setMode({ kind: 'field', field: 'nothing' })
    await expectUnavailable(await login(await start()), 502)
  })

  it('answers 504 when Konnec hangs past the timeout, without retrying', async () => {
    api.setMode({ kind: 'hang' })
    const started = performance.now()
    await expectUnavailable(await login(await start({ timeoutMs: 200 })), 504)
    expect(performance.now() - started).toBeLessThan(3000)
    expect(api.calls).toHaveLength(1)
  })

  it.each([502, 503, 504])('retries once after a %i and succeeds', async (status) => {
    api.setMode({ kind: 'status', status, times: 1 })
    const response = await login(await start())
    expect(response.status).toBe(302)
    expect(api.calls.map((c) => c.action)).toEqual(['update', 'update', 'generate-token'])
  })

  it('retries once after a connection reset and succeeds', async () => {
    api.setMode({ kind: 'reset', times: 1 })
    const response = await login(await start())
    expect(response.status).toBe(302)
    expect(api.calls.map((c) => c.action)).toEqual(['update', 'update', 'generate-token'])
  })

  it('gives up with a 502 after a second reset', async () => {
    api.setMode({ kind: 'reset', times: 2 })
    await expectUnavailable(await login(await start()), 502)
    expect(api.calls).toHaveLength(2)
  })

  it.each([500, 400, 404])('does not retry a %i and answers 502', async (status) => {
    api.setMode({ kind: 'status', status })
    await expectUnavailable(await login(await start()), 502)
    expect(api.calls).toHaveLength(1)
  })

  it('answers 502, not 500, for a wrong API key', async () => {
    await expectUnavailable(await login(await start({ apiKey: 'wrong-key-0123456789' })), 502)
  })

  it('answers 502 for malformed JSON', async () => {
    api.setMode({ kind: 'malformed' })
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
  ])('refuses %j at construction', (options, message) => {
    const caught = configErrorOf(() => konnec(options as never), message)
    expect(caught.message).not.toContain('"k"')
  })
})
