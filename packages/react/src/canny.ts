'use client'

import { createElement, useRef } from 'react'
import type { ReactNode } from 'react'
import { loadSdk, useTokenBinding } from './embed'
import type { TokenBindingOptions } from './embed'
import { fetchTokenFrom } from './token-store'

export type { EmbedUser, TokenBindingOptions } from './embed'

/**
 * Props of {@link CannyWidget}.
 *
 * @example
 * ```ts
 * const props: CannyWidgetProps = { boardToken: 'b0a4d-…', basePath: '/feedback', user }
 * ```
 */
export type CannyWidgetProps = TokenBindingOptions & {
  /** The board's token, from Canny's widget settings. */
  boardToken: string
  /** The page path the widget lives under, for its own links (default: none). */
  basePath?: string
  /**
   * More render options (`theme`, …), read at each render; `boardToken`, `basePath` and
   * `ssoToken` are the widget's (default: none).
   */
  options?: Record<string, unknown> & { boardToken?: never; basePath?: never; ssoToken?: never }
  /**
   * The SDK script, loaded when the page has no `window.Canny` (default:
   * `https://canny.io/sdk.js`; a local simulator's URL in tests).
   */
  scriptUrl?: string
}

/**
 * Renders a Canny board for the logged-in user with a token from your backend
 * (`@sso/middleware`'s `POST /sso/canny/token`): a `<div data-canny>` into which, once the token
 * arrives, `Canny('render', { boardToken, basePath, ssoToken })` draws the board, rendered again
 * with a fresh token before it expires. Installs Canny's queueing loader unless the page has
 * `window.Canny`. Canny has no sign-out call: when the user logs out or switches, or a refresh
 * fails, the board is removed from the element. Nobody logged in: the element stays empty.
 *
 * @example
 * ```tsx
 * <CannyWidget boardToken="b0a4d-…" basePath="/feedback" user={user} />
 * ```
 */
export function CannyWidget(props: CannyWidgetProps): ReactNode {
  const { boardToken, basePath } = props
  // The element; `el`, the one the board was last drawn into (an unmount's or a hiding
  // <Activity>'s cleanup finds `current` emptied); `call`, that render while Canny's loader
  // still queues it.
  const element: { current: HTMLDivElement | null; el?: HTMLDivElement | null; call?: unknown } =
    useRef(null)
  // Takes that call out of the loader's queue, if there is one (the arguments are read only
  // then); -1 >>> 0 is past the end: nothing to take.
  const withdraw = () => queue()?.splice((queue() as unknown[]).indexOf(element.call) >>> 0, 1)
  const { status } = useTokenBinding(
    props,
    () => fetchTokenFrom(props.tokenUrl ?? '/sso/canny/token'),
    (ssoToken) => {
      withdraw() // a refresh's render replaces the one still queued
      loadSdk('Canny', props.scriptUrl ?? 'https://canny.io/sdk.js')('render', {
        ...props.options,
        boardToken,
        basePath,
        ssoToken,
      })
      element.call = queue()?.at(-1)
      element.el = element.current
    },
    // Canny has no sign-out: what it drew for this user goes instead. The board (an iframe in
    // the element), every attribute on the element but the widget's own (the SDK marks it), and
    // a render Canny's loader still queues, which the SDK would replay for a user who is gone.
    () => {
      withdraw()
      const { el } = element
      if (!el) return
      el.replaceChildren()
      for (const name of el.getAttributeNames()) name in own || el.removeAttribute(name)
    },
    boardToken,
    basePath,
  )
  // What the widget renders: the only attributes its element keeps from one user to the next
  // (`ref` is not one).
  const own = { ref: element, 'data-canny': '', 'aria-busy': status === 'loading' }
  return createElement('div', own)
}

/** The calls Canny's loader queued, until the SDK loads and replays them. */
const queue = () => (window as unknown as { Canny?: { q?: unknown[] } }).Canny?.q
