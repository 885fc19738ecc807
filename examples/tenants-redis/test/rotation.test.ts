// Rotation across app instances, for real: one redis-server, two app processes, tenants in Redis
// hashes. A rotation published on `sso:invalidate` reaches the other instance on its next
// request; without the message, the other instance keeps the old secret until `ttlMs`.
// The tests run in order and share the processes (each states what it starts from).
import { verifyVendorToken } from '@sso/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Instance, type RedisServer, startInstance, startRedisServer } from '../src/processes'
import { CHANNEL, putTenant, tenantKey } from '../src/tenants'

const TTL_MS = 1500
const ADMIN_TOKEN = 'admin-token-for-the-rotation-test'
const ACME_V1 = 'acme-komo-secret-v1-0123456789abcdefghij'
const ACME_V2 = 'acme-komo-secret-v2-KLMNOPQRSTUVWXYZ012345'
const ACME_V3 = 'acme-komo-secret-v3-written-without-a-publish'
const GLOBEX = 'globex-komo-secret-0123456789abcdefghijk'
const GLOBEX_V2 = 'globex-komo-secret-v2-after-a-star-message'

let redisServer: RedisServer | undefined
let redis: Redis | undefined
let one: Instance
let two: Instance
let cookie = ''
let setupError: unknown

const stopAll = async () => {
  await redis?.quit().catch(() => {})
  redis = undefined
  await Promise.allSettled([one?.stop(), two?.stop()])
  await redisServer?.stop()
}

beforeAll(async () => {
  try {
    // Throws "redis-server is not on PATH…" when Redis is missing: the tests fail, never skip.
    redisServer = await startRedisServer()
    redis = new Redis(redisServer.url)
    await putTenant(redis, 'acme', {
      'komo.secret': ACME_V1,
      'kustomer.secret': 'acme-kustomer-secret-0123456789abcdefghij',
      'kustomer.allowedHosts': 'acme.kustomer.help',
    })
    await putTenant(redis, 'globex', {
      'komo.secret': GLOBEX,
      'bettermode.secret': 'globex-bettermode-secret-0123456789abcdef',
      'bettermode.communityUrl': 'https://community.globex.example',
    })
    const common = { redisUrl: redisServer.url, ttlMs: TTL_MS, adminToken: ADMIN_TOKEN }
    const started = await Promise.allSettled([
      startInstance({ name: 'instance 1', ...common }),
      startInstance({ name: 'instance 2', ...common }),
    ])
    if (started[0].status === 'fulfilled') one = started[0].value
    if (started[1].status === 'fulfilled') two = started[1].value
    for (const s of started) if (s.status === 'rejected') throw s.reason
    // Sessions live in Redis: signed in on instance 1, known to instance 2.
    const login = await fetch(`${one.url}/login?email=ada@example.com`, { redirect: 'manual' })
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    expect(cookie).toMatch(/^sid=/)
  } catch (error) {
    setupError = error
    await stopAll()
  }
}, 60_000)

// A setup failure (no redis-server on PATH, an instance that would not start) fails every test
// with its message: thrown from beforeAll, vitest would report the tests as skipped.
beforeEach(() => {
  if (setupError) throw setupError
})

afterAll(stopAll, 20_000)

/** A Komo token for `tenant` from `instance`, as the page's embed would ask for it. */
async function komoToken(instance: Instance, tenant: string) {
  const response = await fetch(`${instance.url}/t/${tenant}/sso/komo/token`, {
    method: 'POST',
    headers: { cookie },
  })
  const body = await response.text()
  expect(response.status, `${instance.url} ${tenant}: ${body}`).toBe(200)
  return (JSON.parse(body) as { token: string }).token
}

/** Which of `secrets` signed the token (the Komo simulator's check), or `null`. */
async function signedWith(token: string, secrets: Record<string, string>) {
  for (const [name, secret] of Object.entries(secrets)) {
    try {
      await verifyVendorToken('komo', token, secret)
      return name
    } catch {}
  }
  return null
}

const count = (instance: Instance, line: string) => instance.output().split(line).length - 1
const resolved = (instance: Instance, tenant: string) =>
  count(instance, `resolved ${tenant} from Redis`)

