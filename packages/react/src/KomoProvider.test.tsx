import { act, render, renderHook, screen } from '@testing-library/react'
import { StrictMode } from 'react'
import { describe, expect, expectTypeOf, it, vi } from 'vitest'
import { fakeEmbed, json, registeredHandler, stubTokenEndpoint } from '../test/helpers'
import { KomoProvider } from './KomoProvider'
import type { KomoEmbed, KomoProviderProps, KomoUser } from './KomoProvider'
import { createTokenStore } from './token-store'
import type { TokenFetcher, TokenStore } from './token-store'
import { useAuthRequestHandler } from './useAuthRequestHandler'
import { useKomo } from './useKomo'

// Calls through to the real store, counting how many stores the provider builds.
vi.mock('./token-store', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./token-store')>()
  return { ...actual, createTokenStore: vi.fn(actual.createTokenStore) }
})
const storesBuilt = () => vi.mocked(createTokenStore).mock.calls.length

type Queued = { q: unknown[][] } & KomoEmbed
const pageEmbed = () => (window as { komoEmbed?: Queued }).komoEmbed
const embedScripts = () => [...document.querySelectorAll('script')].map((s) => s.src)

function Card() {
  useAuthRequestHandler()
  return <div data-komo-card="demo" />
}

function Status() {
  const { status, error } = useAuthRequestHandler()
  return <output>{error ? `${status}: ${error.code}` : status}</output>
}

describe('KomoProvider loader', () => {
  it("installs Komo's queueing loader and one async embed.js from https://{hubHost}", () => {
    render(
      <KomoProvider tokenUrl="/sso/komo/token" user={null} hubHost="acme.komo.site">
        <Card />
      </KomoProvider>,
    )

    const script = document.querySelector('script')
    expect(script?.src).toBe('https://acme.komo.site/assets/embed/embed.js')
    expect(script?.async).toBe(true)
    expect(pageEmbed()?.q).toEqual([['setAuthRequestHandler', expect.any(Function)]])
  })

  it('uses a full hubHost origin as-is, for a local simulator', () => {
    render(<KomoProvider tokenUrl="/t" user={null} hubHost="http://127.0.0.1:4100" />)
    expect(embedScripts()).toEqual(['http://127.0.0.1:4100/assets/embed/embed.js'])
  })

  it('queues calls as [method, ...args] and forwards them once embed.js replaces the queue', () => {
    const { result } = renderHook(() => useKomo(), {
      wrapper: ({ children }) => (
        <KomoProvider tokenUrl="/t" user="u1" hubHost="acme.komo.site">
          {children}
        </KomoProvider>
      ),
    })
    result.current.embed?.setAuthToken('early')
    expect(pageEmbed()?.q).toEqual([['setAuthToken', 'early']])

    // What the real SDK does when it loads: replay the queue, then take over window.komoEmbed.
    const sdk = fakeEmbed()
    ;(window as { komoEmbed?: KomoEmbed }).komoEmbed = sdk
    result.current.embed?.setAuthToken('late')
    result.current.setAuthToken('via-hook')

    expect(sdk.setAuthToken.mock.calls).toEqual([['late'], ['via-hook']])
  })

  it('is not awaitable, so returning the embed from an async function queues nothing', async () => {
    const { result } = renderHook(() => useKomo(), {
      wrapper: ({ children }) => (
        <KomoProvider tokenUrl="/t" user={null}>
          {children}
        </KomoProvider>
      ),
    })
    expect(await Promise.resolve(result.current.embed)).toBe(result.current.embed)
    expect(pageEmbed()?.q).toEqual([])
  })

  it('leaves a komoEmbed the page already has alone and adds no script', () => {
    const existing = fakeEmbed()
    ;(window as { komoEmbed?: KomoEmbed }).komoEmbed = existing
    render(
      <KomoProvider tokenUrl="/t" user={null} hubHost="acme.komo.site">
        <Card />
      </KomoProvider>,
    )

    expect(pageEmbed()).toBe(existing)
    expect(existing.setAuthRequestHandler).toHaveBeenCalledTimes(1)
    expect(embedScripts()).toEqual([])
  })

  it('uses the embed prop and touches neither window.komoEmbed nor the document', () => {
    const embed = fakeEmbed()
    render(
      <KomoProvider tokenUrl="/t" user={null} hubHost="acme.komo.site" embed={embed}>
        <Card />
      </KomoProvider>,
    )

    expect(embed.setAuthRequestHandler).toHaveBeenCalledTimes(1)
    expect(pageEmbed()).toBeUndefined()
    expect(embedScripts()).toEqual([])
  })

  it('registers the handler once and adds the script once under StrictMode', () => {
    render(
      <StrictMode>
        <KomoProvider tokenUrl="/t" user="u1" hubHost="acme.komo.site">
          <Card />
          <Card />
        </KomoProvider>
      </StrictMode>,
    )

    expect(embedScripts()).toEqual(['https://acme.komo.site/assets/embed/embed.js'])
    expect(pageEmbed()?.q.filter(([method]) => method === 'setAuthRequestHandler')).toHaveLength(1)
  })

  it('throws a config error naming the missing props when there is no way to get a token', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const props = { user: null } as unknown as Parameters<typeof KomoProvider>[0]
    expect(() => render(<KomoProvider {...props} />)).toThrow(
      expect.objectContaining({
        name: 'SsoError',
        code: 'ERR_SSO_CONFIG',
        message: 'KomoProvider needs `tokenUrl`, `fetchToken` or `store`',
      }),
    )
  })
})

