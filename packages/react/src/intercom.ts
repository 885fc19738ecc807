'use client'

import { loadSdk, userKey, useTokenBinding } from './embed'
import type { TokenBindingOptions } from './embed'
import { fetchTokenFrom } from './token-store'
import type { TokenSnapshot } from './token-store'

export type { EmbedUser, TokenBindingOptions } from './embed'

/**
 * Messenger settings besides the identity (`api_base` for a regional workspace,
 * `hide_default_launcher`, …). The identity is the binding's: `app_id`, `intercom_user_jwt`
 * and `user_hash` are set by it, and `user_id` and `email` never go in the page settings (the
 * signed token carries them).
 *
 * @example
 * ```ts
 * const settings: IntercomSettings = { api_base: 'https://api-iam.eu.intercom.io' }
 * ```
 */
export type IntercomSettings = Record<string, unknown> & {
  app_id?: never
  intercom_user_jwt?: never
  user_hash?: never
  user_id?: never
  email?: never
}

/**
 * Options of {@link useIntercom}.
 *
 * @example
 * ```ts
 * const options: IntercomOptions = { appId: 'abc123', user }
 * ```
 */
export type IntercomOptions = TokenBindingOptions & {
  /** Your Intercom workspace's app id. */
  appId: string
  /**
   * `'jwt'`: boot with `intercom_user_jwt` from `{ token, expiresAt }`, re-booted before it
   * expires. `'userHash'`: Intercom's legacy identity verification, for a server in
   * `mode: 'userHash'`: boot with `user_id` (the `user`'s id, which must be the id the server's
   * `getUser` returns) and `user_hash` from `{ userHash }`, which never expires and is kept until
   * the user changes (default: `'jwt'`).
   */
  mode?: 'jwt' | 'userHash'
  /** More Messenger settings, read at each boot (default: none). */
  settings?: IntercomSettings
  /**
   * The Messenger script, loaded when the page has no `window.Intercom` (default:
   * `https://widget.intercom.io/widget/{appId}`; a local simulator's URL in tests).
   */
  scriptUrl?: string
}

/**
 * Boots the Intercom Messenger for the logged-in user with a token from your backend
 * (`@sso/middleware`'s `POST /sso/intercom/token`): installs Intercom's queueing loader unless the
 * page has `window.Intercom`, calls `Intercom('boot', { app_id, intercom_user_jwt })` once the
 * token arrives, boots again with a fresh token before it expires, and calls
 * `Intercom('shutdown')` when the user logs out, switches, or the component unmounts. Nobody
 * logged in: nothing is booted. Returns the state of the last token request.
 *
 * @example
 * ```tsx
 * function Messenger({ user }: { user: { id: string } | null }) {
 *   const { error } = useIntercom({ appId: 'abc123', user })
 *   return error ? <p>Chat is unavailable ({error.code})</p> : null
 * }
 * ```
 */
export function useIntercom(options: IntercomOptions): TokenSnapshot {
  const { appId, settings, tokenUrl = '/sso/intercom/token' } = options
  const legacy = options.mode === 'userHash'
  const intercom = () =>
    loadSdk('Intercom', options.scriptUrl ?? `https://widget.intercom.io/widget/${appId}`)
  return useTokenBinding(
    options,
    () =>
      legacy
        ? // A user hash has no expiry: kept (Infinity) until the user changes.
          (context) =>
            fetchTokenFrom(tokenUrl, 'userHash')(context).then((r) => ({ ...r, expiresAt: 1 / 0 }))
        : fetchTokenFrom(tokenUrl),
    (token) => {
      // Stripped again at run time: a JS caller's settings must not put them in the page.
      const { user_id, email, ...rest } = settings ?? {}
      intercom()(
        'boot',
        legacy
          ? { ...rest, app_id: appId, user_id: String(userKey(options.user)), user_hash: token }
          : { ...rest, app_id: appId, intercom_user_jwt: token },
      )
    },
    () => intercom()('shutdown'),
    appId,
  )
}
