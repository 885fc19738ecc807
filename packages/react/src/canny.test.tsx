import { act, render } from '@testing-library/react'
import { Activity } from 'react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { deferred, fakeSdk, json, sessionEndpoint, stubTokenEndpoint, who } from '../test/helpers'
import { CannyWidget } from './canny'

const flush = () => act(() => vi.advanceTimersByTimeAsync(0))
const element = () => document.querySelector('[data-canny]')
const scripts = () => [...document.querySelectorAll('script')].map((s) => [s.src, s.async])

/**
 * A stand-in for Canny's loaded SDK: `render` draws the board as an iframe in the element and,
 * as the simulator's SDK does (`data-canny-state`, `data-canny-user`), marks the element with
 * who and what it drew, plus a class and a style as a real SDK may.
 */
function draw(options: unknown) {
  const { ssoToken, boardToken, basePath } = options as Record<string, string>
  const el = document.querySelector<HTMLElement>('[data-canny]')
  if (!el) return
  const board = document.createElement('iframe')
  board.title = who(ssoToken)
  el.replaceChildren(board)
  el.setAttribute('data-canny-state', 'signed-in')
  el.setAttribute('data-canny-user', who(ssoToken))
  el.setAttribute('data-canny-board', `${boardToken} ${basePath}`)
  el.className = 'canny-board'
  el.style.minHeight = '320px'
}
function fakeCanny() {
  const sdk = fakeSdk('Canny')
  sdk.mockImplementation((command, options) => {
    if (command === 'render') draw(options)
  })
  return sdk
}
/** Every attribute of `el`, by name. */
const attributes = (el: Element | null | undefined) =>
  Object.fromEntries([...(el?.attributes ?? [])].map(({ name, value }) => [name, value]))
/** What the widget itself renders: nothing of a previous user or board. */
const OWN = { 'data-canny': '', 'aria-busy': 'false' }
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

