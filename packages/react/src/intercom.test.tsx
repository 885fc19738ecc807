import { act, render } from '@testing-library/react'
import { StrictMode } from 'react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeSdk, json, sessionEndpoint, stubTokenEndpoint, who } from '../test/helpers'
import type { SsoError } from './errors'
import { useIntercom } from './intercom'
import type { IntercomOptions } from './intercom'

const flush = () => act(() => vi.advanceTimersByTimeAsync(0))
type Queued = ((...args: unknown[]) => void) & { q: unknown[][] }
const page = () => window as unknown as { Intercom?: Queued }
const scripts = () => [...document.querySelectorAll('script')].map((s) => [s.src, s.async])

function Messenger(options: IntercomOptions) {
  const { status, error } = useIntercom(options)
  return <output>{error ? `${status}: ${error.code}` : status}</output>
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
})

describe('useIntercom loader', () => {
  it("installs Intercom's queueing stub and one async widget script, and queues the boot", async () => {
    const { fetch } = sessionEndpoint()
    render(
      <StrictMode>
        <Messenger appId="app_1" user="u1" />
      </StrictMode>,
    )
    await flush()

    expect(scripts()).toEqual([['https://widget.intercom.io/widget/app_1', true]])
    expect(fetch).toHaveBeenCalledTimes(1)
    const queued = page().Intercom?.q ?? []
    expect(queued).toHaveLength(1)
    expect(queued[0]?.[0]).toBe('boot')
    expect(Object.keys(queued[0]?.[1] as object).sort()).toEqual(['app_id', 'intercom_user_jwt'])
  })

  it('loads scriptUrl as given (a local simulator) and forwards to the SDK once it takes over', async () => {
    sessionEndpoint()
    const view = render(
      <Messenger appId="app_1" user="u1" scriptUrl="http://127.0.0.1:4400/widget/app_1" />,
    )
    await flush()
    expect(scripts()).toEqual([['http://127.0.0.1:4400/widget/app_1', true]])

    // What widget.js does when it loads: replay the queue, then replace window.Intercom.
    const sdk = fakeSdk('Intercom')
    view.rerender(<Messenger appId="app_1" user={null} scriptUrl="http://x/never" />)
    expect(sdk.mock.calls).toEqual([['shutdown']])
    expect(scripts()).toHaveLength(1)
  })

  it('adds no script when the page already has window.Intercom', async () => {
    const sdk = fakeSdk('Intercom')
    sessionEndpoint()
    render(<Messenger appId="app_1" user="u1" />)
    await flush()
    expect(scripts()).toEqual([])
    expect(sdk).toHaveBeenCalledTimes(1)
  })
})

describe('useIntercom page settings', () => {
  it('boots with app_id and intercom_user_jwt and the extra settings, never user_id or email', async () => {
    const sdk = fakeSdk('Intercom')
    sessionEndpoint()
    const settings = {
      api_base: 'https://api-iam.eu.intercom.io',
      user_id: 'forged',
      email: 'ada@example.com',
      app_id: 'other',
      intercom_user_jwt: 'forged',
    }
    render(
      <Messenger
        appId="app_1"
        user={{ id: 'u1', email: 'ada@example.com' } as { id: string }}
        settings={settings as unknown as IntercomOptions['settings']}
      />,
    )
    await flush()

    const [command, booted] = sdk.mock.calls[0] ?? []
    expect(command).toBe('boot')
    expect(booted).toEqual({
      api_base: 'https://api-iam.eu.intercom.io',
      app_id: 'app_1',
      intercom_user_jwt: expect.any(String),
    })
    expect(who((booted as { intercom_user_jwt: string }).intercom_user_jwt)).toBe('u1#1')
    expect(JSON.stringify(booted)).not.toContain('ada@example.com')
  })

  it('re-boots with the new app id on an appId change, without a new request', async () => {
    const sdk = fakeSdk('Intercom')
    const { fetch } = sessionEndpoint()
    const view = render(<Messenger appId="app_1" user="u1" />)
    await flush()
    view.rerender(<Messenger appId="app_2" user="u1" />)
    await flush()

    expect(
      sdk.mock.calls.map(([command, s]) => [command, (s as { app_id?: string })?.app_id]),
    ).toEqual([
      ['boot', 'app_1'],
      ['shutdown', undefined],
      ['boot', 'app_2'],
    ])
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('posts to a tokenUrl of its own (a tenant base path)', async () => {
    fakeSdk('Intercom')
    const { fetch } = sessionEndpoint()
    render(<Messenger appId="app_1" user="u1" tokenUrl="/t/acme/sso/intercom/token" />)
    await flush()
    expect(fetch.mock.calls[0]?.[0]).toBe('/t/acme/sso/intercom/token')
  })
})

describe("useIntercom mode: 'userHash' (legacy identity verification)", () => {
  it('boots with user_id and user_hash from { userHash }, and keeps it until the user changes', async () => {
    const sdk = fakeSdk('Intercom')
    const session = { user: 'u1' }
    // As the middleware answers in this mode: the hash alone, no expiresAt, not a JWT.
    const fetch = stubTokenEndpoint(() => json({ userHash: `hmac-of-${session.user}` }))
    const view = render(<Messenger appId="app_1" user={{ id: 'u1' }} mode="userHash" />)
    await flush()
    expect(fetch.mock.calls[0]?.[0]).toBe('/sso/intercom/token')
    expect(sdk.mock.calls).toEqual([
      ['boot', { app_id: 'app_1', user_id: 'u1', user_hash: 'hmac-of-u1' }],
    ])

    // No expiry: no refetch and no re-boot, however long the page stays open, and the cached
    // hash serves a later boot of the same user (here a new app id) without a request.
    await act(() => vi.advanceTimersByTimeAsync(30 * 86_400_000))
    expect(sdk).toHaveBeenCalledTimes(1)
    view.rerender(<Messenger appId="app_2" user={{ id: 'u1' }} mode="userHash" />)
    await flush()
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(sdk.mock.calls.at(-1)).toEqual([
      'boot',
      { app_id: 'app_2', user_id: 'u1', user_hash: 'hmac-of-u1' },
    ])

    session.user = 'u2'
    view.rerender(<Messenger appId="app_2" user={{ id: 'u2' }} mode="userHash" />)
    await flush()
    expect(fetch).toHaveBeenCalledTimes(2)
    expect(sdk.mock.calls.slice(-2)).toEqual([
      ['shutdown'],
      ['boot', { app_id: 'app_2', user_id: 'u2', user_hash: 'hmac-of-u2' }],
    ])
  })

  it('boots nothing on an answer without userHash (a server in jwt mode)', async () => {
    const sdk = fakeSdk('Intercom')
    stubTokenEndpoint(() => json({ token: 'a.b.c', expiresAt: 9e9 }))
    const onError = vi.fn<(error: SsoError) => void>()
    render(<Messenger appId="app_1" user="u1" mode="userHash" onError={onError} />)
    await flush()
    expect(sdk).not.toHaveBeenCalled()
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_SSO_BAD_RESPONSE' })
  })
})
