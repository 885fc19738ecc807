// The tenants of the tenant benchmarks (#12): ids t0, t1, … (or any valid id), each with its own
// Komo secret, derived from the fixtures' on every resolution, so nothing per tenant is held
// outside the middleware's cache (a table of 100,000 secrets would weigh on the memory rows).
import { ISSUER, SECRETS } from './lib.mjs'

export const TENANT_BASE_PATH = '/t/:tenant/sso'
/** The Komo token route of one tenant. */
export const tenantTokenPath = (tenant) => `/t/${tenant}/sso/komo/token`
/** The same, for the load generator's `spread` (`{i}` is the tenant's number). */
export const TENANT_TOKEN_TEMPLATE = '/t/t{i}/sso/komo/token'
/** Each tenant's own secret (the fixtures' Komo secret with the tenant id appended). */
export const tenantSecret = (tenant) => `${SECRETS.komo}.${tenant}`

/** How often the resolver ran in this process: one call per tenant resolved (or re-resolved). */
export const TENANT_STATS = { resolved: 0 }

/** A resolver that answers at once: the tenant's secret, one `komo()` vendor built with it. */
export function tenantResolver(mw) {
  return function resolveBenchTenant(tenant) {
    TENANT_STATS.resolved++
    return [mw.komo({ secret: tenantSecret(tenant), issuer: ISSUER })]
  }
}
