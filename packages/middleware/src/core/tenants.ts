// Many tenants on one mount: a tenant's vendors come from the app's resolver, once, and live in a
// bounded most-recently-used cache with a time to live. Concurrent first requests share one
// resolution; a failure is never cached; `invalidate` takes effect on the next request.
import { isSsoError, SsoError } from './errors'
import { checkVendors } from './options'
import { compileRoutes, type MatcherCache, type RouteTable } from './routes'
import type { TenantOptions, Vendor, VendorRoute } from './types'

/** 1–128 of `A-Z a-z 0-9 . _ -`, starting and ending with a letter or digit (so never `.`/`..`). */
const TENANT_ID = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/

/** Is this a tenant id the resolver may see? Checked before any app code gets it. */
export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID.test(value)
}

export interface Mounted<Req> {
  vendor: Vendor<Req>
  route: VendorRoute<Req>
}

/** Compiles the route table of a list of vendors under `basePath`. */
export function mountVendors<Req>(
  basePath: string,
  vendors: readonly Vendor<Req>[],
  where: string,
  matchers?: MatcherCache,
  extra?: (vendors: readonly Vendor<Req>[]) => Vendor<Req> | undefined,
): RouteTable<Mounted<Req>> {
  // `extra`: the core's own routes over these vendors (the development inspector).
  const own = extra?.(vendors)
  return compileRoutes<Mounted<Req>>(
    basePath,
    (own ? [...vendors, own] : vendors).flatMap((vendor) =>
      vendor.routes.map((route) => ({
        method: route.method,
        path: route.path,
        head: route.sideEffects !== true,
        value: { vendor, route },
      })),
    ),
    where,
    matchers,
  )
}

export interface ResolvedTenantOptions<Req, Ctx = unknown> {
  id: string | ((req: Req, context: Ctx) => unknown)
  resolve: TenantOptions<Req, Ctx>['resolve']
  authorize: TenantOptions<Req, Ctx>['authorize']
  maxTenants: number
  ttlMs: number
  timeoutMs: number
}

export interface TenantCache<Req> {
  /** The tenant's route table when it is cached and fresh (the warm path: no promise). */
  peek(tenant: string): RouteTable<Mounted<Req>> | undefined
  /** The tenant's route table: cached, or resolved now. Rejects with an SsoError. */
  get(tenant: string): Promise<RouteTable<Mounted<Req>>>
  /** Forgets one tenant: its next request resolves it again. */
  invalidate(tenant: string): void
  /** Forgets every tenant. */
  invalidateAll(): void
  /** How many tenants are cached. */
  readonly size: number
}

interface Entry<Req> {
  table: RouteTable<Mounted<Req>>
  expires: number
  /** When it was last moved to the most recently used end. */
  touched: number
}

/**
 * A hit moves its entry to the most recently used end at most this often: a Map's delete and
 * re-insert on every hit leaves tombstones that make a hot key slower to find the larger the
 * cache (measured: 42 µs a hit at 10,000 entries). Recency to within a second is enough.
 */
const TOUCH_MS = 1000

/** A resolution in flight; `stale` once an invalidation came after it started. */
interface Pending<Req> {
  promise: Promise<RouteTable<Mounted<Req>>>
  stale: boolean
}

const unavailable = (tenant: string, why: string, cause?: unknown) =>
  new SsoError('ERR_SSO_TENANT_UNAVAILABLE', `The configuration of tenant "${tenant}" ${why}.`, {
    cause,
    userMessage: 'Sign-in is unavailable right now. Try again in a moment.',
  })

/** An invalid tenant configuration: the message names tenant, vendor and option, never a value. */
const misconfigured = (tenant: string, error: SsoError) => {
  const prefix = `tenant "${tenant}": `
  const message = error.message.startsWith(prefix) ? error.message : `${prefix}${error.message}`
  return new SsoError('ERR_SSO_CONFIG', message, {
    cause: error,
    userMessage: 'Sign-in is not set up correctly for this site.',
  })
}

