import { act, render } from '@testing-library/react'
import { StrictMode } from 'react'
import type { ReactElement } from 'react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import {
  deferred,
  fakeSdk,
  json,
  jwt,
  sessionEndpoint,
  stubTokenEndpoint,
  who,
} from '../test/helpers'
import { CannyWidget } from './canny'
import type { EmbedUser, TokenBindingOptions } from './embed'
import type { SsoError } from './errors'
import { useFeaturebase } from './featurebase'
import { useIntercom } from './intercom'
import { createTokenStore } from './token-store'

// The lifecycle every push binding promises (Intercom, Canny, Featurebase), run against each
// with a recorder standing in for the vendor's loaded SDK and a pinned clock.

const PINNED = new Date('2030-01-01T00:00:00Z')
const flush = () => act(() => vi.advanceTimersByTimeAsync(0))

type Options = TokenBindingOptions

function IntercomProbe(options: Options) {
  const { status, error } = useIntercom({ appId: 'app_1', ...options } as never)
  return <output>{error ? `${status}: ${error.code}` : status}</output>
}
function FeaturebaseProbe(options: Options) {
  const { status, error } = useFeaturebase({ appId: 'fb_1', ...options } as never)
  return <output>{error ? `${status}: ${error.code}` : status}</output>
}

interface Binding {
  name: 'Intercom' | 'Canny' | 'Featurebase'
  tokenUrl: string
  mount(options: Options): ReactElement
  /** The SDK call that hands it `token`. */
  boot(token: string): unknown[]
  /** How many times the SDK was told to drop its user (calls so far). */
  signOuts(sdk: ReturnType<typeof fakeSdk>): number
}

// Canny has no sign-out call: the binding removes the board Canny drew. The fake Canny draws an
// iframe into the element, replacing the one before; a board taken out of the element (not
// just gone with it, as on an unmount) without another drawn in its place is a sign-out.
let boards: { frame: Element; replaced: boolean }[] = []
function fakeCanny() {
  const sdk = fakeSdk('Canny')
  sdk.mockImplementation((command, options) => {
    if (command !== 'render') return
    const board = document.createElement('iframe')
    board.dataset.token = (options as { ssoToken: string }).ssoToken
    for (const drawn of boards) drawn.replaced ||= drawn.frame.parentNode !== null
    boards.push({ frame: board, replaced: false })
    document.querySelector('[data-canny]')?.replaceChildren(board)
  })
  return sdk
}
const sdkFor = (name: Binding['name']) => (name === 'Canny' ? fakeCanny() : fakeSdk(name))

const BINDINGS: Binding[] = [
  {
    name: 'Intercom',
    tokenUrl: '/sso/intercom/token',
    mount: (options) => <IntercomProbe {...options} />,
    boot: (token) => ['boot', { app_id: 'app_1', intercom_user_jwt: token }],
    signOuts: (sdk) => sdk.mock.calls.filter(([command]) => command === 'shutdown').length,
  },
  {
    name: 'Featurebase',
    tokenUrl: '/sso/featurebase/token',
    mount: (options) => <FeaturebaseProbe {...options} />,
    boot: (token) => ['boot', { appId: 'fb_1', featurebaseJwt: token }],
    signOuts: (sdk) => sdk.mock.calls.filter(([command]) => command === 'shutdown').length,
  },
  {
    name: 'Canny',
    tokenUrl: '/sso/canny/token',
    mount: (options) => <CannyWidget boardToken="board_1" basePath="/feedback" {...options} />,
    boot: (token) => ['render', { boardToken: 'board_1', basePath: '/feedback', ssoToken: token }],
    signOuts: () =>
      boards.filter(({ frame, replaced }) => !replaced && frame.parentNode === null).length,
  },
]

beforeEach(() => {
  vi.useFakeTimers({ now: PINNED })
  boards = []
})

