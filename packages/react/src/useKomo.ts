import { useKomoContext } from './context'
import type { KomoApi } from './context'

export type { KomoApi } from './context'

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
