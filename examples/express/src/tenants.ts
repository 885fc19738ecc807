import { bettermode, type TenantOptions, type Vendor } from '@sso/middleware'
import type { Request } from 'express'

/**
 * Where the tenants' routes live: one mount for every tenant, the tenant named by the path
 * (`/t/acme/sso/bettermode/login`). The static mount of the other vendors stays at `/sso`.
 */
export const TENANT_BASE_PATH = '/t/:tenant/sso'

/** A route of a tenant's mount, e.g. `tenantPath('acme', '/bettermode/login')`. */
export const tenantPath = (tenant: string, path: string) =>
  `/t/${encodeURIComponent(tenant)}/sso${path}`

/**
 * One row of the app's tenant table: a customer organisation of this app, with its own
 * Bettermode community (its own SSO key and its own community URL).
 */
export interface DemoTenant {
  /** The tenant id, as the path names it (`/t/<id>/sso`). */
  id: string
  /** What people call it: the link text on the front page. */
  name: string
  bettermode: { secret: string; communityUrl: string }
  /** Where the tenant's flow starts: its community's front page. */
  startUrl: string
}

/** The demo's two tenants; `startDemo` gives each a community simulator and a fresh secret. */
export const DEMO_TENANTS: readonly Pick<DemoTenant, 'id' | 'name'>[] = [
  { id: 'acme', name: 'Acme community' },
  { id: 'globex', name: 'Globex community' },
]

/**
 * The tenant table, in memory, standing in for the app's database. A `Map`, not an object:
 * a tenant id such as `constructor` must not find anything on a prototype.
 */
export class TenantTable {
  private readonly rows: ReadonlyMap<string, DemoTenant>

  constructor(rows: readonly DemoTenant[]) {
    this.rows = new Map(rows.map((row) => [row.id, row]))
  }

  /** Every tenant, in the order given (for the front page). */
  list(): DemoTenant[] {
    return [...this.rows.values()]
  }

  /** Looks a tenant up, asynchronously, as a database query would. */
  async find(id: string): Promise<DemoTenant | undefined> {
    return this.rows.get(id)
  }
}

/**
 * The resolver the tenants' mount calls (once per tenant; the middleware caches the result):
 * the tenant's vendors, built from its row, or `null` for a tenant the table does not hold.
 */
export function tenantResolver(table: TenantTable): TenantOptions<Request>['resolve'] {
  return async (id) => {
    const row = await table.find(id)
    if (!row) return null
    return [
      bettermode({ secret: row.bettermode.secret, communityUrl: row.bettermode.communityUrl }),
    ] as Vendor<Request>[]
  }
}
