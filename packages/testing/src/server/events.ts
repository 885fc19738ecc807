import type { SimulatorVendor } from '../vendors'

/**
 * One sign-in or refusal a simulator saw. Tests assert on these instead of scraping pages.
 *
 * @example
 * ```ts
 * expect(sim.events.at(-1)).toMatchObject({ type: 'refused', code: 'expired' })
 * ```
 */
export interface SimulatorEvent {
  readonly type: 'signed-in' | 'refused'
  readonly vendor: SimulatorVendor
  /** When it happened, in ms, from the simulator's clock (`now`). */
  readonly at: number
  /** The signed-in email (or, for Konnec, the username when it is an email). */
  readonly email?: string
  /** The user id the vendor keys on (`sub`; the username for Konnec). */
  readonly sub?: string
  /** The refusal code (the same one the page shows in `data-code`). */
  readonly code?: string
  /** A human-readable refusal reason, or what happened on sign-in (e.g. `created`). */
  readonly detail?: string
  /** Zendesk: the SSO configuration (`end-user` or `team`) the sign-in went through. */
  readonly configuration?: string
  /** The verified token claims (or the Konnec user record; Discourse: the decoded payload). */
  readonly claims?: Readonly<Record<string, unknown>>
}