/** Polls until `check` is true or `ms` passes; returns whether it became true. */
async function until(ms: number, check: () => Promise<boolean> | boolean, everyMs = 25) {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

describe('tenant secrets in Redis, rotation through sso:invalidate', () => {
  it('rotates on instance 1, and instance 2 signs with the new secret on its next request', async () => {
    const acme = { v1: ACME_V1, v2: ACME_V2 }
    // globex first (this also warms both processes up): cached until at least tg + TTL.
    const tg = Date.now()
    expect(await signedWith(await komoToken(one, 'globex'), { GLOBEX })).toBe('GLOBEX')
    expect(await signedWith(await komoToken(two, 'globex'), { GLOBEX })).toBe('GLOBEX')
    const globexResolutions = resolved(two, 'globex')
    expect(globexResolutions).toBe(1)
    expect(await signedWith(await komoToken(one, 'acme'), acme)).toBe('v1')
    // Instance 2 resolves acme now (its first acme request): cached until at least t0 + TTL.
    const t0 = Date.now()
    expect(resolved(two, 'acme')).toBe(0)
    expect(await signedWith(await komoToken(two, 'acme'), acme)).toBe('v1')
    expect(resolved(two, 'acme')).toBe(1)

    // The admin path, on instance 1: write the new secret, publish "acme".
    const rotation = await fetch(`${one.url}/admin/tenants/acme/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ vendor: 'komo', secret: ACME_V2 }),
    })
    expect(rotation.status, await rotation.clone().text()).toBe(200)
    expect(await redis?.hget(tenantKey('acme'), 'komo.secret')).toBe(ACME_V2)
    // Instance 1 forgot acme itself: its very next request uses v2.
    expect(await signedWith(await komoToken(one, 'acme'), acme)).toBe('v2')

    // Instance 2 learns it from the message: poll briefly (far below the TTL) for it to arrive.
    const seen: (string | null)[] = []
    const switched = await until(1000, async () => {
      const who = await signedWith(await komoToken(two, 'acme'), acme)
      seen.push(who)
      return who === 'v2'
    })
    expect(switched, `instance 2 kept signing acme with ${seen.join(', ')}\n${two.output()}`).toBe(
      true,
    )
    // Every token it issued on the way was signed with v1 or v2, never anything else.
    expect(seen.every((who) => who === 'v1' || who === 'v2')).toBe(true)
    // Not the TTL: instance 2's acme entry (resolved after t0) had not expired yet.
    const elapsed = Date.now() - t0
    expect(elapsed, 'the whole rotation should take far less than the TTL').toBeLessThan(TTL_MS)
    expect(two.output()).toContain('invalidated "acme"')
    expect(resolved(two, 'acme')).toBe(2)

    // globex is unaffected: same secret, and instance 2 did not even resolve it again.
    expect(await signedWith(await komoToken(two, 'globex'), { GLOBEX, ...acme })).toBe('GLOBEX')
    expect(await signedWith(await komoToken(one, 'globex'), { GLOBEX, ...acme })).toBe('GLOBEX')
    expect(resolved(two, 'globex')).toBe(globexResolutions)
    expect(Date.now() - tg, 'the globex entry should not have expired either').toBeLessThan(TTL_MS)
  })

  it('without the publish, instance 2 keeps the old secret until ttlMs passes', async () => {
    const acme = { v2: ACME_V2, v3: ACME_V3 }
    // Start from a fresh acme entry on instance 2: an invalidation, then one request.
    const invalidations = count(two, 'invalidated "acme"')
    await redis?.publish(CHANNEL, 'acme')
    expect(await until(1000, () => count(two, 'invalidated "acme"') > invalidations)).toBe(true)
    const before = resolved(two, 'acme')
    const t0 = Date.now()
    expect(await signedWith(await komoToken(two, 'acme'), acme)).toBe('v2')
    const t1 = Date.now()
    expect(resolved(two, 'acme')).toBe(before + 1)

    // The hash changes and nobody publishes (a hand edit, a lost message).
    await redis?.hset(tenantKey('acme'), 'komo.secret', ACME_V3)
    const seen: { who: string | null; at: number }[] = []
    const switched = await until(
      TTL_MS + 2000,
      async () => {
        const who = await signedWith(await komoToken(two, 'acme'), acme)
        seen.push({ who, at: Date.now() })
        return who === 'v3'
      },
      100,
    )
    expect(switched, `${JSON.stringify(seen)}\n${two.output()}`).toBe(true)
    // Cached: every answer before t0 + TTL used v2; the first v3 came at or after it.
    const early = seen.filter((s) => s.at < t0 + TTL_MS)
    expect(early.length).toBeGreaterThan(0)
    expect(early.every((s) => s.who === 'v2')).toBe(true)
    const first = seen.find((s) => s.who === 'v3')
    expect(first?.at).toBeGreaterThanOrEqual(t0 + TTL_MS)
    // ... and not much later than the entry's expiry (t1 + TTL) plus one poll.
    expect(first?.at).toBeLessThan(t1 + TTL_MS + 1000)
    expect(seen.every((s) => s.who === 'v2' || s.who === 'v3')).toBe(true)
  }, 15_000)

  it('a "*" message makes every instance forget every tenant', async () => {
    const globex = { GLOBEX, GLOBEX_V2 }
    expect(await signedWith(await komoToken(two, 'globex'), globex)).toBe('GLOBEX')
    await redis?.hset(tenantKey('globex'), 'komo.secret', GLOBEX_V2)
    await redis?.publish(CHANNEL, '*')
    for (const instance of [one, two]) {
      const switched = await until(
        1000,
        async () => (await signedWith(await komoToken(instance, 'globex'), globex)) === 'GLOBEX_V2',
      )
      expect(switched, instance.output()).toBe(true)
      expect(instance.output()).toContain('invalidated every tenant')
    }
  })

  it('the admin path refuses a missing token and a short secret, writing nothing', async () => {
    const rotate = (body: unknown, token?: string) =>
      fetch(`${one.url}/admin/tenants/acme/rotate`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: JSON.stringify(body),
      })
    const stored = await redis?.hget(tenantKey('acme'), 'komo.secret')
    expect((await rotate({ secret: ACME_V1 })).status).toBe(401)
    expect((await rotate({ secret: ACME_V1 }, 'wrong-token')).status).toBe(401)
    const short = await rotate({ secret: 'too-short' }, ADMIN_TOKEN)
    expect(short.status).toBe(400)
    expect(await short.text()).not.toContain('too-short')
    expect((await rotate({ secret: ACME_V1 }, ADMIN_TOKEN)).status).toBe(200)
    const unknown = await fetch(`${one.url}/admin/tenants/initech/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ secret: ACME_V2 }),
    })
    expect(unknown.status).toBe(400)
    expect(stored).toBe(ACME_V3)
    expect(await redis?.hget(tenantKey('acme'), 'komo.secret')).toBe(ACME_V1)
    expect(await redis?.exists(tenantKey('initech'))).toBe(0)
  })
})
