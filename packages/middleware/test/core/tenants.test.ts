// Many tenants on one mount (`tenants`), behind every host: per-tenant secrets and allow-lists,
// one resolution per tenant, a bounded cache with a time to live, invalidation, failures that
// are never cached, and tenant ids checked before any app code sees them.
import {
  ADA,
  type AnyOptions,
  byName,
  HOSTS,
  pinClock,
  type Running,
  unpinClock,
} from '@sso/fixtures'
import { jwtVerify } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  bettermode,
  kustomer,
  komo,
  type SsoEvent,
  type TenantOptions,
  type Vendor,
} from '../../src/index'

const SECRET_A = 'tenant-a-secret-0123456789abcdefghij'
const SECRET_B = 'tenant-b-secret-ZYXWVUTSRQPONMLKJIHG'
const SECRETS: Record<string, string> = { acme: SECRET_A, globex: SECRET_B }
const HOST_OF: Record<string, string> = {
  acme: 'acme.kustomer.help',
  globex: 'globex.kustomer.help',
}

/** What the tenants' "database" holds, and how often it was asked. */
function tenantStore() {
  const calls: string[] = []
  const secrets = { ...SECRETS }
  const resolve: TenantOptions['resolve'] = async (tenant) => {
    calls.push(tenant)
    const secret = secrets[tenant]
    if (!secret) return null
    return [
      komo({ secret }),
      kustomer({ secret, allowedHosts: [HOST_OF[tenant] ?? `${tenant}.kustomer.help`] }),
      bettermode({ secret, communityUrl: `https://${tenant}.community.example` }),
    ]
  }
  return { calls, secrets, resolve }
}

const verifies = async (token: string, secret: string) => {
  try {
    await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] })
    return true
  } catch {
    return false
  }
}

const tokenOf = async (sent: { status: number; body: string }) => {
  expect(sent.status).toBe(200)
  return (JSON.parse(sent.body) as { token: string }).token
}

