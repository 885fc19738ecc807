// The development inspector (#16): off by default, not mounted in production, loopback only,
// every value escaped, and never a usable token on the page (every JWT-looking substring tried
// against every vendor's secret; every real token's signature and signed value looked for).
import { ALICE, HOSTS, pinClock, startApp, unpinClock, VENDOR_FIXTURES } from '@sso/fixtures'
import { jwtVerify } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  isLocalClient,
  kustomer,
  type SsoUser,
  ssoHandler,
  type Vendor,
  zendesk,
} from '../../src/index'
import * as fetchEntry from '../../src/fetch'
import { configurationNotes, defineVendor } from '../../src/vendor-kit'

const NODE = HOSTS[0]!
const DOC = { 'sec-fetch-dest': 'document' }
const secretOf = (config: object) => (config as { secret?: string }).secret

describe('the inspector is off unless enabled', () => {
  it('is not mounted by default: the request is handed on to the app', async () => {
    const fixture = VENDOR_FIXTURES[0]!
    const app = await startApp({ vendors: [fixture.build()] }, NODE)
    try {
      const res = await app.get('/sso/_inspect', { headers: DOC })
      expect(res.status).toBe(404)
      expect(res.headers.get('x-app')).not.toBeNull()
    } finally {
      await app.close()
    }
  })

  it('is not mounted while NODE_ENV=production, unless dangerouslyEnableInProduction', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    try {
      const vendors = [VENDOR_FIXTURES[0]!.build()]
      const off = await startApp({ vendors, inspector: true }, NODE)
      const forced = await startApp(
        { vendors, inspector: { dangerouslyEnableInProduction: true } },
        NODE,
      )
      try {
        expect((await off.get('/sso/_inspect')).headers.get('x-app')).not.toBeNull()
        expect((await forced.get('/sso/_inspect')).status).toBe(200)
      } finally {
        await off.close()
        await forced.close()
      }
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('rejects unknown inspector options at construction, naming them', () => {
    expect(() =>
      ssoHandler({
        getUser: () => null,
        vendors: [VENDOR_FIXTURES[0]!.build()],
        inspector: { allowRemote: true } as never,
      }),
    ).toThrow(/ssoHandler\(\{ inspector \}\).*allowRemote/)
  })
})

describe('who may open it', () => {
  const vendors = () => [VENDOR_FIXTURES[0]!.build()]

  it('answers a loopback client, and refuses one behind a proxy header with 403', async () => {
    const app = await startApp({ vendors: vendors(), inspector: true }, NODE)
    try {
      expect((await app.get('/sso/_inspect')).status).toBe(200)
      for (const header of ['forwarded', 'x-forwarded-for', 'x-real-ip', 'via']) {
        const res = await app.get('/sso/_inspect', { headers: { [header]: '203.0.113.9' } })
        expect(res.status, header).toBe(403)
        expect(await res.text()).not.toContain(ALICE.id)
      }
    } finally {
      await app.close()
    }
  })

  it('answers loopback clients on every Node host (the socket address), and refuses them behind a proxy', async () => {
    for (const host of HOSTS.filter((h) => !h.name.startsWith('ssoHandler'))) {
      const app = await startApp({ vendors: vendors(), inspector: true }, host)
      try {
        expect((await app.get('/sso/_inspect')).status, host.name).toBe(200)
        const proxied = await app.get('/sso/_inspect', {
          headers: { 'x-forwarded-for': '1.2.3.4' },
        })
        expect(proxied.status, host.name).toBe(403)
      } finally {
        await app.close()
      }
    }
  })

  it('refuses everyone on the Fetch handler (no client address) unless `allow` says yes, given the context', async () => {
    const closed = ssoHandler({ getUser: () => ALICE, vendors: vendors(), inspector: true })
    const res = await closed(new Request('http://127.0.0.1/sso/_inspect'))
    expect(res?.status).toBe(403)
    const allow = vi.fn((_req: Request, c: { local: boolean }) => c.local)
    const open = ssoHandler<Request, { local: boolean }>({
      getUser: () => ALICE,
      vendors: vendors(),
      inspector: { allow },
    })
    expect((await open(new Request('http://x/sso/_inspect'), { local: true }))?.status).toBe(200)
    expect((await open(new Request('http://x/sso/_inspect'), { local: false }))?.status).toBe(403)
    expect(allow).toHaveBeenCalledTimes(2)
  })

  it('a throwing allow is a 500, never a crash', async () => {
    const sso = ssoHandler({
      getUser: () => ALICE,
      vendors: vendors(),
      inspector: {
        allow: () => {
          throw new Error('boom')
        },
      },
    })
    const res = await sso(new Request('http://x/sso/_inspect'))
    expect(res?.status).toBe(500)
    expect(await res?.text()).not.toContain('boom')
  })
})

describe('isLocalClient: the default rule, for a Fetch handler that knows the address', () => {
  const none = new Headers()
  it('admits loopback addresses only, and nobody without an address', () => {
    for (const address of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '::ffff:127.0.0.1',
      '::FFFF:127.0.0.9',
    ]) {
      expect(isLocalClient(none, address), address).toBe(true)
    }
    for (const address of [
      undefined,
      '',
      '10.0.0.1',
      '192.168.1.7',
      '::2',
      '::ffff:10.0.0.1',
      '127.0.0.1.evil',
      'localhost',
      '0.0.0.0',
    ]) {
      expect(isLocalClient(none, address), String(address)).toBe(false)
    }
  })

  it('refuses a loopback peer whose request names any proxy hop, whatever its value', () => {
    for (const header of ['forwarded', 'x-forwarded-for', 'x-real-ip', 'via']) {
      for (const value of ['127.0.0.1', '203.0.113.9', '']) {
        expect(
          isLocalClient(new Headers({ [header]: value }), '127.0.0.1'),
          `${header}: ${value}`,
        ).toBe(false)
      }
    }
  })

  it('is exported from @sso/middleware/fetch too, and admits a real loopback client through allow', async () => {
    expect(fetchEntry.isLocalClient).toBe(isLocalClient)
    const sso = ssoHandler<Request, { address?: string }>({
      getUser: () => ALICE,
      vendors: [VENDOR_FIXTURES[0]!.build()],
      inspector: { allow: (req, ctx) => isLocalClient(req.headers, ctx.address) },
    })
    const local = await sso(new Request('http://x/sso/_inspect'), { address: '127.0.0.1' })
    expect(local?.status).toBe(200)
    const remote = await sso(new Request('http://x/sso/_inspect'), { address: '198.51.100.4' })
    expect(remote?.status).toBe(403)
  })
})

describe('what it shows', () => {
  beforeAll(() => pinClock())
  afterAll(() => unpinClock())
  const upstreams: { close(): Promise<void> }[] = []
  afterEach(async () => {
    await Promise.all(upstreams.splice(0).map((u) => u.close()))
  })

  const everyVendor = async () => {
    const built = []
    for (const fixture of VENDOR_FIXTURES) {
      const upstream = fixture.startUpstream ? await fixture.startUpstream() : undefined
      if (upstream) upstreams.push(upstream)
      built.push({ fixture, vendor: fixture.build({}, upstream), config: fixture.config(upstream) })
    }
    return built
  }

  it('never holds a usable token: every JWT-looking substring fails every secret; no real signature or signed value appears', async () => {
    const built = await everyVendor()
    const app = await startApp(
      { vendors: built.map((b) => b.vendor), inspector: true, loginUrl: '/login' },
      NODE,
    )
    try {
      // The real values each start route hands out, to look for on the inspector's pages.
      const real: string[] = []
      for (const { fixture } of built) {
        const { start } = fixture
        const res = await app.get(
          `/sso${start.path.replace(/^\/sso/, '')}${start.query ? `?${start.query}` : ''}`,
          {
            method: start.method,
            headers: { ...DOC, 'sec-fetch-site': 'same-origin' },
          },
        )
        let text = `${res.headers.get('location') ?? ''} ${await res.text()}`
        // A JWT's signature is the secret-bearing part; its header and payload are shown decoded.
        const jwt = /[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.([A-Za-z0-9_-]{20,})/g
        for (const match of text.matchAll(jwt)) real.push(match[1]!)
        text = text.replace(jwt, ' ')
        // Any other long opaque value (a Discourse payload and its sig, a refresh token).
        for (const match of text.matchAll(/[A-Za-z0-9+/_-]{40,}/g)) real.push(match[0])
      }
      expect(real.length).toBeGreaterThan(VENDOR_FIXTURES.length)
      const pages: string[] = [await (await app.get('/sso/_inspect')).text()]
      pages.push(
        await (await app.get('/sso/_inspect', { headers: { accept: 'application/json' } })).text(),
      )
      for (const { fixture } of built) {
        if (fixture.start.method !== 'GET') continue
        const q = new URLSearchParams({
          preview: `${fixture.id}/${fixture.start.name}`,
          query: fixture.start.query,
        })
        pages.push(await (await app.get(`/sso/_inspect?${q}`)).text())
      }
      const secrets = built.map((b) => secretOf(b.config)).filter((s): s is string => !!s)
      expect(secrets.length).toBeGreaterThanOrEqual(5)
      for (const page of pages) {
        for (const value of real) expect(page).not.toContain(value)
        for (const [jwt] of page.matchAll(
          /[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]+/g,
        )) {
          for (const secret of secrets) {
            await expect(
              jwtVerify(jwt, new TextEncoder().encode(secret), { currentDate: new Date() }),
            ).rejects.toThrow()
          }
        }
        // What it does show: the user's claims, decoded.
        expect(page).toContain(ALICE.id)
      }
    } finally {
      await app.close()
    }
  })

  it('shows the exact final Location of a preview, signature removed, and the decoded claims', async () => {
    const sso = ssoHandler({
      getUser: () => ALICE,
      vendors: [
        kustomer({
          secret: 'kustomer-fixture-secret-1a2b3c4d5e6f7a8b9c',
          allowedHosts: ['acme.kustomer.help'],
        } as never),
      ],
      inspector: { allow: () => true },
    })
    const target = 'https://acme.kustomer.help/en_us/login?referralUrl=%2Fen_us%2Farticle'
    const q = new URLSearchParams({
      preview: 'kustomer/login',
      query: `kustomerRedirectUri=${encodeURIComponent(target)}`,
    })
    const res = await sso(
      new Request(`http://x/sso/_inspect?${q}`, { headers: { accept: 'application/json' } }),
    )
    const body = (await res?.json()) as {
      routes: {
        route: string
        outcome: string
        delivery?: { location?: string; destination?: string; allowed?: string[] }
        tokens: { claims: Record<string, unknown>; header: Record<string, unknown> }[]
      }[]
    }
    const login = body.routes.find((r) => r.route === 'login')!
    expect(login.outcome).toBe('ok')
    expect(login.delivery?.destination).toBe('https://acme.kustomer.help/en_us/login')
    // The allow-list the target was checked against, as configured.
    expect(login.delivery?.allowed).toEqual(['acme.kustomer.help'])
    const page = await (await sso(new Request(`http://x/sso/_inspect?${q}`)))!.text()
    expect(page).toContain('<p data-allowed>May redirect to: <code>acme.kustomer.help</code></p>')
    const location = new URL(login.delivery?.location ?? '')
    expect(location.searchParams.get('referralUrl')).toBe('/en_us/article')
    expect(location.searchParams.get('externalToken')).toMatch(
      /^[\w-]+\.[\w-]+\.SIGNATURE-REMOVED$/,
    )
    expect(login.tokens[0]?.header).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(login.tokens[0]?.claims).toEqual({
      email: ALICE.email,
      iat: Math.floor(Date.now() / 1000),
    })
  })

  it('escapes every value: a hostile user id, name and query run nothing', async () => {
    const hostile: SsoUser = {
      ...ALICE,
      id: '"><script>alert(1)</script>',
      name: '<img src=x onerror=alert(2)>',
    }
    const sso = ssoHandler({
      getUser: () => hostile,
      vendors: VENDOR_FIXTURES.filter((f) => !f.startUpstream).map((f) => f.build()),
      inspector: { allow: () => true },
    })
    const q = new URLSearchParams({ preview: '"><script>x</script>', query: '<script>y</script>' })
    const page = await (await sso(new Request(`http://x/sso/_inspect?${q}`)))!.text()
    const hit = /<script|<img/i.exec(page)
    expect(hit && page.slice(hit.index - 200, hit.index + 100)).toBeNull()
    expect(page).toContain('&lt;script&gt;')
  })

  it('runs no route that changes state, and warns about configuration that puts users at risk', async () => {
    const onLogout = vi.fn()
    const sso = ssoHandler({
      getUser: () => ({ ...ALICE, emailVerified: false }),
      onLogout,
      vendors: [
        zendesk({
          subdomain: 'acme',
          secret: 'zendesk-fixture-secret-0123456789abcdef',
          allowRoleClaims: true,
          claims: () => ({ role: 'admin' }),
        }),
      ],
      inspector: { allow: () => true },
    })
    const body = (await (await sso(
      new Request('http://x/sso/_inspect', { headers: { accept: 'application/json' } }),
    ))!.json()) as {
      warnings: string[]
      routes: { route: string; outcome: string; reason?: { code?: string } }[]
    }
    expect(onLogout).not.toHaveBeenCalled()
    expect(body.routes.find((r) => r.route === 'logout')?.outcome).toBe('skipped')
    expect(body.routes.find((r) => r.route === 'login')).toMatchObject({
      outcome: 'refused',
      reason: { code: 'ERR_SSO_EMAIL_UNVERIFIED' },
    })
    expect(body.warnings.join(' ')).toMatch(/No `loginUrl`/)
    expect(body.warnings.join(' ')).toMatch(/emailVerified: false/)
  })
})

describe("the vendors' configuration notes: the short-secret escape hatch and privilege opt-ins", () => {
  const warningsOf = async (vendors: Vendor[]) => {
    const sso = ssoHandler({
      getUser: () => ALICE,
      loginUrl: '/login',
      vendors,
      inspector: { allow: () => true },
    })
    const res = (await sso(
      new Request('http://x/sso/_inspect', { headers: { accept: 'application/json' } }),
    ))!
    return ((await res.json()) as { warnings: string[] }).warnings
  }
  const SHORT = 'short-secret-16b'

  it('every built-in vendor with a secret warns when a short one is accepted by the escape hatch, naming its size, never the secret', async () => {
    const withSecret = VENDOR_FIXTURES.filter(
      (f) => !f.startUpstream && typeof secretOf(f.config()) === 'string',
    )
    expect(withSecret.length).toBeGreaterThanOrEqual(10)
    for (const fixture of withSecret) {
      const short = await warningsOf([
        fixture.build({ secret: SHORT, dangerouslyAllowShortSecret: true } as never),
      ])
      const note = short.find((w) => w.startsWith(`${fixture.id}: The secret is 16 bytes`))
      expect(note, fixture.id).toMatch(/under the 32 required.*dangerouslyAllowShortSecret/)
      expect(short.join(' ')).not.toContain(SHORT)
      // The hatch set with a long secret, or not set: nothing to say.
      for (const extra of [{ dangerouslyAllowShortSecret: true }, {}]) {
        const long = await warningsOf([fixture.build(extra as never)])
        expect(
          long.filter((w) => w.includes('The secret is')),
          fixture.id,
        ).toEqual([])
      }
    }
  })

  it('Zendesk, Discourse and Metabase name the privilege opt-in that is set, even for a user the hook gives no privilege', async () => {
    const optIns = {
      zendesk: 'allowRoleClaims',
      discourse: 'allowPrivilegeClaims',
      metabase: 'allowGroupClaims',
    }
    for (const [id, option] of Object.entries(optIns)) {
      const fixture = VENDOR_FIXTURES.find((f) => f.id === id)!
      const on = await warningsOf([fixture.build({ [option]: true } as never)])
      expect(
        on.find((w) => w.startsWith(`${id}: \`${option}\` is set:`)),
        id,
      ).toBeDefined()
      const off = await warningsOf([fixture.build({ [option]: false } as never)])
      expect(
        off.some((w) => w.includes(option)),
        id,
      ).toBe(false)
    }
  })

  it('a vendor of yours brings its own notes (escaped on the page); notes that are not strings are refused at definition', async () => {
    const route = {
      name: 'login',
      method: 'GET',
      path: '/acme/login',
      kind: 'browser',
      handle: async () => ({ kind: 'redirect', location: 'https://acme.example/', allow: 'any' }),
    } as const
    const acme = defineVendor({
      id: 'acme',
      routes: [route as never],
      notes: configurationNotes(
        { allowEverything: true },
        { allowEverything: 'anyone is <b>admin</b>' },
      ),
    })
    expect(await warningsOf([acme])).toContain(
      'acme: `allowEverything` is set: anyone is <b>admin</b>.',
    )
    const sso = ssoHandler({
      getUser: () => ALICE,
      vendors: [acme],
      inspector: { allow: () => true },
    })
    const page = await (await sso(new Request('http://x/sso/_inspect')))!.text()
    expect(page).toContain('anyone is &lt;b&gt;admin&lt;/b&gt;')
    expect(page).not.toContain('<b>admin')
    for (const notes of ['one note', [1], [null]]) {
      expect(
        () => defineVendor({ id: 'acme', routes: [route as never], notes: notes as never }),
        String(notes),
      ).toThrow(/defineVendor\("acme"\).*`notes` must be an array of strings/)
    }
  })
})
