import { act, renderHook } from '@testing-library/react'
import type { ReactNode } from 'react'
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import {
  deferred,
  fakeEmbed,
  json,
  jwt,
  registeredHandler,
  stubTokenEndpoint,
} from '../test/helpers'
import { SsoError } from './errors'
import { KomoProvider } from './KomoProvider'
import type { KomoProviderProps } from './KomoProvider'
import type { TokenFetcher, TokenSnapshot, TokenStatus } from './token-store'
import { useAuthRequestHandler } from './useAuthRequestHandler'

function renderWithProvider(
  handler?: TokenFetcher,
  props: Pick<KomoProviderProps, 'timeoutMs' | 'refreshLeewayMs' | 'fetchToken'> = {},
): { embed: ReturnType<typeof fakeEmbed>; result: { current: TokenSnapshot } } {
  const embed = fakeEmbed()
  const { result } = renderHook(() => useAuthRequestHandler(handler), {
    wrapper: ({ children }: { children: ReactNode }) => (
      <KomoProvider tokenUrl="/sso/komo/token" user={{ id: 'u1' }} embed={embed} {...props}>
        {children}
      </KomoProvider>
    ),
  })
  return { embed, result }
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600

describe('useAuthRequestHandler', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("answers Komo's auth request with a token POSTed for from tokenUrl with same-origin cookies", async () => {
    const fetch = stubTokenEndpoint(() => json({ token: 'jwt-for-u1', expiresAt: inAnHour() }))
    const { embed } = renderWithProvider()

    expect(await act(() => registeredHandler(embed)())).toBe('jwt-for-u1')
    expect(fetch).toHaveBeenCalledTimes(1)
    const [url, init] = fetch.mock.calls[0] ?? []
    expect(url).toBe('/sso/komo/token')
    expect(init).toMatchObject({ method: 'POST', credentials: 'same-origin' })
    expect(init?.body).toBeUndefined()
  })

  it('reports idle, then loading, then ready', async () => {
    const response = deferred<Response>()
    stubTokenEndpoint(() => response.promise)
    const { embed, result } = renderWithProvider()
    expect(result.current).toEqual({ status: 'idle', error: null })

    let pending: Promise<string> | undefined
    act(() => {
      pending = registeredHandler(embed)()
    })
    expect(result.current).toEqual({ status: 'loading', error: null })

    await act(async () => {
      response.resolve(json({ token: 'jwt', expiresAt: inAnHour() }))
      await pending
    })
    expect(result.current).toEqual({ status: 'ready', error: null })
  })

  it('rejects a logged-out request and shows it as ERR_SSO_UNAUTHENTICATED', async () => {
    stubTokenEndpoint(() => json({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } }, 401))
    const { embed, result } = renderWithProvider()

    const rejection = act(() => registeredHandler(embed)())
    await expect(rejection).rejects.toMatchObject({ code: 'ERR_SSO_UNAUTHENTICATED', status: 401 })

    expect(result.current.status).toBe('error')
    expect(result.current.error).toBeInstanceOf(SsoError)
    expect(result.current.error?.code).toBe('ERR_SSO_UNAUTHENTICATED')
  })

  it('shows a server error as ERR_SSO_TOKEN_FETCH, never an empty token', async () => {
    stubTokenEndpoint(() => new Response('oops', { status: 500 }))
    const { embed, result } = renderWithProvider()

    await expect(act(() => registeredHandler(embed)())).rejects.toMatchObject({
      code: 'ERR_SSO_TOKEN_FETCH',
      status: 500,
    })
    expect(result.current.error).toMatchObject({ code: 'ERR_SSO_TOKEN_FETCH' })
  })

  it('times out a hung backend after timeoutMs with ERR_SSO_TIMEOUT', async () => {
    vi.useFakeTimers()
    stubTokenEndpoint(() => new Promise<Response>(() => {}))
    const { embed, result } = renderWithProvider(undefined, { timeoutMs: 3_000 })

    const rejection = registeredHandler(embed)().catch((error: unknown) => error)
    await act(() => vi.advanceTimersByTimeAsync(3_000))

    expect(await rejection).toMatchObject({ code: 'ERR_SSO_TIMEOUT' })
    expect(result.current).toMatchObject({ status: 'error', error: { code: 'ERR_SSO_TIMEOUT' } })
  })

  it('wraps a custom handler: concurrent requests share one call and the token is reused', async () => {
    const token = jwt({ sub: 'u1', exp: inAnHour() })
    const handler = vi.fn(async () => token)
    const { embed } = renderWithProvider(handler)
    const komoAsks = registeredHandler(embed)

    const answers = await act(() => Promise.all([komoAsks(), komoAsks(), komoAsks()]))
    expect(answers).toEqual([token, token, token])
    expect(await act(() => komoAsks())).toBe(token)
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('refreshes a custom handler token shortly before its exp, on a pinned clock', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
    const exp = Math.floor(Date.now() / 1000) + 600
    const handler = vi
      .fn<TokenFetcher>()
      .mockResolvedValueOnce(jwt({ exp }))
      .mockResolvedValueOnce('second')
    const { embed } = renderWithProvider(handler, { refreshLeewayMs: 60_000 })
    const komoAsks = registeredHandler(embed)

    const first = await act(() => komoAsks())
    vi.setSystemTime((exp - 61) * 1000)
    expect(await act(() => komoAsks())).toBe(first)
    vi.setSystemTime((exp - 60) * 1000)
    expect(await act(() => komoAsks())).toBe('second')
  })

  it('refreshes on fake timers installed after the provider rendered', async () => {
    const { embed } = renderWithProvider()
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
    const start = Date.now()
    const iat = Math.floor(start / 1000)
    const fetch = stubTokenEndpoint((call) =>
      json({ token: jwt({ n: call, iat, exp: iat + 600 }), expiresAt: iat + 600 }),
    )
    const komoAsks = registeredHandler(embed)

    const first = await act(() => komoAsks())
    vi.setSystemTime(start + 570_000 - 1) // default leeway 30 s
    expect(await act(() => komoAsks())).toBe(first)
    vi.setSystemTime(start + 570_000)
    expect(await act(() => komoAsks())).not.toBe(first)
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('shows the code the server answered, e.g. ERR_SSO_FORBIDDEN behind a proxy rewriting Origin', async () => {
    stubTokenEndpoint(() => json({ error: { code: 'ERR_SSO_FORBIDDEN' } }, 403))
    const { embed, result } = renderWithProvider()

    await expect(act(() => registeredHandler(embed)())).rejects.toMatchObject({
      code: 'ERR_SSO_FORBIDDEN',
      status: 403,
    })
    expect(result.current.error).toMatchObject({ code: 'ERR_SSO_FORBIDDEN', status: 403 })
  })

  it('rejects with ERR_SSO_TOKEN_FETCH when a custom handler throws, keeping the cause', async () => {
    const cause = new Error('Failed to get auth token')
    const { embed, result } = renderWithProvider(async () => {
      throw cause
    })

    const error = await act(() => registeredHandler(embed)().catch((e: unknown) => e))
    expect(error).toMatchObject({ code: 'ERR_SSO_TOKEN_FETCH', cause })
    expect(result.current.error).toBe(error)
  })

  it('uses the provider fetchToken when the hook is given no handler', async () => {
    const fetchToken = vi.fn<TokenFetcher>(async () => ({ token: 'custom', expiresAt: inAnHour() }))
    const fetch = stubTokenEndpoint()
    const { embed } = renderWithProvider(undefined, { fetchToken })

    expect(await act(() => registeredHandler(embed)())).toBe('custom')
    expect(fetchToken).toHaveBeenCalledWith({ signal: expect.any(AbortSignal) })
    expect(fetch).not.toHaveBeenCalled()
  })

  it('throws an error naming KomoProvider when used outside it', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => renderHook(() => useAuthRequestHandler())).toThrow(
      expect.objectContaining({
        name: 'SsoError',
        code: 'ERR_SSO_CONFIG',
        message: 'useAuthRequestHandler() must be called inside <KomoProvider>',
      }),
    )
  })

  it('is typed: takes an optional TokenFetcher and returns { status, error }', () => {
    expectTypeOf(useAuthRequestHandler).parameter(0).toEqualTypeOf<TokenFetcher | undefined>()
    expectTypeOf(useAuthRequestHandler).returns.toEqualTypeOf<TokenSnapshot>()
    expectTypeOf<TokenSnapshot['status']>().toEqualTypeOf<TokenStatus>()
    expectTypeOf<TokenSnapshot['error']>().toEqualTypeOf<SsoError | null>()
    expectTypeOf<Extract<TokenSnapshot, { status: 'error' }>['error']>().toEqualTypeOf<SsoError>()
    // Komo's own sample handler, `async () => token`, fits without changes.
    expectTypeOf(async () => 'jwt').toExtend<TokenFetcher>()
  })
})
