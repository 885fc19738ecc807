import { act, render } from '@testing-library/react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { deferred, fakeSdk, json, sessionEndpoint, stubTokenEndpoint, who } from '../test/helpers'
import { CannyWidget } from './canny'

const flush = () => act(() => vi.advanceTimersByTimeAsync(0))
const element = () => document.querySelector('[data-canny]')
const scripts = () => [...document.querySelectorAll('script')].map((s) => [s.src, s.async])

/** A stand-in for Canny's loaded SDK: `render` draws the board as an iframe in the element. */
function fakeCanny() {
  const sdk = fakeSdk('Canny')
  sdk.mockImplementation((command, options) => {
    if (command !== 'render') return
    const board = document.createElement('iframe')
    board.title = who((options as { ssoToken: string }).ssoToken)
    element()?.replaceChildren(board)
  })
  return sdk
}
const board = () => element()?.querySelector('iframe')?.title ?? null

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
})

describe('CannyWidget', () => {
  it("installs Canny's queueing stub and one async sdk.js, and queues the render", async () => {
    sessionEndpoint()
    render(<CannyWidget boardToken="board_1" user="u1" />)
    await flush()

    expect(scripts()).toEqual([['https://canny.io/sdk.js', true]])
    const queued = (window as unknown as { Canny: { q: unknown[][] } }).Canny.q
    expect(queued).toEqual([
      ['render', { boardToken: 'board_1', basePath: undefined, ssoToken: expect.any(String) }],
    ])
  })

  it('renders one element, busy while the token is on its way, with the board drawn into it', async () => {
    fakeCanny()
    const answer = deferred<Response>()
    stubTokenEndpoint(() => answer.promise)
    render(<CannyWidget boardToken="board_1" basePath="/feedback" user="u1" />)
    expect(element()?.getAttribute('aria-busy')).toBe('true')
    expect(board()).toBeNull()

    const { fetch } = sessionEndpoint()
    answer.resolve(await fetch('/sso/canny/token'))
    await flush()
    expect(element()?.getAttribute('aria-busy')).toBe('false')
    expect(board()).toBe('u1#1')
    expect(document.querySelectorAll('[data-canny]')).toHaveLength(1)
  })

  it("removes the previous user's board on a switch before drawing the next one", async () => {
    fakeCanny()
    const { session } = sessionEndpoint()
    const view = render(<CannyWidget boardToken="board_1" user="u1" />)
    await flush()
    expect(board()).toBe('u1#1')

    session.user = 'u2'
    view.rerender(<CannyWidget boardToken="board_1" user="u2" />)
    expect(board()).toBeNull()
    await flush()
    expect(board()).toBe('u2#2')
  })

  it('leaves the element empty on logout', async () => {
    fakeCanny()
    sessionEndpoint()
    const view = render(<CannyWidget boardToken="board_1" user="u1" />)
    await flush()
    view.rerender(<CannyWidget boardToken="board_1" user={null} />)
    await flush()
    expect(element()?.childNodes).toHaveLength(0)
  })

  it('passes more render options, never letting them replace the board, base path or token', async () => {
    const sdk = fakeCanny()
    sessionEndpoint()
    const options = { theme: 'dark', ssoToken: 'forged', boardToken: 'other' } as never
    render(<CannyWidget boardToken="board_1" basePath="/feedback" user="u1" options={options} />)
    await flush()
    const [, rendered] = sdk.mock.calls[0] ?? []
    expect(rendered).toMatchObject({ theme: 'dark', boardToken: 'board_1', basePath: '/feedback' })
    expect(who((rendered as { ssoToken: string }).ssoToken)).toBe('u1#1')
  })

  it('renders the new board on a boardToken change, without a new request', async () => {
    const sdk = fakeCanny()
    const { fetch } = sessionEndpoint()
    const view = render(<CannyWidget boardToken="board_1" user="u1" />)
    await flush()
    view.rerender(<CannyWidget boardToken="board_2" user="u1" />)
    await flush()
    expect(sdk.mock.calls.map(([, o]) => (o as { boardToken: string }).boardToken)).toEqual([
      'board_1',
      'board_2',
    ])
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('draws nothing on a refused token', async () => {
    const sdk = fakeCanny()
    stubTokenEndpoint(() => json({ error: { code: 'ERR_SSO_EMAIL_UNVERIFIED' } }, 403))
    const onError = vi.fn()
    render(<CannyWidget boardToken="board_1" user="u1" onError={onError} />)
    await flush()
    expect(sdk).not.toHaveBeenCalled()
    expect(board()).toBeNull()
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_SSO_EMAIL_UNVERIFIED' })
  })
})
