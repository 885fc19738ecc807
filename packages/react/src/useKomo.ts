import { useKomoContext } from './KomoProvider'
import type { KomoEmbed } from './KomoProvider'

/**
 * What {@link useKomo} returns.
 *
 * @example
 * ```ts
 * const { embed, forgetUser, setAuthToken }: KomoApi = useKomo()
 * ```
 */
export interface KomoApi {
  /** Komo's embed object; `null` during server rendering and before the first effect. */
  embed: KomoEmbed | null
  /** Drops the cached token and signs the user out of Komo. */
  forgetUser(): void
  /** Hands Komo a token directly (push mode). */
  setAuthToken(token: string): void
}

/**
 * Komo's embed for apps that drive it themselves. `forgetUser` and `setAuthToken` are stable and
 * safe to call from event handlers; they install the loader if it is not there yet.
 *
 * @example
 * ```tsx
 * function LogoutButton() {
 *   const { forgetUser } = useKomo()
 *   return <button onClick={() => logout().then(forgetUser)}>Log out</button>
 * }
 * ```
 */
export function useKomo(): KomoApi {
  return useKomoContext('useKomo').api
}
