import type { TokenRules } from './claims'
import { bettermodeToken } from './simulators/bettermode/verify'
import { cannyToken } from './simulators/canny/verify'
import { comm100Token } from './simulators/comm100/verify'
import { intercomToken } from './simulators/intercom/verify'
import { featurebaseToken } from './simulators/featurebase/verify'
import { komoToken } from './simulators/komo/verify'
import { kustomerToken } from './simulators/kustomer/verify'
import { metabaseToken } from './simulators/metabase/verify'
import { zendeskToken } from './simulators/zendesk/verify'

/**
 * The vendor list: one line per vendor, its display name and, for vendors whose tokens are JWTs
 * the vendor verifies itself, the rules beside its simulator. A new vendor adds one line here.
 */
export const VENDORS = {
  komo: { name: 'Komo', token: komoToken },
  kustomer: { name: 'Kustomer', token: kustomerToken },
  konnec: { name: 'Konnec' },
  comm100: { name: 'Comm100', token: comm100Token },
  bettermode: { name: 'Bettermode', token: bettermodeToken },
  zendesk: { name: 'Zendesk', token: zendeskToken },
  discourse: { name: 'Discourse' },
  intercom: { name: 'Intercom', token: intercomToken },
  featurebase: { name: 'Featurebase', token: featurebaseToken },
  metabase: { name: 'Metabase', token: metabaseToken },
  canny: { name: 'Canny', token: cannyToken },
} as const satisfies Record<string, { readonly name: string; readonly token?: TokenRules }>

/**
 * The vendors a simulator can stand in for:
 * `'komo' | 'kustomer' | 'konnec' | 'comm100' | 'bettermode' | 'zendesk' | 'discourse' | 'intercom'
 * | 'featurebase' | 'metabase' | 'canny'`.
 */
export type SimulatorVendor = keyof typeof VENDORS

/**
 * The vendors whose tokens are JWTs the vendor verifies itself (Konnec uses an API instead,
 * Discourse a signed payload — see `verifyDiscoursePayload`):
 * `'komo' | 'kustomer' | 'comm100' | 'bettermode' | 'zendesk' | 'intercom' | 'featurebase' | 'metabase' | 'canny'`.
 */
export type TokenVendor = {
  [K in SimulatorVendor]: (typeof VENDORS)[K] extends { readonly token: TokenRules } ? K : never
}[SimulatorVendor]

/** The vendor's display name. */
export function vendorName(vendor: SimulatorVendor): string {
  return VENDORS[vendor].name
}

/** A JWT vendor's rules; a TypeError names the valid vendors for anything else. */
export function tokenRules(vendor: TokenVendor): TokenRules {
  const entry: { readonly token?: TokenRules } | undefined = Object.hasOwn(VENDORS, vendor)
    ? VENDORS[vendor]
    : undefined
  if (!entry?.token) {
    const valid = Object.entries(VENDORS)
      .filter(([, v]) => 'token' in v)
      .map(([id]) => id)
    throw new TypeError(`Unknown token vendor ${JSON.stringify(vendor)}; use ${valid.join(', ')}`)
  }
  return entry.token
}
