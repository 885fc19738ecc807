/**
 * The tenants' configuration lives in Redis, one hash per tenant (`sso:tenant:<id>`), and a
 * change is announced on the channel `sso:invalidate` (the tenant id, or `*` for all). Every app
 * instance subscribes and forgets that tenant, so its next request reads the hash again; a
 * message that never arrives is bounded by the middleware's `ttlMs`.
 */
import {
  bettermode,
  kustomer,
  komo,
  type SsoMiddleware,
  type TenantOptions,
  type Vendor,
} from '@sso/middleware'
import type { Redis } from 'ioredis'

export const CHANNEL = 'sso:invalidate'

/** The Redis key of a tenant's hash. */
export const tenantKey = (tenant: string) => `sso:tenant:${tenant}`

/**
 * A tenant's hash, field by field. A vendor is mounted for the tenant when its secret is set.
 * `kustomer.allowedHosts` is comma-separated.
 */
export interface TenantRecord {
  'komo.secret'?: string
  'kustomer.secret'?: string
  'kustomer.allowedHosts'?: string
  'bettermode.secret'?: string
  'bettermode.communityUrl'?: string
}

/** The vendors whose secret `rotate` may change, and the hash field that holds it. */
export const SECRET_FIELD = {
  komo: 'komo.secret',
  kustomer: 'kustomer.secret',
  bettermode: 'bettermode.secret',
} as const satisfies Record<string, keyof TenantRecord>
export type RotatableVendor = keyof typeof SECRET_FIELD

/** Builds a tenant's vendors from its hash; a bad value throws ERR_SSO_CONFIG (the factories check). */
export function vendorsOf(record: TenantRecord): Vendor[] {
  const vendors: Vendor[] = []
  if (record['komo.secret']) vendors.push(komo({ secret: record['komo.secret'] }))
  if (record['kustomer.secret']) {
    const hosts = record['kustomer.allowedHosts']?.split(',').map((h) => h.trim())
    vendors.push(
      kustomer({
        secret: record['kustomer.secret'],
        ...(hosts?.length ? { allowedHosts: hosts } : {}),
      }),
    )
  }
  if (record['bettermode.secret']) {
    vendors.push(
      bettermode({
        secret: record['bettermode.secret'],
        communityUrl: record['bettermode.communityUrl'] ?? '',
      }),
    )
  }
  return vendors
}

/**
 * The middleware's resolver: reads the tenant's hash. An empty hash is an unknown tenant (404); a
 * Redis error rejects (503, not cached, retried on the next request).
 */
export function redisResolver(redis: Redis, onResolve?: (tenant: string, known: boolean) => void) {
  const resolve: TenantOptions['resolve'] = async (tenant) => {
    const record = (await redis.hgetall(tenantKey(tenant))) as TenantRecord
    const known = Object.keys(record).length > 0
    onResolve?.(tenant, known)
    return known ? vendorsOf(record) : null
  }
  return resolve
}

/**
 * Subscribes `sub` (a connection of its own: a subscribed connection runs no other command) to
 * `sso:invalidate` and forgets the named tenant, or every tenant for `*`. When the subscription is
 * re-established after a lost connection, messages may have been missed, so every tenant is
 * forgotten then too.
 */
export async function subscribeInvalidations(
  sub: Redis,
  sso: Pick<SsoMiddleware, 'invalidate' | 'invalidateAll'>,
  log: (line: string) => void = () => {},
): Promise<void> {
  sub.on('message', (channel: string, message: string) => {
    if (channel !== CHANNEL) return
    if (message === '*') sso.invalidateAll()
    else sso.invalidate(message)
    log(`invalidated ${message === '*' ? 'every tenant' : JSON.stringify(message.slice(0, 128))}`)
  })
  let subscribed = false
  sub.on('ready', () => {
    if (!subscribed) return
    sso.invalidateAll()
    log('reconnected to Redis: invalidated every tenant')
  })
  await sub.subscribe(CHANNEL)
  subscribed = true
}

/** Writes a whole tenant (replacing its hash) and announces it. */
export async function putTenant(redis: Redis, tenant: string, record: TenantRecord) {
  vendorsOf(record)
  await redis
    .multi()
    .del(tenantKey(tenant))
    .hset(tenantKey(tenant), record as Record<string, string>)
    .publish(CHANNEL, tenant)
    .exec()
}

/**
 * The admin side of a rotation: checks the new secret the way the middleware will (a short one
 * is refused here, not at the tenant's next sign-in), writes it, and publishes the tenant id, in
 * one MULTI. Every instance subscribed to `sso:invalidate` then signs with it on its next request.
 */
export async function rotate(
  redis: Redis,
  tenant: string,
  newSecret: string,
  vendor: RotatableVendor = 'komo',
): Promise<void> {
  const field = SECRET_FIELD[vendor]
  if (!field) throw new Error(`rotate: unknown vendor ${JSON.stringify(vendor)}`)
  const record = (await redis.hgetall(tenantKey(tenant))) as TenantRecord
  if (!record[field]) throw new Error(`rotate: tenant "${tenant}" has no ${vendor} secret`)
  vendorsOf({ ...record, [field]: newSecret })
  const results = await redis
    .multi()
    .hset(tenantKey(tenant), field, newSecret)
    .publish(CHANNEL, tenant)
    .exec()
  const failed = results?.find(([error]) => error)
  if (!results || failed) throw failed?.[0] ?? new Error('rotate: the transaction was aborted')
}

/** Announces that every tenant changed: each instance forgets all of them. */
export async function invalidateEveryTenant(redis: Redis): Promise<void> {
  await redis.publish(CHANNEL, '*')
}