describe('KomoProvider user changes', () => {
  function setup(user: KomoUser) {
    const embed = fakeEmbed()
    const fetch = stubTokenEndpoint()
    const tree = (current: KomoUser) => (
      <KomoProvider tokenUrl="/sso/komo/token" user={current} embed={embed}>
        <Card />
      </KomoProvider>
    )
    const view = render(tree(user))
    return { embed, fetch, rerender: (next: KomoUser) => view.rerender(tree(next)) }
  }

  it('drops the cached token and calls forgetUser when the user logs out', async () => {
    const { embed, fetch, rerender } = setup({ id: 'u1' })
    const handler = registeredHandler(embed)
    expect(await handler()).toBe('token-1')
    expect(await handler()).toBe('token-1')

    rerender(null)

    expect(embed.forgetUser).toHaveBeenCalledTimes(1)
    expect(await handler()).toBe('token-2')
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('drops the cached token and calls forgetUser when someone else logs in', async () => {
    const { embed, rerender } = setup({ id: 'u1' })
    const handler = registeredHandler(embed)
    expect(await handler()).toBe('token-1')

    rerender({ id: 'u2' })

    expect(embed.forgetUser).toHaveBeenCalledTimes(1)
    expect(await handler()).toBe('token-2')
  })

  it('compares a string user by value', async () => {
    const { embed, rerender } = setup('u1')
    rerender('u1')
    expect(embed.forgetUser).not.toHaveBeenCalled()
    rerender('u2')
    expect(embed.forgetUser).toHaveBeenCalledTimes(1)
  })

  it('keeps the token when the same user re-renders as a new object', async () => {
    const { embed, fetch, rerender } = setup({ id: 'u1' })
    const handler = registeredHandler(embed)
    await handler()

    rerender({ id: 'u1' })

    expect(embed.forgetUser).not.toHaveBeenCalled()
    expect(await handler()).toBe('token-1')
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('does not call forgetUser when someone logs in after no one, and clears the 401', async () => {
    const embed = fakeEmbed()
    stubTokenEndpoint((call) =>
      call === 1
        ? json({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } }, 401)
        : json({ token: 'after-login', expiresAt: Math.floor(Date.now() / 1000) + 3600 }),
    )
    const tree = (user: KomoUser) => (
      <KomoProvider tokenUrl="/sso/komo/token" user={user} embed={embed}>
        <Status />
      </KomoProvider>
    )
    const view = render(tree(null))
    const handler = registeredHandler(embed)
    await act(() => handler().catch(() => {}))
    expect(screen.getByRole('status').textContent).toBe('error: ERR_SSO_UNAUTHENTICATED')

    view.rerender(tree({ id: 'u1' }))

    expect(screen.getByRole('status').textContent).toBe('idle')
    expect(embed.forgetUser).not.toHaveBeenCalled()
    expect(await act(() => handler())).toBe('after-login')
    expect(screen.getByRole('status').textContent).toBe('ready')
  })

  it('writes nothing to localStorage or sessionStorage', async () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem')
    const { embed, rerender } = setup({ id: 'u1' })
    await registeredHandler(embed)()
    rerender({ id: 'u2' })
    await registeredHandler(embed)()

    expect(setItem).not.toHaveBeenCalled()
    expect(localStorage.length).toBe(0)
    expect(sessionStorage.length).toBe(0)
  })
})

describe('KomoProvider onError', () => {
  it('calls onError once with the SsoError of each failed request', async () => {
    const embed = fakeEmbed()
    stubTokenEndpoint(() => json({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } }, 401))
    const onError = vi.fn()
    render(
      <KomoProvider tokenUrl="/sso/komo/token" user={null} embed={embed} onError={onError}>
        <Card />
      </KomoProvider>,
    )
    const handler = registeredHandler(embed)

    await act(() => Promise.all([handler(), handler()]).catch(() => {}))

    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError.mock.calls[0]?.[0]).toMatchObject({
      code: 'ERR_SSO_UNAUTHENTICATED',
      status: 401,
    })
  })
})