describe.each(BINDINGS)('$name binding lifecycle', (binding) => {
  const setup = (user: EmbedUser = 'u1', extra: Partial<Options> = {}) => {
    const sdk = sdkFor(binding.name)
    const endpoint = sessionEndpoint()
    const onError = vi.fn<(error: SsoError) => void>()
    const tree = (next: EmbedUser) => binding.mount({ user: next, onError, ...extra } as Options)
    const view = render(tree(user))
    return {
      sdk,
      ...endpoint,
      onError,
      rerender: (next: EmbedUser) => view.rerender(tree(next)),
      view,
    }
  }
  const boots = (sdk: ReturnType<typeof fakeSdk>) =>
    sdk.mock.calls.filter(([command]) => command !== 'shutdown')
  const bootedUsers = (sdk: ReturnType<typeof fakeSdk>) =>
    boots(sdk).map((call) => who(Object.values(call[1] as object).at(-1)))

  it(`POSTs to ${binding.tokenUrl} and boots only once the token has arrived`, async () => {
    const sdk = sdkFor(binding.name)
    const answer = deferred<Response>()
    const fetch = stubTokenEndpoint(() => answer.promise)
    render(binding.mount({ user: 'u1' }))

    expect(fetch).toHaveBeenCalledTimes(1)
    expect(fetch.mock.calls[0]?.[0]).toBe(binding.tokenUrl)
    expect(fetch.mock.calls[0]?.[1]).toMatchObject({ method: 'POST', credentials: 'same-origin' })
    expect(sdk).not.toHaveBeenCalled()

    const token = jwt({
      sub: 'u1',
      iat: PINNED.getTime() / 1000,
      exp: PINNED.getTime() / 1000 + 60,
    })
    answer.resolve(json({ token, expiresAt: PINNED.getTime() / 1000 + 60 }))
    await flush()

    expect(sdk.mock.calls).toEqual([binding.boot(token)])
  })

  it('boots nothing when nobody is logged in, and asks for no token', async () => {
    const { sdk, fetch } = setup(null)
    await flush()
    expect(fetch).not.toHaveBeenCalled()
    expect(sdk).not.toHaveBeenCalled()
  })

  it.each([
    [401, 'ERR_SSO_UNAUTHENTICATED'],
    [403, 'ERR_SSO_FORBIDDEN'],
    [403, 'ERR_SSO_EMAIL_UNVERIFIED'],
    [500, 'ERR_SSO_INTERNAL'],
  ])('boots nothing on a %i and reports the server’s own code %s', async (status, code) => {
    const sdk = sdkFor(binding.name)
    stubTokenEndpoint(() => json({ error: { code, message: 'refused' } }, status))
    const onError = vi.fn<(error: SsoError) => void>()
    render(binding.mount({ user: 'u1', onError }))
    await flush()

    expect(sdk).not.toHaveBeenCalled()
    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ name: 'SsoError', code, status })
  })

  it('boots nothing on an answer without a token (never an empty one)', async () => {
    const sdk = sdkFor(binding.name)
    stubTokenEndpoint(() => json({ token: '', expiresAt: 1 }))
    const onError = vi.fn<(error: SsoError) => void>()
    render(binding.mount({ user: 'u1', onError }))
    await flush()

    expect(sdk).not.toHaveBeenCalled()
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_SSO_BAD_RESPONSE' })
  })

  it('boots nothing when the endpoint hangs, and reports ERR_SSO_TIMEOUT', async () => {
    const sdk = sdkFor(binding.name)
    stubTokenEndpoint(() => new Promise<Response>(() => {}))
    const onError = vi.fn<(error: SsoError) => void>()
    render(binding.mount({ user: 'u1', onError, timeoutMs: 5000 }))

    await act(() => vi.advanceTimersByTimeAsync(4999))
    expect(onError).not.toHaveBeenCalled()
    await act(() => vi.advanceTimersByTimeAsync(1))

    expect(sdk).not.toHaveBeenCalled()
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_SSO_TIMEOUT' })
  })

  it('boots again with a fresh token refreshLeewayMs before it expires, not earlier', async () => {
    const { sdk, fetch } = setup('u1', { refreshLeewayMs: 60_000 })
    await flush()
    expect(bootedUsers(sdk)).toEqual(['u1#1'])

    await act(() => vi.advanceTimersByTimeAsync(3_540_000 - 1)) // 1 ms before exp - 60 s
    expect(fetch).toHaveBeenCalledTimes(1)
    await act(() => vi.advanceTimersByTimeAsync(1))

    expect(fetch).toHaveBeenCalledTimes(2)
    expect(bootedUsers(sdk)).toEqual(['u1#1', 'u1#2'])
    expect(binding.signOuts(sdk)).toBe(0)
    // And on again, each token's own lifetime after it arrived.
    await act(() => vi.advanceTimersByTimeAsync(3_540_000))
    expect(bootedUsers(sdk)).toEqual(['u1#1', 'u1#2', 'u1#3'])
  })

  it('signs the SDK out when the user switches, then boots the new user with their own token', async () => {
    const { sdk, fetch, session, rerender } = setup('u1')
    await flush()
    session.user = 'u2'
    rerender('u2')
    expect(binding.signOuts(sdk)).toBe(1)
    await flush()

    expect(fetch).toHaveBeenCalledTimes(2)
    expect(bootedUsers(sdk)).toEqual(['u1#1', 'u2#2'])
  })

  it('signs the SDK out on logout, asks for nothing, and fetches afresh on the next login', async () => {
    const { sdk, fetch, rerender } = setup({ id: 'u1' })
    await flush()
    rerender(null)
    await flush()
    expect(binding.signOuts(sdk)).toBe(1)
    expect(fetch).toHaveBeenCalledTimes(1)

    rerender({ id: 'u1' })
    await flush()
    expect(fetch).toHaveBeenCalledTimes(2) // the cached token went with the logout
    expect(bootedUsers(sdk)).toEqual(['u1#1', 'u1#2'])
  })

  it('does not sign out or refetch when the user object changes but not its id', async () => {
    const { sdk, fetch, rerender } = setup({ id: 'u1' })
    await flush()
    rerender({ id: 'u1' })
    await flush()
    expect(binding.signOuts(sdk)).toBe(0)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(bootedUsers(sdk)).toEqual(['u1#1'])
  })

  it("never boots the previous user's token that arrives after a switch", async () => {
    const sdk = sdkFor(binding.name)
    const first = deferred<Response>()
    let call = 0
    stubTokenEndpoint(() => {
      call++
      if (call === 1) return first.promise
      return json({ token: jwt({ sub: 'u2', n: call, iat: 1, exp: 9e9 }), expiresAt: 9e9 })
    })
    const view = render(binding.mount({ user: 'u1' }))
    view.rerender(binding.mount({ user: 'u2' }))
    first.resolve(json({ token: jwt({ sub: 'u1', n: 1, iat: 1, exp: 9e9 }), expiresAt: 9e9 }))
    await flush()

    expect(bootedUsers(sdk)).toEqual(['u2#2'])
  })

  it('signs the SDK out on unmount and stops re-booting', async () => {
    const { sdk, fetch, view } = setup('u1')
    await flush()
    view.unmount()
    expect(binding.signOuts(sdk)).toBe(1)

    await act(() => vi.advanceTimersByTimeAsync(7_200_000))
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(boots(sdk)).toHaveLength(1)
  })

  it('signs nothing out on unmount when nothing was booted', async () => {
    const sdk = sdkFor(binding.name)
    stubTokenEndpoint(() => json({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } }, 401))
    const view = render(binding.mount({ user: 'u1' }))
    await flush()
    view.unmount()
    expect(binding.signOuts(sdk)).toBe(0)
    expect(sdk).not.toHaveBeenCalled()
  })

  it('makes one request and boots once under StrictMode’s double mount', async () => {
    const sdk = sdkFor(binding.name)
    const { fetch } = sessionEndpoint()
    render(<StrictMode>{binding.mount({ user: 'u1' })}</StrictMode>)
    await flush()

    expect(fetch).toHaveBeenCalledTimes(1)
    expect(bootedUsers(sdk)).toEqual(['u1#1'])
    expect(binding.signOuts(sdk)).toBe(0)
  })

  it('signs out when a refresh fails, since the booted token can no longer be renewed', async () => {
    const { sdk, session, onError } = setup('u1')
    await flush()
    session.user = null // the server session ended; the page has not noticed yet
    await act(() => vi.advanceTimersByTimeAsync(3_570_000))

    expect(binding.signOuts(sdk)).toBe(1)
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_SSO_UNAUTHENTICATED' })
  })

  it('uses a store the app created, and clears it when the user switches', async () => {
    const sdk = sdkFor(binding.name)
    let n = 0
    const fetchToken = vi.fn(async () => ({ token: `app-${++n}`, expiresAt: 9e9 }))
    const store = createTokenStore({ fetchToken })
    const view = render(binding.mount({ user: 'u1', store }))
    await flush()
    expect(await store.getToken()).toBe('app-1') // one cache, shared with the app
    view.rerender(binding.mount({ user: 'u2', store }))
    await flush()

    expect(fetchToken).toHaveBeenCalledTimes(2)
    expect(boots(sdk)).toEqual([binding.boot('app-1'), binding.boot('app-2')])
  })

  it('asks a new tokenUrl from the next request on (a tenant switch)', async () => {
    const sdk = sdkFor(binding.name)
    const { fetch, session } = sessionEndpoint()
    const view = render(binding.mount({ user: 'u1', tokenUrl: '/t/a/token' }))
    await flush()
    session.user = 'u2'
    view.rerender(binding.mount({ user: 'u2', tokenUrl: '/t/b/token' }))
    await flush()
    expect(fetch.mock.calls.map(([url]) => url)).toEqual(['/t/a/token', '/t/b/token'])
    expect(bootedUsers(sdk)).toEqual(['u1#1', 'u2#2'])
  })

  it('writes nothing to localStorage or sessionStorage', async () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem')
    const { rerender } = setup('u1')
    await flush()
    rerender('u2')
    await flush()
    expect(setItem).not.toHaveBeenCalled()
    expect(localStorage.length + sessionStorage.length).toBe(0)
  })
})
