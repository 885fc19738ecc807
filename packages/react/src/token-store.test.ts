import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { deferred, json, jwt, stubTokenEndpoint } from '../test/helpers'
import { SsoError } from './errors'
import { createTokenStore, fetchTokenFrom } from './token-store'
import type { TokenFetcher, TokenResult } from './token-store'

const START = new Date('2030-01-01T00:00:00Z')
const nowSeconds = () => Math.floor(Date.now() / 1000)

/** The rejection of `promise`, for asserting its code and message. */
async function rejectionOf(promise: Promise<unknown>): Promise<SsoError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof SsoError) return error
    throw new Error(`expected an SsoError, got ${String(error)}`)
  }
  throw new Error('expected the promise to reject')
}

describe('createTokenStore', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('shares one request between concurrent callers', async () => {
    const response = deferred<TokenResult>()
    const fetchToken = vi.fn<TokenFetcher>(() => response.promise)
    const store = createTokenStore({ fetchToken })

    const calls = [store.getToken(), store.getToken(), store.getToken()]
    response.resolve({ token: 'shared', expiresAt: nowSeconds() + 3600 })

    expect(await Promise.all(calls)).toEqual(['shared', 'shared', 'shared'])
    expect(fetchToken).toHaveBeenCalledTimes(1)
  })

  it('reuses a token until refreshLeewayMs before expiresAt, then fetches a new one', async () => {
    let n = 0
    const fetchToken = vi.fn<TokenFetcher>(async () => ({
      token: `token-${++n}`,
      expiresAt: nowSeconds() + 3600,
    }))
    const store = createTokenStore({ fetchToken, refreshLeewayMs: 60_000 })

    expect(await store.getToken()).toBe('token-1')
    vi.setSystemTime(START.getTime() + 3_540_000 - 1) // one ms before the refresh window
    expect(await store.getToken()).toBe('token-1')
    expect(fetchToken).toHaveBeenCalledTimes(1)

    vi.setSystemTime(START.getTime() + 3_540_000) // exactly 60 s before expiry
    expect(await store.getToken()).toBe('token-2')
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  it("reads the expiry from the JWT's exp claim when there is no expiresAt", async () => {
    const token = jwt({ sub: 'u1', exp: nowSeconds() + 120 })
    const fetchToken = vi.fn<TokenFetcher>(async () => token)
    const store = createTokenStore({ fetchToken })

    await store.getToken()
    vi.setSystemTime(START.getTime() + 89_999) // default leeway 30 s: reused for 90 s
    expect(await store.getToken()).toBe(token)
    expect(fetchToken).toHaveBeenCalledTimes(1)

    vi.setSystemTime(START.getTime() + 90_000)
    await store.getToken()
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  it('prefers expiresAt over the JWT exp claim', async () => {
    const token = jwt({ exp: nowSeconds() + 3600 })
    const fetchToken = vi.fn<TokenFetcher>(async () => ({ token, expiresAt: nowSeconds() + 40 }))
    const store = createTokenStore({ fetchToken })

    await store.getToken()
    vi.setSystemTime(START.getTime() + 10_000) // 40 s token, 30 s leeway: stale after 10 s
    await store.getToken()
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  describe('with the client clock off from the server clock', () => {
    const TEN_MINUTES = 600

    // The server signs a 120 s token at its own time; the store must count those 120 s itself.
    function serverAt(skewSeconds: number) {
      let n = 0
      return vi.fn<TokenFetcher>(async () => {
        const iat = nowSeconds() + skewSeconds
        return { token: jwt({ sub: 'u1', n: ++n, iat, exp: iat + 120 }), expiresAt: iat + 120 }
      })
    }

    it.each([
      ['10 min behind', TEN_MINUTES],
      ['10 min ahead of', -TEN_MINUTES],
    ])(
      'keeps a token for its exp - iat lifetime when the client is %s the server',
      async (_, skew) => {
        const fetchToken = serverAt(skew)
        const store = createTokenStore({ fetchToken })

        const first = await store.getToken()
        vi.setSystemTime(START.getTime() + 89_999) // 120 s lifetime, 30 s leeway: reused for 90 s
        expect(await store.getToken()).toBe(first)
        expect(fetchToken).toHaveBeenCalledTimes(1)

        vi.setSystemTime(START.getTime() + 90_000)
        expect(await store.getToken()).not.toBe(first)
        expect(fetchToken).toHaveBeenCalledTimes(2)
      },
    )

    it('counts the lifetime from when the token arrived, not from when it was asked for', async () => {
      const response = deferred<TokenResult>()
      const fetchToken = vi
        .fn<TokenFetcher>()
        .mockReturnValueOnce(response.promise)
        .mockResolvedValueOnce('next')
      const store = createTokenStore({ fetchToken })
      const iat = nowSeconds() + TEN_MINUTES

      const pending = store.getToken()
      await vi.advanceTimersByTimeAsync(5_000)
      response.resolve({ token: jwt({ iat, exp: iat + 120 }), expiresAt: iat + 120 })
      const token = await pending

      vi.setSystemTime(START.getTime() + 5_000 + 89_999)
      expect(await store.getToken()).toBe(token)
      vi.setSystemTime(START.getTime() + 5_000 + 90_000)
      expect(await store.getToken()).toBe('next')
      expect(fetchToken).toHaveBeenCalledTimes(2)
    })

    it('compares expiresAt with the local clock when the token has no iat', async () => {
      // Documented fallback: a client 10 min behind keeps such a token 10 min too long.
      const fetchToken = vi.fn<TokenFetcher>(async () => ({
        token: 'opaque',
        expiresAt: nowSeconds() + 120,
      }))
      const store = createTokenStore({ fetchToken })

      await store.getToken()
      vi.setSystemTime(START.getTime() + 89_999)
      await store.getToken()
      expect(fetchToken).toHaveBeenCalledTimes(1)
      vi.setSystemTime(START.getTime() + 90_000)
      await store.getToken()
      expect(fetchToken).toHaveBeenCalledTimes(2)
    })
  })

  it('never reuses a token whose expiry it cannot read', async () => {
    const fetchToken = vi.fn<TokenFetcher>(async () => 'opaque-token')
    const store = createTokenStore({ fetchToken })

    expect(await store.getToken()).toBe('opaque-token')
    expect(await store.getToken()).toBe('opaque-token')
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  it('rejects with ERR_SSO_TIMEOUT and aborts the request when the backend hangs', async () => {
    let signal: AbortSignal | undefined
    const fetchToken = vi.fn<TokenFetcher>((context) => {
      signal = context.signal
      return new Promise(() => {})
    })
    const store = createTokenStore({ fetchToken })

    const pending = rejectionOf(store.getToken())
    await vi.advanceTimersByTimeAsync(9_999)
    expect(store.getSnapshot().status).toBe('loading')
    await vi.advanceTimersByTimeAsync(1)

    const error = await pending
    expect(error).toMatchObject({ code: 'ERR_SSO_TIMEOUT', message: 'No token in 10000 ms' })
    expect(signal?.aborted).toBe(true)
    expect(store.getSnapshot()).toEqual({ status: 'error', error })
  })

  it('times out after a configured timeoutMs even when the fetcher ignores its signal', async () => {
    const store = createTokenStore({
      fetchToken: () => new Promise(() => {}),
      timeoutMs: 2_000,
    })
    const pending = rejectionOf(store.getToken())
    await vi.advanceTimersByTimeAsync(2_000)
    expect(await pending).toMatchObject({ code: 'ERR_SSO_TIMEOUT', message: 'No token in 2000 ms' })
  })

  it('rejects with ERR_SSO_TOKEN_FETCH, keeping the original error as cause', async () => {
    const cause = new TypeError('Failed to fetch')
    const store = createTokenStore({
      fetchToken: async () => {
        throw cause
      },
    })

    const error = await rejectionOf(store.getToken())
    expect(error).toMatchObject({ code: 'ERR_SSO_TOKEN_FETCH', message: 'Token request failed' })
    expect(error.cause).toBe(cause)
    expect(store.getSnapshot()).toEqual({ status: 'error', error })
  })

  it('turns a fetcher that throws synchronously into a rejection', async () => {
    const store = createTokenStore({
      fetchToken: () => {
        throw new Error('boom')
      },
    })
    expect(await rejectionOf(store.getToken())).toMatchObject({ code: 'ERR_SSO_TOKEN_FETCH' })
  })

  it.each([
    ['an empty string', ''],
    ['an empty token', { token: '' }],
    ['no token field', {}],
    ['a non-string token', { token: 42 }],
    ['null', null],
  ])('rejects %s with ERR_SSO_BAD_RESPONSE instead of resolving', async (_, result) => {
    const store = createTokenStore({ fetchToken: async () => result as string })
    expect(await rejectionOf(store.getToken())).toMatchObject({
      code: 'ERR_SSO_BAD_RESPONSE',
      message: 'No token in the response',
    })
  })

  it('does not cache a failure: the next call asks again', async () => {
    const fetchToken = vi
      .fn<TokenFetcher>()
      .mockRejectedValueOnce(new Error('down'))
      .mockResolvedValueOnce('recovered')
    const store = createTokenStore({ fetchToken })

    await rejectionOf(store.getToken())
    expect(await store.getToken()).toBe('recovered')
    expect(store.getSnapshot()).toEqual({ status: 'ready', error: null })
  })

  it('notifies subscribers through loading and ready, and stops after unsubscribe', async () => {
    const store = createTokenStore({ fetchToken: async () => 'token' })
    const seen: string[] = []
    const unsubscribe = store.subscribe(() => seen.push(store.getSnapshot().status))

    expect(store.getSnapshot()).toEqual({ status: 'idle', error: null })
    await store.getToken()
    expect(seen).toEqual(['loading', 'ready'])

    unsubscribe()
    store.clear()
    expect(seen).toEqual(['loading', 'ready'])
    expect(store.getSnapshot().status).toBe('idle')
  })

  it('reports idle to server rendering whatever the client state', async () => {
    const store = createTokenStore({ fetchToken: async () => 'token' })
    await store.getToken()
    expect(store.getServerSnapshot()).toEqual({ status: 'idle', error: null })
  })

  it('clear() drops the cached token so the next call fetches again', async () => {
    let n = 0
    const store = createTokenStore({
      fetchToken: async () => ({ token: `token-${++n}`, expiresAt: nowSeconds() + 3600 }),
    })
    expect(await store.getToken()).toBe('token-1')
    store.clear()
    expect(store.getSnapshot().status).toBe('idle')
    expect(await store.getToken()).toBe('token-2')
  })

  it('clear() cancels a request in flight, whose late token is never handed out', async () => {
    const first = deferred<TokenResult>()
    const fetchToken = vi
      .fn<TokenFetcher>()
      .mockReturnValueOnce(first.promise)
      .mockResolvedValueOnce({ token: 'new-user', expiresAt: nowSeconds() + 3600 })
    const store = createTokenStore({ fetchToken })

    const cancelled = rejectionOf(store.getToken())
    const signal = fetchToken.mock.calls[0]?.[0].signal
    store.clear()
    first.resolve({ token: 'old-user', expiresAt: nowSeconds() + 3600 })

    expect(await cancelled).toMatchObject({ code: 'ERR_SSO_CANCELLED' })
    expect(signal?.aborted).toBe(true)
    expect(store.getSnapshot().status).toBe('idle')
    expect(await store.getToken()).toBe('new-user')
  })

  it.each([0, 1, 2, 3, 4, 5, 6])(
    'never reuses a token that lands %i microtasks around clear()',
    async (ticks) => {
      let n = 0
      const store = createTokenStore({
        fetchToken: async () => ({ token: `token-${++n}`, expiresAt: nowSeconds() + 3600 }),
      })
      const first = store.getToken().catch(() => 'cancelled')
      for (let i = 0; i < ticks; i++) await Promise.resolve()
      store.clear()
      await first

      expect(await store.getToken()).toBe('token-2')
    },
  )
})

describe('createTokenStore refreshIn', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START })
  })

  it('counts down to refreshLeewayMs before expiry, then reports 0', async () => {
    const store = createTokenStore({
      fetchToken: async () => ({ token: 't', expiresAt: nowSeconds() + 3600 }),
      refreshLeewayMs: 60_000,
    })
    expect(store.refreshIn()).toBe(0) // nothing cached yet
    await store.getToken()
    expect(store.refreshIn()).toBe(3_540_000)
    vi.setSystemTime(START.getTime() + 3_539_000)
    expect(store.refreshIn()).toBe(1000)
    vi.setSystemTime(START.getTime() + 3_540_000)
    expect(store.refreshIn()).toBe(0)
  })

  it('reports 0 for a token whose expiry it cannot read, and after clear()', async () => {
    const store = createTokenStore({ fetchToken: async () => 'opaque' })
    await store.getToken()
    expect(store.refreshIn()).toBe(0)
    const timed = createTokenStore({
      fetchToken: async () => ({ token: 't', expiresAt: nowSeconds() + 3600 }),
    })
    await timed.getToken()
    timed.clear()
    expect(timed.refreshIn()).toBe(0)
  })

  it('keeps a value with expiresAt Infinity until clear(), and says so', async () => {
    let n = 0
    const store = createTokenStore({
      fetchToken: async () => ({ token: `hash-${++n}`, expiresAt: Number.POSITIVE_INFINITY }),
    })
    expect(await store.getToken()).toBe('hash-1')
    vi.setSystemTime(START.getTime() + 365 * 86_400_000)
    expect(await store.getToken()).toBe('hash-1')
    expect(store.refreshIn()).toBe(Number.POSITIVE_INFINITY)
    store.clear()
    expect(await store.getToken()).toBe('hash-2')
  })
})

describe('createTokenStore clock', () => {
  it('follows fake timers installed after the store was created', async () => {
    const fetchToken = vi.fn<TokenFetcher>(async () => ({
      token: 'opaque',
      expiresAt: nowSeconds() + 3600,
    }))
    const store = createTokenStore({ fetchToken })
    vi.useFakeTimers({ now: START })

    await store.getToken()
    vi.setSystemTime(START.getTime() + 3_570_000 - 1)
    await store.getToken()
    expect(fetchToken).toHaveBeenCalledTimes(1)
    vi.setSystemTime(START.getTime() + 3_570_000) // 30 s before expiry
    await store.getToken()
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  it('follows a Date.now spy installed after the store was created', async () => {
    const fetchToken = vi.fn<TokenFetcher>(async () => ({ token: 'opaque', expiresAt: 2_000 }))
    const store = createTokenStore({ fetchToken })
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000)

    await store.getToken()
    now.mockReturnValue(1_969_999)
    await store.getToken()
    expect(fetchToken).toHaveBeenCalledTimes(1)
    now.mockReturnValue(1_970_000)
    await store.getToken()
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  it('uses the now option instead of Date.now when given', async () => {
    let clock = 1_000_000
    const fetchToken = vi.fn<TokenFetcher>(async () => ({
      token: jwt({ iat: 5_000, exp: 5_120 }),
      expiresAt: 5_120,
    }))
    const store = createTokenStore({ fetchToken, now: () => clock })
    vi.spyOn(Date, 'now').mockReturnValue(0)

    await store.getToken()
    clock += 89_999
    await store.getToken()
    expect(fetchToken).toHaveBeenCalledTimes(1)
    clock += 1
    await store.getToken()
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })
})

describe('fetchTokenFrom', () => {
  it('POSTs to the token URL with same-origin cookies and no body, and reads { token, expiresAt }', async () => {
    const fetch = stubTokenEndpoint(() => json({ token: 'abc', expiresAt: 1_900_000_000 }))
    const signal = new AbortController().signal

    const result = await fetchTokenFrom('/sso/komo/token')({ signal })

    expect(result).toEqual({ token: 'abc', expiresAt: 1_900_000_000 })
    expect(fetch).toHaveBeenCalledWith('/sso/komo/token', {
      method: 'POST',
      credentials: 'same-origin',
      signal,
    })
    expect(fetch.mock.calls[0]?.[1]?.body).toBeUndefined()
  })

  it('rejects a 401 with ERR_SSO_UNAUTHENTICATED', async () => {
    stubTokenEndpoint(() => json({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } }, 401))
    const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })

    expect(await rejectionOf(store.getToken())).toMatchObject({
      code: 'ERR_SSO_UNAUTHENTICATED',
      status: 401,
      message: 'Token endpoint answered 401',
    })
  })

  it('rejects a server error with ERR_SSO_TOKEN_FETCH and its status', async () => {
    stubTokenEndpoint(() => new Response('upstream down', { status: 503 }))
    const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })

    expect(await rejectionOf(store.getToken())).toMatchObject({
      code: 'ERR_SSO_TOKEN_FETCH',
      status: 503,
      message: 'Token endpoint answered 503',
    })
  })

  it.each([
    ['ERR_SSO_FORBIDDEN', 403],
    ['ERR_SSO_EMAIL_UNVERIFIED', 403],
    ['ERR_SSO_METHOD_NOT_ALLOWED', 405],
    ['ERR_SSO_INTERNAL', 500],
  ])('rejects with the code the server answered (%s, %i) and its status', async (code, status) => {
    stubTokenEndpoint(() =>
      json({ error: { code, message: 'Cross-site request refused.' } }, status),
    )
    const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })

    const error = await rejectionOf(store.getToken())
    expect(error).toMatchObject({ code, status, message: `Token endpoint answered ${status}` })
  })

  it('keeps ERR_SSO_UNAUTHENTICATED for a 401 whatever code its body holds', async () => {
    stubTokenEndpoint(() => json({ error: { code: 'ERR_SSO_FORBIDDEN' } }, 401))
    const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })

    expect(await rejectionOf(store.getToken())).toMatchObject({
      code: 'ERR_SSO_UNAUTHENTICATED',
      status: 401,
    })
  })

  it.each([
    ['a code that is not ours', { error: { code: 'EACCES' } }],
    ['a lower-case code', { error: { code: 'err_sso_forbidden' } }],
    ['a code with a token appended', { error: { code: 'ERR_SSO_FORBIDDEN eyJhbGciOi.x.y' } }],
    ['a code over 60 characters', { error: { code: `ERR_SSO_${'A'.repeat(61)}` } }],
    ['a code in an array', { error: { code: ['ERR_SSO_FORBIDDEN'] } }],
    ['a bare string code', { code: 'ERR_SSO_FORBIDDEN' }],
    ['null', null],
  ])('falls back to ERR_SSO_TOKEN_FETCH for %s', async (_, body) => {
    stubTokenEndpoint(() => json(body, 403))
    const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })

    expect(await rejectionOf(store.getToken())).toMatchObject({
      code: 'ERR_SSO_TOKEN_FETCH',
      status: 403,
      message: 'Token endpoint answered 403',
    })
  })

  it('never puts the error body in the message', async () => {
    const token = jwt({ sub: 'u1', exp: 1_900_000_000 })
    stubTokenEndpoint(() =>
      json({ error: { code: 'ERR_SSO_FORBIDDEN', message: token }, token }, 403),
    )
    const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })

    const error = await rejectionOf(store.getToken())
    expect(error.code).toBe('ERR_SSO_FORBIDDEN')
    expect(error.message).toBe('Token endpoint answered 403')
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(token)
  })

  it.each([
    ['jwt', { jwt: 'metabase.jwt.value', expiresAt: 1_900_000_000 }],
    ['userHash', { userHash: 'f00d' }],
  ])('reads the %s field when asked to', async (field, body) => {
    stubTokenEndpoint(() => json(body))
    const result = await fetchTokenFrom(
      '/sso/x/token',
      field,
    )({ signal: new AbortController().signal })
    expect(result.token).toBe(Object.values(body)[0])
    expect(result.expiresAt).toBe((body as { expiresAt?: number }).expiresAt)
  })

  it('rejects an answer that holds the token under another field than the one asked for', async () => {
    stubTokenEndpoint(() => json({ token: 'a.b.c', expiresAt: 1_900_000_000 }))
    const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/metabase/token', 'jwt') })
    expect(await rejectionOf(store.getToken())).toMatchObject({ code: 'ERR_SSO_BAD_RESPONSE' })
  })

  it('rejects a 200 that is not JSON with ERR_SSO_BAD_RESPONSE', async () => {
    stubTokenEndpoint(() => new Response('<html>login</html>', { status: 200 }))
    const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })

    expect(await rejectionOf(store.getToken())).toMatchObject({ code: 'ERR_SSO_BAD_RESPONSE' })
  })
})