describe.each(byName(HOSTS))('%s', (_name, host) => {
  let running: Running | undefined
  let events: SsoEvent[]
  const start = async (tenants: Partial<TenantOptions>, extra: Partial<AnyOptions> = {}) => {
    events = []
    running = await host.start({
      getUser: () => ADA,
      basePath: '/t/:tenant/sso',
      loginUrl: '/login',
      onEvent: (event: SsoEvent) => void events.push(event),
      tenants: { resolve: tenantStore().resolve, ...tenants },
      ...extra,
    } as AnyOptions)
    return running
  }
  const token = (app: Running, tenant: string) =>
    app.send(`/t/${tenant}/sso/komo/token`, { method: 'POST' })
  afterEach(async () => {
    unpinClock()
    await running?.close()
    running = undefined
  })

  it("signs each tenant's tokens with that tenant's secret only", async () => {
    const app = await start({})
    const a = await tokenOf(await token(app, 'acme'))
    const b = await tokenOf(await token(app, 'globex'))
    expect(await verifies(a, SECRET_A)).toBe(true)
    expect(await verifies(a, SECRET_B)).toBe(false)
    expect(await verifies(b, SECRET_B)).toBe(true)
    expect(await verifies(b, SECRET_A)).toBe(false)
  })

  it("never sends tenant A's Kustomer token to tenant B's allowed host", async () => {
    const app = await start({})
    const target = (host: string) =>
      `kustomerRedirectUri=${encodeURIComponent(`https://${host}/login?referralUrl=/`)}`
    const own = await app.send(`/t/acme/sso/kustomer/login?${target('acme.kustomer.help')}`)
    expect(own.status).toBe(302)
    const location = new URL(own.headers.get('location') ?? '')
    expect(location.host).toBe('acme.kustomer.help')
    expect(await verifies(location.searchParams.get('externalToken') ?? '', SECRET_A)).toBe(true)

    const other = await app.send(`/t/acme/sso/kustomer/login?${target('globex.kustomer.help')}`)
    expect(other.status).toBe(400)
    expect(other.body).toContain('ERR_SSO_REDIRECT_NOT_ALLOWED')
    expect(other.headers.get('location')).toBeNull()
  })

  it('resolves a tenant once for 100 concurrent first requests', async () => {
    const store = tenantStore()
    const app = await start({ resolve: store.resolve })
    const answers = await Promise.all(Array.from({ length: 100 }, () => token(app, 'acme')))
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200))
    expect(store.calls).toEqual(['acme'])
    await token(app, 'acme')
    expect(store.calls).toEqual(['acme'])
  })

  it('keeps at most maxTenants, dropping the least recently used (to within a second)', async () => {
    pinClock()
    const store = tenantStore()
    store.secrets.initech = 'tenant-c-secret-0123456789abcdefghij'
    const app = await start({ resolve: store.resolve, maxTenants: 2 })
    await token(app, 'acme')
    await token(app, 'globex')
    vi.advanceTimersByTime(1000)
    await token(app, 'acme') // acme is now the most recently used
    await token(app, 'initech') // globex goes
    expect(store.calls).toEqual(['acme', 'globex', 'initech'])
    await token(app, 'acme')
    expect(store.calls).toEqual(['acme', 'globex', 'initech'])
    await token(app, 'globex')
    expect(store.calls).toEqual(['acme', 'globex', 'initech', 'globex'])
  })

  it('does not reorder a tenant hit again within a second (recency is kept to the second)', async () => {
    pinClock()
    const store = tenantStore()
    store.secrets.initech = 'tenant-c-secret-0123456789abcdefghij'
    const app = await start({ resolve: store.resolve, maxTenants: 2 })
    await token(app, 'acme')
    await token(app, 'globex')
    await token(app, 'acme') // within the second: acme keeps its place, first in line
    await token(app, 'initech') // so acme goes
    await token(app, 'globex')
    expect(store.calls).toEqual(['acme', 'globex', 'initech'])
    await token(app, 'acme')
    expect(store.calls).toEqual(['acme', 'globex', 'initech', 'acme'])
  })

  it('resolves a tenant again once its time to live has passed (pinned clock)', async () => {
    pinClock()
    const store = tenantStore()
    const app = await start({ resolve: store.resolve, ttlMs: 60_000 })
    await token(app, 'acme')
    vi.advanceTimersByTime(59_999)
    await token(app, 'acme')
    expect(store.calls).toEqual(['acme'])
    vi.advanceTimersByTime(2)
    await token(app, 'acme')
    expect(store.calls).toEqual(['acme', 'acme'])
  })

  it('takes a rotated secret on the next request after invalidate(tenant)', async () => {
    const store = tenantStore()
    const app = await start({ resolve: store.resolve })
    expect(await verifies(await tokenOf(await token(app, 'acme')), SECRET_A)).toBe(true)
    const rotated = 'tenant-a-rotated-secret-0123456789abcd'
    store.secrets.acme = rotated
    // Cached: still the old secret until invalidated.
    expect(await verifies(await tokenOf(await token(app, 'acme')), SECRET_A)).toBe(true)
    app.invalidate('acme')
    expect(await verifies(await tokenOf(await token(app, 'acme')), rotated)).toBe(true)
    expect(store.calls).toEqual(['acme', 'acme'])
    store.secrets.globex = rotated
    await token(app, 'globex')
    app.invalidateAll()
    expect(await verifies(await tokenOf(await token(app, 'globex')), rotated)).toBe(true)
  })

  it('does not cache a resolution that an invalidation overtook', async () => {
    const store = tenantStore()
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let first = true
    const app = await start({
      resolve: async (tenant, context) => {
        // Reads the secret, then is slow to answer: a rotation lands in between.
        const vendors = await store.resolve(tenant, context)
        if (first) {
          first = false
          await gate
        }
        return vendors
      },
    })
    const slow = token(app, 'acme')
    await new Promise((resolve) => setTimeout(resolve, 20))
    store.secrets.acme = 'tenant-a-rotated-secret-0123456789abcd'
    app.invalidate('acme')
    release()
    expect(await verifies(await tokenOf(await slow), SECRET_A)).toBe(true)
    // The old answer served the request it was for, and was not kept.
    const next = await tokenOf(await token(app, 'acme'))
    expect(await verifies(next, 'tenant-a-rotated-secret-0123456789abcd')).toBe(true)
  })

  it('answers 404 ERR_SSO_TENANT_UNKNOWN for a tenant the resolver does not know', async () => {
    const app = await start({})
    const api = await token(app, 'nobody')
    expect(api.status).toBe(404)
    expect(JSON.parse(api.body)).toMatchObject({ error: { code: 'ERR_SSO_TENANT_UNKNOWN' } })
    const page = await app.send('/t/nobody/sso/kustomer/login')
    expect(page.status).toBe(404)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.body).toContain('ERR_SSO_TENANT_UNKNOWN')
    expect(events.at(-1)).toEqual({
      type: 'request.refused',
      vendor: '',
      route: '',
      tenant: 'nobody',
      code: 'ERR_SSO_TENANT_UNKNOWN',
    })
  })

  it.each([
    ['throws', () => Promise.reject(new Error('db down: password=hunter2'))],
    [
      'throws synchronously',
      () => {
        throw new Error('db down: password=hunter2')
      },
    ],
  ])('answers 503 when the resolver %s, and tries again next time', async (_n, failure) => {
    const store = tenantStore()
    let fail = true
    const app = await start({
      resolve: (tenant, context) => (fail ? failure() : store.resolve(tenant, context)),
    })
    const sent = await token(app, 'acme')
    expect(sent.status).toBe(503)
    expect(JSON.parse(sent.body)).toMatchObject({ error: { code: 'ERR_SSO_TENANT_UNAVAILABLE' } })
    expect(sent.body).not.toContain('hunter2')
    expect(JSON.stringify(events)).not.toContain('hunter2')
    fail = false
    expect((await token(app, 'acme')).status).toBe(200)
  })

  it('answers 503 when the resolver hangs past timeoutMs, and aborts its signal', async () => {
    let signal: AbortSignal | undefined
    const app = await start({
      timeoutMs: 50,
      resolve: (_tenant, context) => {
        signal = context.signal
        return new Promise(() => {})
      },
    })
    const started = Date.now()
    const sent = await token(app, 'acme')
    expect(sent.status).toBe(503)
    expect(sent.body).toContain('ERR_SSO_TENANT_UNAVAILABLE')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(signal?.aborted).toBe(true)
  })

  it.each([
    ['a string', 'komo'],
    ['an empty array', []],
    ['a factory, not a vendor', [komo]],
    ['an object', { vendors: [] }],
    ['the same vendor twice', 'twice'],
    ['null inside the list', [null]],
  ])('fails a tenant whose resolver returns %s with ERR_SSO_CONFIG, alone', async (_n, value) => {
    const store = tenantStore()
    const app = await start({
      resolve: (tenant, context) =>
        tenant === 'broken'
          ? ((value === 'twice'
              ? [komo({ secret: SECRET_A }), komo({ secret: SECRET_B })]
              : value) as readonly Vendor[])
          : store.resolve(tenant, context),
    })
    const sent = await token(app, 'broken')
    expect(sent.status).toBe(500)
    // The page says what failed by code only, even in development.
    expect(JSON.parse(sent.body)).toEqual({ error: { code: 'ERR_SSO_CONFIG' } })
    expect((await token(app, 'acme')).status).toBe(200)
  })

  it('fails a tenant whose vendor options are invalid alone, naming tenant, vendor and option', async () => {
    const store = tenantStore()
    const app = await start(
      {
        resolve: (tenant, context) =>
          tenant === 'broken' ? [komo({ secret: 'short' })] : store.resolve(tenant, context),
      },
      { onError: 'next' },
    )
    const sent = await token(app, 'broken')
    expect(sent.appError).toBe(true)
    expect(app.errors.at(-1)).toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message: expect.stringMatching(/^tenant "broken": komo\(\): `secret` is 5 bytes/),
    })
    expect((await token(app, 'acme')).status).toBe(200)
  })

  it('names the tenant when its resolver returns a vendor twice', async () => {
    const app = await start(
      { resolve: () => [komo({ secret: SECRET_A }), komo({ secret: SECRET_B })] },
      { onError: 'next' },
    )
    await token(app, 'acme')
    expect(app.errors.at(-1)).toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message:
        'tenant "acme": ssoMiddleware(): vendor "komo" is in the tenant\'s vendors twice; return each vendor once.'.replace(
          'ssoMiddleware',
          host.name.startsWith('ssoHandler')
            ? 'ssoHandler'
            : host.name.startsWith('ssoPlugin')
              ? 'ssoPlugin'
              : 'ssoMiddleware',
        ),
    })
  })

  it('never shows a tenant configuration error on a page, even with exposeErrors', async () => {
    const app = await start(
      { resolve: () => [komo({ secret: 'short-secret-value' })] },
      { exposeErrors: true },
    )
    const page = await app.send('/t/acme/sso/kustomer/login')
    expect(page.status).toBe(500)
    expect(page.body).toContain('ERR_SSO_CONFIG')
    expect(page.body).not.toContain('secret')
    expect(page.body).not.toContain('komo()')
  })

  it.each([
    ['an encoded slash', 'a%2Fb'],
    ['an encoded dot-dot-slash', '%2e%2e%2Fadmin'],
    ['an encoded backslash', 'a%5Cb'],
    ['a leading dot', '.hidden'],
    ['a space', 'a%20b'],
    ['non-ASCII', 'caf%C3%A9'],
    ['a NUL', 'a%00b'],
    ['129 characters', 'a'.repeat(129)],
    ['a huge id', 'a'.repeat(5000)],
    ['a trailing dash', 'acme-'],
  ])('refuses %s as a tenant id with 404 before the resolver sees it', async (_n, id) => {
    const store = tenantStore()
    const app = await start({ resolve: store.resolve })
    const sent = await app.send(`/t/${id}/sso/komo/token`, { method: 'POST' })
    expect(sent.status).toBe(404)
    expect(sent.body).toContain('ERR_SSO_TENANT_INVALID')
    expect(store.calls).toEqual([])
  })

  it('takes the tenant from a function of the request (a header), checked the same way', async () => {
    const store = tenantStore()
    const app = await start(
      {
        resolve: store.resolve,
        id: (req: unknown) => {
          const headers = (req as { headers: Headers | Record<string, string> }).headers
          return headers instanceof Headers
            ? headers.get('x-tenant')
            : (headers as Record<string, string>)['x-tenant']
        },
      },
      { basePath: '/sso' },
    )
    const ok = await app.send('/sso/komo/token', {
      method: 'POST',
      headers: { 'x-tenant': 'globex' },
    })
    expect(await verifies(await tokenOf(ok), SECRET_B)).toBe(true)
    const bad = await app.send('/sso/komo/token', {
      method: 'POST',
      headers: { 'x-tenant': '../acme' },
    })
    expect(bad.status).toBe(404)
    // No tenant at all: not a tenant's request, handed on to the app.
    const none = await app.send('/sso/komo/token', { method: 'POST' })
    expect(none.passedOn).toBe(true)
    expect(store.calls).toEqual(['globex'])
  })

  it("puts the tenant in every event, and the login round trip keeps the tenant's path", async () => {
    const app = await start({}, { getUser: () => null })
    const sent = await app.send(
      '/t/acme/sso/kustomer/login?kustomerRedirectUri=https%3A%2F%2Facme.kustomer.help%2F',
    )
    expect(sent.status).toBe(302)
    expect(
      new URL(sent.headers.get('location') ?? '', 'http://x').searchParams.get('returnTo'),
    ).toBe('/t/acme/sso/kustomer/login?kustomerRedirectUri=https%3A%2F%2Facme.kustomer.help%2F')
    expect(events).toEqual([
      {
        type: 'login.required',
        vendor: 'kustomer',
        route: 'login',
        tenant: 'acme',
        code: 'ERR_SSO_UNAUTHENTICATED',
      },
    ])
  })

  it('signs a user in to the tenants authorize allows, and refuses the others with 403', async () => {
    const seen: [string, string][] = []
    const app = await start({
      authorize: async (user, tenant) => {
        seen.push([user.id, tenant])
        return tenant === 'acme'
      },
    })
    expect((await token(app, 'acme')).status).toBe(200)
    const other = await token(app, 'globex')
    expect(other.status).toBe(403)
    expect(JSON.parse(other.body)).toMatchObject({ error: { code: 'ERR_SSO_FORBIDDEN' } })
    const page = await app.send(
      `/t/globex/sso/kustomer/login?kustomerRedirectUri=${encodeURIComponent('https://globex.kustomer.help/')}`,
    )
    expect(page.status).toBe(403)
    expect(page.headers.get('location')).toBeNull()
    expect(seen).toEqual([
      [ADA.id, 'acme'],
      [ADA.id, 'globex'],
      [ADA.id, 'globex'],
    ])
  })

  it.each([
    ['returns something other than true', () => 'yes'],
    [
      'throws',
      () => {
        throw new Error('membership db down')
      },
    ],
    ['rejects', () => Promise.reject(new Error('membership db down'))],
  ])('refuses the user when authorize %s', async (_n, authorize) => {
    const app = await start({ authorize: authorize as never })
    const sent = await token(app, 'acme')
    expect([403, 500]).toContain(sent.status)
    expect(sent.body).not.toContain('membership db down')
    expect(sent.body).not.toContain('"token"')
  })

  it('does not ask authorize about a logged-out visitor: they are sent to log in', async () => {
    let asked = 0
    const app = await start({ authorize: () => ++asked > 0 }, { getUser: () => null })
    const sent = await app.send(
      '/t/acme/sso/kustomer/login?kustomerRedirectUri=https%3A%2F%2Facme.kustomer.help%2F',
    )
    expect(sent.status).toBe(302)
    expect(asked).toBe(0)
  })

  it('hands on requests outside basePath without resolving anything', async () => {
    const store = tenantStore()
    const app = await start({ resolve: store.resolve })
    expect((await app.send('/t/acme/other')).passedOn).toBe(true)
    expect((await app.send('/elsewhere')).passedOn).toBe(true)
    expect(store.calls).toEqual([])
  })
})