describe("CannyWidget: the element carries only the current props' attributes", () => {
  type Props = { user: string | null; boardToken?: string; basePath?: string }
  const widget = ({ user, boardToken = 'board_1', basePath = '/feedback' }: Props) => (
    <CannyWidget boardToken={boardToken} basePath={basePath} user={user} />
  )

  // Each change from u1 on board_1 under /feedback: the props after it, and whether a board
  // (the `data-canny-*` the SDK sets for it) is drawn again.
  it.each<[string, Props, string | null]>([
    ['a user switch', { user: 'u2' }, 'u2#2 board_1 /feedback'],
    ['a logout', { user: null }, null],
    ['a new boardToken', { user: 'u1', boardToken: 'board_2' }, 'u1#1 board_2 /feedback'],
    ['a new basePath', { user: 'u1', basePath: '/ideas' }, 'u1#1 board_1 /ideas'],
  ])(
    '%s takes the previous board and every attribute drawn for it off the element',
    async (_name, next, drawn) => {
      fakeCanny()
      const { session } = sessionEndpoint()
      const view = render(widget({ user: 'u1' }))
      await flush()
      expect(attributes(element())).toMatchObject({
        'data-canny-user': 'u1#1',
        'data-canny-board': 'board_1 /feedback',
      })

      session.user = next.user
      view.rerender(widget(next))
      // Before anything is drawn again: the element as the widget renders it, and nothing else.
      expect(attributes(element())).toEqual({ ...OWN, 'aria-busy': expect.any(String) })
      expect(element()?.childNodes).toHaveLength(0)
      await flush()

      if (drawn === null) {
        expect(attributes(element())).toEqual(OWN)
      } else {
        const [user, board, path] = drawn.split(' ')
        expect(attributes(element())).toEqual({
          ...OWN,
          'data-canny-state': 'signed-in',
          'data-canny-user': user,
          'data-canny-board': `${board} ${path}`,
          class: 'canny-board',
          style: 'min-height: 320px;',
        })
      }
    },
  )

  it('takes the board and its attributes off when a refresh fails', async () => {
    fakeCanny()
    const { session } = sessionEndpoint()
    render(widget({ user: 'u1' }))
    await flush()
    session.user = null // the server session ended; the page has not noticed yet
    await act(() => vi.advanceTimersByTimeAsync(3_570_000))
    expect(attributes(element())).toEqual(OWN)
    expect(element()?.childNodes).toHaveLength(0)
  })

  it('takes the board and its attributes off the element on unmount', async () => {
    fakeCanny()
    sessionEndpoint()
    const view = render(widget({ user: 'u1' }))
    await flush()
    const el = element()
    view.unmount()
    expect(el?.isConnected).toBe(false)
    expect(attributes(el)).toEqual(OWN)
    expect(el?.childNodes).toHaveLength(0)
  })

  it("takes the board and its attributes off when <Activity> hides it, so a logout meanwhile shows no one's board", async () => {
    fakeCanny()
    const { session } = sessionEndpoint()
    const tree = (mode: 'visible' | 'hidden', user: string | null) => (
      <Activity mode={mode}>{widget({ user })}</Activity>
    )
    const view = render(tree('visible', 'u1'))
    await flush()
    expect(board()).toBe('u1#1')
    // Hidden: React keeps the element (display: none) but runs the effects' cleanups.
    view.rerender(tree('hidden', 'u1'))
    await flush()
    expect(element()?.isConnected).toBe(true)
    expect(attributes(element())).toMatchObject({ 'data-canny': '', 'aria-busy': 'false' })
    expect(
      Object.keys(attributes(element())).filter((name) => name.startsWith('data-canny-')),
    ).toEqual([])
    expect(board()).toBeNull()
    session.user = null
    view.rerender(tree('visible', null))
    await flush()
    // `style=""`: React's own, from undoing its display: none.
    expect(attributes(element())).toEqual({ ...OWN, style: '' })
    expect(board()).toBeNull()
  })

  it.each<[string, Props | 'unmount' | 'refresh']>([
    ['a logout', { user: null }],
    ['an unmount', 'unmount'],
    ['a logout after a refresh', 'refresh'],
  ])(
    'before the SDK loads, %s withdraws the render queued for the previous user',
    async (_name, next) => {
      const { session } = sessionEndpoint()
      const view = render(widget({ user: 'u1' }))
      await flush()
      const stub = (window as unknown as { Canny: { q: unknown[][] } }).Canny
      expect(stub.q).toHaveLength(1)
      if (next === 'unmount') view.unmount()
      else if (next === 'refresh') {
        await act(() => vi.advanceTimersByTimeAsync(3_570_000)) // 30 s before exp: a new token
        expect(
          stub.q.map(([, options]) => who((options as { ssoToken: string }).ssoToken)),
        ).toEqual(['u1#2'])
        session.user = null
        view.rerender(widget({ user: null }))
      } else {
        session.user = next.user
        view.rerender(widget(next))
      }
      await flush()

      // The SDK arrives and replays the queue, as Canny's does.
      for (const [command, options] of stub.q) if (command === 'render') draw(options)
      expect(stub.q).toEqual([])
      expect(board()).toBeNull()
      expect(document.querySelector('[data-canny-user]')).toBeNull()
    },
  )

  it("keeps what the app queued in Canny's own loader, and the next user's render", async () => {
    // Canny's documented loader, defined by the page: it queues each call's `arguments`.
    type Loader = ((...args: unknown[]) => void) & { q?: ArrayLike<unknown>[] }
    const page = window as unknown as { Canny: Loader }
    page.Canny = function (this: unknown) {
      page.Canny.q ??= []
      // biome-ignore lint/complexity/noArguments: Canny's loader queues `arguments` as it is
      page.Canny.q.push(arguments)
    } as Loader
    page.Canny('initChangelog', { appID: 'app_1' })
    const { session } = sessionEndpoint()
    const view = render(widget({ user: 'u1' }))
    await flush()
    session.user = 'u2'
    view.rerender(widget({ user: 'u2' }))
    await flush()

    const queued = (page.Canny.q ?? []).map((call) => {
      const [command, options] = Array.from(call) as [string, { ssoToken?: string }]
      return [command, options.ssoToken === undefined ? options : who(options.ssoToken)]
    })
    expect(queued).toEqual([
      ['initChangelog', { appID: 'app_1' }],
      ['render', 'u2#2'],
    ])
    expect(scripts()).toEqual([]) // the page's loader loads the SDK itself
  })
})
