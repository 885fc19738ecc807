'use client'

import { loadSdk, useTokenBinding } from './embed'
import type { TokenBindingOptions } from './embed'
import { fetchTokenFrom } from './token-store'
import type { TokenSnapshot } from './token-store'

export type { EmbedUser, TokenBindingOptions } from './embed'

/**
 * Options of {@link useFeaturebase}.
 *
 * @example
 * ```ts
 * const options: FeaturebaseOptions = { appId: '65f0c0ffee', user, settings: { theme: 'dark' } }
 * ```
 */
export type FeaturebaseOptions = TokenBindingOptions & {
  /** Your Featurebase app id. */
  appId: string
  /**
   * More boot settings (`theme`, `language`, …), read at each boot; `appId` and
   * `featurebaseJwt` are the binding's (default: none).
   */
  settings?: Record<string, unknown> & { appId?: never; featurebaseJwt?: never }
  /**
   * The SDK script, loaded when the page has no `window.Featurebase` (default:
   * `https://do.featurebase.app/js/sdk.js`; a local simulator's URL in tests).
   */
  scriptUrl?: string
}

/**
 * Boots Featurebase's SDK for the logged-in user with a token from your backend
 * (`@sso/middleware`'s `POST /sso/featurebase/token`): installs Featurebase's queueing loader
 * unless the page has `window.Featurebase`, calls `Featurebase('boot', { appId, featurebaseJwt })`
 * once the token arrives, boots again with a fresh token before it expires, and calls
 * `Featurebase('shutdown')` when the user logs out, switches, or the component unmounts. Nobody
 * logged in: nothing is booted. Returns the state of the last token request.
 *
 * @example
 * ```tsx
 * function Feedback({ user }: { user: { id: string } | null }) {
 *   const { status } = useFeaturebase({ appId: '65f0c0ffee', user })
 *   return <button data-featurebase-feedback disabled={status !== 'ready'}>Feedback</button>
 * }
 * ```
 */
export function useFeaturebase(options: FeaturebaseOptions): TokenSnapshot {
  const { appId } = options
  const featurebase = () =>
    loadSdk('Featurebase', options.scriptUrl ?? 'https://do.featurebase.app/js/sdk.js')
  return useTokenBinding(
    options,
    () => fetchTokenFrom(options.tokenUrl ?? '/sso/featurebase/token'),
    (featurebaseJwt) => featurebase()('boot', { ...options.settings, appId, featurebaseJwt }),
    () => featurebase()('shutdown'),
    appId,
  )
}