describe.each(byName(HOSTS.filter((h) => h.name.startsWith('ssoMiddleware'))))(
  '%s, over a raw socket',
  (_name, host) => {
    it('refuses a literal dot segment as a tenant id (no client normalised it away)', async () => {
      const calls: string[] = []
      const app = await host.start({
        getUser: () => ADA,
        basePath: '/t/:tenant/sso',
        tenants: {
          resolve: (tenant: string) => {
            calls.push(tenant)
            return [komo({ secret: SECRET_A })]
          },
        },
      } as AnyOptions)
      try {
        // WHATWG URL clients (fetch) normalise these away; a raw client does not.
        for (const id of ['..', '.', '%2e%2e', '%2E', '.%2e']) {
          const reply = await app.raw?.(
            `POST /t/${id}/sso/komo/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0`,
          )
          expect(reply?.status).toBe(404)
          expect(reply?.body).toContain('ERR_SSO_TENANT_INVALID')
        }
        expect(calls).toEqual([])
      } finally {
        await app.close()
      }
    })
  },
)

describe('tenants: configuration checks', () => {
  const build =
    (tenants: unknown, extra: Record<string, unknown> = {}) =>
    () =>
      HOSTS[0]?.start({
        getUser: () => null,
        basePath: '/t/:tenant/sso',
        tenants,
        ...extra,
      } as AnyOptions)
  it.each([
    [{}, /`resolve` must be a function/],
    [{ resolve: () => [], resolver: 1 }, /unknown option `resolver`; did you mean `resolve`\?/],
    [{ resolve: () => [], id: 'org' }, /basePath "\/t\/:tenant\/sso" has none/],
    [{ resolve: () => [], maxTenants: 0 }, /`maxTenants` must be a positive whole number/],
    [{ resolve: () => [], ttlMs: 1.5 }, /`ttlMs` must be a positive whole number/],
    [{ resolve: () => [], authorize: true }, /`authorize` must be a function/],
    ['x', /ssoMiddleware\(\{ tenants \}\): takes/],
  ])('refuses %j', async (tenants, message) => {
    await expect(build(tenants)()).rejects.toMatchObject({ code: 'ERR_SSO_CONFIG', message })
  })

  it('refuses vendors and tenants together', async () => {
    await expect(
      build({ resolve: () => [] }, { vendors: [komo({ secret: SECRET_A })] })(),
    ).rejects.toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message: /takes `vendors` \(the same for every request\) or `tenants`/,
    })
  })
})
