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
  const element = useRef<HTMLDivElement>(null)
  const { status } = useTokenBinding(
    props,
    () => fetchTokenFrom(props.tokenUrl ?? '/sso/canny/token'),
    (ssoToken) =>
      loadSdk('Canny', props.scriptUrl ?? 'https://canny.io/sdk.js')('render', {
        ...props.options,
        boardToken,
        basePath,
        ssoToken,
      }),
    // Canny has no sign-out: the board it drew (an iframe in the element) goes instead.
    () => element.current?.replaceChildren(),
    `${boardToken} ${basePath}`,
  )
  return createElement('div', { ref: element, 'data-canny': '', 'aria-busy': status === 'loading' })
}