describe('KomoProvider with a store the app created', () => {
  function appStore() {
    let n = 0
    const fetchToken = vi.fn<TokenFetcher>(async () => ({
      token: `app-token-${++n}`,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    }))
    return { fetchToken, store: createTokenStore({ fetchToken }) }
  }

  it('uses the given store, builds none of its own and needs no tokenUrl', async () => {
    const { store, fetchToken } = appStore()
    const fetch = stubTokenEndpoint()
    const embed = fakeEmbed()
    const built = storesBuilt()
    render(
      <KomoProvider store={store} user="u1" embed={embed}>
        <Card />
      </KomoProvider>,
    )

    expect(storesBuilt()).toBe(built)
    expect(registeredHandler(embed)).toBe(store.getToken)
    expect(await act(() => registeredHandler(embed)())).toBe('app-token-1')
    expect(await store.getToken()).toBe('app-token-1') // one cache, shared with the app
    expect(fetchToken).toHaveBeenCalledTimes(1)
    expect(fetch).not.toHaveBeenCalled()
  })

  it("shows the store's state and reports its failures to onError", async () => {
    const store = createTokenStore({
      fetchToken: async () => {
        throw new Error('down')
      },
    })
    const onError = vi.fn()
    render(
      <KomoProvider store={store} user="u1" embed={fakeEmbed()} onError={onError}>
        <Status />
      </KomoProvider>,
    )

    await act(() => store.getToken().catch(() => {}))

    expect(screen.getByRole('status').textContent).toBe('error: ERR_SSO_TOKEN_FETCH')
    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_SSO_TOKEN_FETCH' })
  })

  it('clears the store and calls forgetUser when the user switches', async () => {
    const { store, fetchToken } = appStore()
    const embed = fakeEmbed()
    const tree = (user: KomoUser) => (
      <KomoProvider store={store} user={user} embed={embed}>
        <Card />
      </KomoProvider>
    )
    const view = render(tree({ id: 'u1' }))
    expect(await store.getToken()).toBe('app-token-1')

    view.rerender(tree({ id: 'u2' }))

    expect(embed.forgetUser).toHaveBeenCalledTimes(1)
    expect(await store.getToken()).toBe('app-token-2')
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  it('reads the store once: a new store prop keeps the first one and its cache', async () => {
    const first = appStore()
    const second = appStore()
    const embed = fakeEmbed()
    const tree = (store: TokenStore) => (
      <KomoProvider store={store} user="u1" embed={embed}>
        <Card />
      </KomoProvider>
    )
    const view = render(tree(first.store))
    view.rerender(tree(second.store))

    expect(await act(() => registeredHandler(embed)())).toBe('app-token-1')
    expect(first.fetchToken).toHaveBeenCalledTimes(1)
    expect(second.fetchToken).not.toHaveBeenCalled()
  })

  it('refuses a useAuthRequestHandler handler, which could not replace the store fetcher', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const { store } = appStore()
    expect(() =>
      renderHook(() => useAuthRequestHandler(async () => 'other'), {
        wrapper: ({ children }) => (
          <KomoProvider store={store} user="u1" embed={fakeEmbed()}>
            {children}
          </KomoProvider>
        ),
      }),
    ).toThrow(
      expect.objectContaining({
        name: 'SsoError',
        code: 'ERR_SSO_CONFIG',
        message: 'useAuthRequestHandler(handler) needs a KomoProvider without `store`',
      }),
    )
  })

  it('is typed: store replaces tokenUrl, fetchToken, timeoutMs and refreshLeewayMs', () => {
    const { store } = appStore()
    expectTypeOf({ store, user: 'u1' }).toExtend<KomoProviderProps>()
    expectTypeOf({ tokenUrl: '/t', user: 'u1' }).toExtend<KomoProviderProps>()
    expectTypeOf({ store, tokenUrl: '/t', user: 'u1' }).not.toExtend<KomoProviderProps>()
    expectTypeOf({ store, timeoutMs: 1, user: 'u1' }).not.toExtend<KomoProviderProps>()
    expectTypeOf({ user: 'u1' }).not.toExtend<KomoProviderProps>()
  })
})
