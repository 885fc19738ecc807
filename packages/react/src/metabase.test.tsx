import { act, renderHook } from '@testing-library/react'
import { StrictMode } from 'react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { deferred, json, jwt, sessionEndpoint, stubTokenEndpoint, who } from '../test/helpers'
import type { EmbedUser } from './embed'
import { SsoError } from './errors'
import { createFetchRequestToken, useFetchRequestToken } from './metabase'
import { createTokenStore } from './token-store'

const START = new Date('2030-01-01T00:00:00Z')
const at = (seconds: number) => vi.setSystemTime(START.getTime() + seconds * 1000)

async function rejectionOf(promise: Promise<unknown>): Promise<SsoError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  if (error instanceof SsoError) return error
  throw error
}

beforeEach(() => {
  vi.useFakeTimers({ now: START })
})

describe('createFetchRequestToken', () => {
  it('POSTs to /sso/metabase/token with same-origin cookies and resolves to { jwt }', async () => {
    const { fetch } = sessionEndpoint('jwt', 600)
    const fetchRequestToken = createFetchRequestToken()

    const { jwt: token } = await fetchRequestToken()

    expect(who(token)).toBe('u1#1')
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(fetch.mock.calls[0]?.[0]).toBe('/sso/metabase/token')
    expect(fetch.mock.calls[0]?.[1]).toMatchObject({ method: 'POST', credentials: 'same-origin' })
    expect(fetch.mock.calls[0]?.[1]?.body).toBeUndefined()
  })

  it('ignores the url older SDKs pass: the token goes only to tokenUrl', async () => {
    const { fetch } = sessionEndpoint('jwt', 600)
    const fetchRequestToken = createFetchRequestToken({ tokenUrl: '/t/acme/sso/metabase/token' })
    await (fetchRequestToken as (url: string) => Promise<unknown>)('https://evil.example/sso')
    expect(fetch.mock.calls.map(([url]) => url)).toEqual(['/t/acme/sso/metabase/token'])
  })

  it('shares one request between concurrent calls', async () => {
    const answer = deferred<Response>()
    const fetch = stubTokenEndpoint(() => answer.promise)
    const fetchRequestToken = createFetchRequestToken()
    const calls = [fetchRequestToken(), fetchRequestToken(), fetchRequestToken()]
    const token = jwt({ sub: 'u1', iat: START.getTime() / 1000, exp: START.getTime() / 1000 + 600 })
    answer.resolve(json({ jwt: token, expiresAt: START.getTime() / 1000 + 600 }))

    expect(await Promise.all(calls)).toEqual([{ jwt: token }, { jwt: token }, { jwt: token }])
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it("reuses a JWT only within Metabase's 180 s sign-in window, less refreshLeewayMs", async () => {
    const { fetch } = sessionEndpoint('jwt', 600) // exp is 10 min away, iat now
    const fetchRequestToken = createFetchRequestToken()
    const first = await fetchRequestToken()

    at(149.999)
    expect(await fetchRequestToken()).toEqual(first)
    at(150) // 180 s after iat, less the 30 s leeway
    expect(who((await fetchRequestToken()).jwt)).toBe('u1#2')
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('reuses a short-lived JWT only until shortly before its own exp', async () => {
    sessionEndpoint('jwt', 60)
    const fetchRequestToken = createFetchRequestToken()
    await fetchRequestToken()
    at(29.999)
    expect(who((await fetchRequestToken()).jwt)).toBe('u1#1')
    at(30)
    expect(who((await fetchRequestToken()).jwt)).toBe('u1#2')
  })

  it.each([
    [401, 'ERR_SSO_UNAUTHENTICATED'],
    [403, 'ERR_SSO_EMAIL_UNVERIFIED'],
    [403, 'ERR_SSO_FORBIDDEN'],
    [405, 'ERR_SSO_METHOD_NOT_ALLOWED'],
  ])(
    'rejects a %i with the server’s own code %s, never with an empty jwt',
    async (status, code) => {
      stubTokenEndpoint(() => json({ error: { code, message: 'refused' } }, status))
      const error = await rejectionOf(createFetchRequestToken()())
      expect(error).toMatchObject({ name: 'SsoError', code, status })
    },
  )

  it.each([
    ['a token field instead of jwt', { token: 'a.b.c', expiresAt: 9e9 }],
    ['an empty jwt', { jwt: '', expiresAt: 9e9 }],
  ])('rejects %s with ERR_SSO_BAD_RESPONSE', async (_, body) => {
    stubTokenEndpoint(() => json(body))
    expect(await rejectionOf(createFetchRequestToken()())).toMatchObject({
      code: 'ERR_SSO_BAD_RESPONSE',
    })
  })

  it('times out a hung endpoint with ERR_SSO_TIMEOUT', async () => {
    stubTokenEndpoint(() => new Promise<Response>(() => {}))
    const pending = rejectionOf(createFetchRequestToken({ timeoutMs: 2000 })())
    await vi.advanceTimersByTimeAsync(2000)
    expect(await pending).toMatchObject({ code: 'ERR_SSO_TIMEOUT' })
  })

  it('clear() drops the cached JWT and cancels a request in flight', async () => {
    const { fetch } = sessionEndpoint('jwt', 600)
    const fetchRequestToken = createFetchRequestToken()
    await fetchRequestToken()
    fetchRequestToken.clear()
    expect(who((await fetchRequestToken()).jwt)).toBe('u1#2')

    fetchRequestToken.clear()
    const inFlight = rejectionOf(fetchRequestToken())
    fetchRequestToken.clear()
    expect(await inFlight).toMatchObject({ code: 'ERR_SSO_CANCELLED' })
    expect(fetch).toHaveBeenCalledTimes(3)
  })

  it('uses a store the app created', async () => {
    const store = createTokenStore({ fetchToken: async () => 'app.jwt.value' })
    expect(await createFetchRequestToken({ store })()).toEqual({ jwt: 'app.jwt.value' })
  })
})

describe('useFetchRequestToken', () => {
  const mount = (user: EmbedUser, strict = false) =>
    renderHook(({ user }: { user: EmbedUser }) => useFetchRequestToken({ user }), {
      initialProps: { user },
      wrapper: strict ? StrictMode : undefined,
    })

  it('returns one stable function across renders and asks for nothing by itself', async () => {
    const { fetch } = sessionEndpoint('jwt', 600)
    const view = mount('u1', true)
    const first = view.result.current
    view.rerender({ user: 'u1' })
    expect(view.result.current).toBe(first)
    expect(fetch).not.toHaveBeenCalled()
    await act(() => first())
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('drops the cached JWT when the user switches or logs out', async () => {
    const { fetch, session } = sessionEndpoint('jwt', 600)
    const view = mount({ id: 'u1' })
    const fetchRequestToken = view.result.current
    await act(() => fetchRequestToken())
    view.rerender({ user: { id: 'u1' } })
    await act(() => fetchRequestToken())
    expect(fetch).toHaveBeenCalledTimes(1)

    session.user = 'u2'
    view.rerender({ user: { id: 'u2' } })
    expect(who((await act(() => fetchRequestToken())).jwt)).toBe('u2#2')
    session.user = null
    view.rerender({ user: null })
    expect(await act(() => rejectionOf(fetchRequestToken()))).toMatchObject({
      code: 'ERR_SSO_UNAUTHENTICATED',
    })
  })

  it('writes nothing to localStorage or sessionStorage', async () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem')
    sessionEndpoint('jwt', 600)
    const view = mount('u1')
    await act(() => view.result.current())
    expect(setItem).not.toHaveBeenCalled()
    expect(localStorage.length + sessionStorage.length).toBe(0)
  })
})