const isConfigError = (error: unknown): error is SsoError =>
  isSsoError(error) && error.code === 'ERR_SSO_CONFIG'

export function createTenantCache<Req, Ctx = unknown>(
  options: ResolvedTenantOptions<Req, Ctx>,
  basePath: string,
  where: string,
  extra?: (vendors: readonly Vendor<Req>[]) => Vendor<Req> | undefined,
): TenantCache<Req> {
  const entries = new Map<string, Entry<Req>>()
  const pending = new Map<string, Pending<Req>>()
  const matchers: MatcherCache = new Map()

  async function resolveTenant(tenant: string, self: Pending<Req>) {
    const controller = new AbortController()
    const timer = setTimeout(
      () =>
        controller.abort(unavailable(tenant, `was not resolved within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    )
    const inTime = <T>(work: Promise<T>): Promise<T> => {
      // A late rejection, after the timeout answered, is nobody's: never an unhandled one.
      work.catch(() => {})
      return new Promise<T>((resolve, reject) => {
        const { signal } = controller
        if (signal.aborted) reject(signal.reason)
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        work.then(resolve, reject)
      })
    }
    try {
      let vendors: unknown
      try {
        vendors = await inTime(
          Promise.resolve().then(() => options.resolve(tenant, { signal: controller.signal })),
        )
      } catch (error) {
        // A vendor factory refusing this tenant's options fails this tenant alone.
        if (isConfigError(error)) throw misconfigured(tenant, error)
        if (isSsoError(error) && error.code === 'ERR_SSO_TENANT_UNAVAILABLE') throw error
        throw unavailable(tenant, 'could not be loaded (the resolver failed)', error)
      }
      if (vendors === null || vendors === undefined) {
        throw new SsoError('ERR_SSO_TENANT_UNKNOWN', `No tenant "${tenant}" is known.`, {
          userMessage: 'This sign-in link is for a site that does not exist.',
        })
      }
      let table: RouteTable<Mounted<Req>>
      try {
        checkVendors(vendors, `tenant "${tenant}": ${where}`)
        table = mountVendors(basePath, vendors as readonly Vendor<Req>[], where, matchers, extra)
      } catch (error) {
        throw isConfigError(error) ? misconfigured(tenant, error) : error
      }
      try {
        await inTime(Promise.all((vendors as readonly Vendor<Req>[]).map((v) => v.ready)))
      } catch (error) {
        throw isConfigError(error) ? misconfigured(tenant, error) : error
      }
      if (!self.stale) {
        entries.delete(tenant)
        const now = Date.now()
        entries.set(tenant, { table, expires: now + options.ttlMs, touched: now })
        // Most recently used last: the first key is the one to go.
        while (entries.size > options.maxTenants) {
          const oldest = entries.keys().next().value as string
          entries.delete(oldest)
        }
      }
      return table
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    peek(tenant) {
      const hit = entries.get(tenant)
      if (!hit) return undefined
      const now = Date.now()
      if (hit.expires <= now) {
        entries.delete(tenant)
        return undefined
      }
      if (now - hit.touched >= TOUCH_MS) {
        hit.touched = now
        entries.delete(tenant)
        entries.set(tenant, hit)
      }
      return hit.table
    },
    get(tenant) {
      const hit = this.peek(tenant)
      if (hit) return Promise.resolve(hit)
      const inFlight = pending.get(tenant)
      if (inFlight) return inFlight.promise
      const self: Pending<Req> = { promise: undefined as never, stale: false }
      self.promise = resolveTenant(tenant, self).finally(() => {
        if (pending.get(tenant) === self) pending.delete(tenant)
      })
      pending.set(tenant, self)
      return self.promise
    },
    invalidate(tenant) {
      entries.delete(tenant)
      const inFlight = pending.get(tenant)
      if (inFlight) {
        inFlight.stale = true
        pending.delete(tenant)
      }
    },
    invalidateAll() {
      entries.clear()
      for (const inFlight of pending.values()) inFlight.stale = true
      pending.clear()
    },
    get size() {
      return entries.size
    },
  }
}
