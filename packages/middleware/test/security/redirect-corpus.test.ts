// DESIGN rules 1, 2 and 8 under attack: every input that names a place to go, driven with a
// generated corpus of open-redirect tricks over real HTTP through the middleware: on a static
// mount (every case), and on a `tenants` mount for each fixture tenant (every class, sampled),
// with the attacks only many tenants have (another tenant's places, tenant ids that are not ids).
import { jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ALICE,
  allTenantDestinations,
  CANNY_COMPANY_ID,
  CANNY_HOSTS,
  CANNY_REDIRECT,
  CANNY_SECRET,
  CANNY_SSO_URL,
  COMMUNITY_URL,
  DISCOURSE_NONCE,
  discourseRequest,
  discourseSig,
  FEATUREBASE_HOSTS,
  FEATUREBASE_JWT_URL,
  FEATUREBASE_PORTAL,
  FEATUREBASE_SECRET,
  FORUM_RETURN_URL,
  FORUM_URL,
  type KonnecApi,
  METABASE_SECRET,
  METABASE_URL,
  SECRETS,
  startKonnec,
  TENANTS,
  type TenantFixture,
  vendorFixture,
  ZENDESK_ACCOUNT,
  ZENDESK_BRAND_HOSTS,
  ZENDESK_SUBDOMAIN,
} from '@sso/fixtures'
import {
  ALL_DESTINATIONS,
  BROWSER_TARGETS,
  ROUTES,
  type SecurityApp,
  startSecurityApp,
  startTenantUpstreams,
  tenantBase,
  tenantRoutes,
} from './app'
import {
  absoluteFormCorpus,
  type Case,
  EVIL,
  type PathCase,
  pathCorpus,
  type RelativeCase,
  redirectCorpus,
  relativeCorpus,
  type Target,
  tenantPathCorpus,
} from './corpus'
import { type Reply, pool, send, sendRaw } from './http'
import {
  errorCode,
  formPost,
  isAllowedDestination,
  isTenantIdShape,
  isUnambiguousAbsolute,
  JWT_PATTERN,
  tokensIn,
  unsafeReturnPath,
} from './oracle'

/** Where the routes under attack live, and how many of each class's cases run there. */
interface Mount {
  /** `''` for the static mount, `[tenant acme] ` for a tenant. */
  label: string
  /** `/sso`, or `/t/<tenant>/sso`. */
  base: string
  app: () => SecurityApp
  tenant?: TenantFixture
  /** The cases this mount runs of a class: all of them, or a sample. */
  pick<C>(cases: readonly C[]): C[]
}

/**
 * On a tenant mount each class runs at most about `TENANT_SAMPLE` cases, evenly spread and
 * different per tenant, plus every case whose target is allowed (those use the tenant's own
 * allow-list): every class per tenant at a fraction of the full corpus's time.
 */
const TENANT_SAMPLE = 24

function sampler(offset: number) {
  return <C>(cases: readonly C[]): C[] => {
    if (cases.length <= TENANT_SAMPLE) return [...cases]
    const stride = Math.ceil(cases.length / TENANT_SAMPLE)
    return cases.filter((kase, i) => {
      const { expect: want, roundTrip } = kase as { expect?: string; roundTrip?: boolean }
      return want === 'allow' || want === 'keep' || roundTrip === true || i % stride === offset
    })
  }
}

interface AbsoluteSpec {
  vendor: 'kustomer' | 'comm100'
  route: string
  param: string
  tokenParam: string
  /** Other parameters the vendor sends, in front of the attacked one. */
  prefix: string
  entries: readonly string[]
  target: Target
  secret: string
  /** The same vendor's secrets of the other tenants: a token must never verify with them. */
  otherSecrets: string[]
}

/**
 * Which host of an allow-list counts as which entry kind, read from the configuration's entries
 * (the oracle's reading, not the middleware's): the exact host, the `*.suffix`, a made-up host
 * under the suffix, and the loopback origin.
 */
function targetOf(entries: readonly string[], label: string): Target {
  const exact = entries.find((e) => !e.startsWith('*.') && !e.includes('://'))
  const wildcard = entries.find((e) => e.startsWith('*.'))
  const loopback = entries.find((e) => e.includes('://'))
  if (!exact || !wildcard || !loopback) throw new Error(`${label}: one entry of each kind needed`)
  const suffix = wildcard.slice(2)
  return { exact, suffix, sub: `${label}.${suffix}`, loopback }
}

/** The oracle's own host kinds for the fixtures' static configuration. */
const STATIC_TARGETS: Record<AbsoluteSpec['vendor'], Target> = {
  kustomer: {
    exact: 'help.acme.com',
    suffix: 'kustomer.help',
    sub: 'acme.kustomer.help',
    loopback: 'http://127.0.0.1:4001',
  },
  comm100: {
    exact: 'chat.acme.com',
    suffix: 'comm100.io',
    sub: 'dash11.comm100.io',
    loopback: 'http://localhost:4002',
  },
}

/**
 * The attack on one vendor's absolute target parameter on `mount`. The route and its other
 * parameters come from the vendor's fixture, the allow-list and secret from the mount's
 * configuration (the fixture's, or the tenant's).
 */
function absoluteSpec(
  vendor: AbsoluteSpec['vendor'],
  param: string,
  tokenParam: string,
  mount: Mount,
): AbsoluteSpec {
  const fixture = vendorFixture(vendor)
  const others = new URLSearchParams(fixture.start.query)
  others.delete(param)
  const tenant = mount.tenant
  const entries = tenant ? (tenant.destinations[vendor] ?? []) : fixture.destinations
  return {
    vendor,
    route: `${mount.base}${fixture.start.path}`,
    param,
    tokenParam,
    prefix: `${others}&`,
    entries,
    target: tenant ? targetOf(entries, tenant.id) : STATIC_TARGETS[vendor],
    secret: tenant ? tenant.secrets[vendor] : SECRETS[vendor],
    otherSecrets: TENANTS.filter((t) => t !== tenant).map((t) => t.secrets[vendor]),
  }
}

const absoluteSpecs = (mount: Mount): AbsoluteSpec[] => [
  absoluteSpec('kustomer', 'kustomerRedirectUri', 'externalToken', mount),
  absoluteSpec('comm100', 'redirect_url', 'jwt', mount),
]

const CONCURRENCY = 8
const show = (value: string) => JSON.stringify(value.length > 90 ? `${value.slice(0, 80)}…` : value)
const header = (reply: Reply, name: string) => {
  const value = reply.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** A 4xx with a stable code and no Location, or Node's own 431 for an over-long head. */
function isRefusal(reply: Reply, codes: RegExp): boolean {
  if (reply.status === 431) return true
  return (
    reply.status >= 400 &&
    reply.status < 500 &&
    header(reply, 'location') === undefined &&
    codes.test(errorCode(reply.body) ?? '')
  )
}

const REDIRECT_CODES = /^ERR_SSO_(REDIRECT_NOT_ALLOWED|BAD_REQUEST)$/

/**
 * Rule 1 and 2 checks every answer must pass, whatever the case: no 5xx; a Location that
 * carries a token is an allowed place, written unambiguously, with one token; a Location that
 * carries none stays on the app and, when it is the login page, holds a safe `returnTo`.
 */
function invariants(reply: Reply, app: SecurityApp, destinations: readonly string[]): string[] {
  const problems: string[] = []
  if (reply.status >= 500) problems.push(`answered ${reply.status}`)
  const form = formPost(reply.body)
  if (form.stray) problems.push('a token in the body')
  else if (form.action && !isAllowedDestination(form.action, destinations)) {
    problems.push(`token posted to ${form.action.origin}`)
  }
  const location = header(reply, 'location')
  if (location === undefined) return problems
  const url = new URL(location, app.url)
  if (tokensIn(url).length > 0 || JWT_PATTERN.test(location)) {
    if (!isAllowedDestination(url, destinations)) problems.push(`token sent to ${url.origin}`)
    if (!isUnambiguousAbsolute(location)) problems.push(`ambiguous Location ${show(location)}`)
    return problems
  }
  if (url.origin !== app.url) {
    problems.push(`Location leaves the app: ${show(location)}`)
    return problems
  }
  const why = unsafeReturnPath(location, app.url)
  if (why) problems.push(`unsafe Location ${show(location)}: ${why}`)
  if (url.pathname === '/login') {
    const returnTo = url.searchParams.get('returnTo')
    const bad = unsafeReturnPath(returnTo, app.url)
    if (bad) problems.push(`unsafe returnTo ${show(returnTo ?? '')}: ${bad}`)
  }
  return problems
}

async function verifies(token: string, secret: string): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
    })
    return payload.email === ALICE.email
  } catch {
    return false
  }
}

/** The problems of a token that must verify with `secret` only, not with `others`. */
async function signedBy(token: string, secret: string, others: readonly string[]) {
  const problems: string[] = []
  if (!(await verifies(token, secret))) {
    problems.push('the token sent does not verify for the signed-in user')
  }
  for (const other of others) {
    if (await verifies(token, other))
      problems.push("the token verifies with another tenant's secret")
  }
  return problems
}

/**
 * A logged-out request for an absolute target parameter: a bad target is refused before the
 * user is asked to sign in; a good one goes to the login page with the whole target as returnTo.
 */
async function judgeLoggedOut(on: SecurityApp, path: string, kase: Case): Promise<string[]> {
  const reply = await send(on.port, { path })
  const problems = invariants(reply, on, [])
  const refused = isRefusal(reply, REDIRECT_CODES)
  const location = header(reply, 'location')
  const login = location === undefined ? undefined : new URL(location, on.url)
  const toLogin = reply.status === 302 && login?.pathname === '/login'
  if (kase.expect === 'refuse' && !refused) {
    problems.push(`expected a refusal before login, got ${reply.status} ${location ?? ''}`)
  }
  if (kase.expect === 'allow' && !toLogin)
    problems.push(`expected the login page, got ${reply.status}`)
  // Rule 2 caps returnTo at 2,048 characters; a longer target comes back without its query.
  const roundTrip = path.length <= 2048 ? path : path.slice(0, path.indexOf('?'))
  if (kase.expect === 'allow' && toLogin && login?.searchParams.get('returnTo') !== roundTrip) {
    problems.push('returnTo is not the request target')
  }
  if (kase.expect === 'either' && !refused && !toLogin) {
    problems.push(`neither refused nor sent to login: ${reply.status}`)
  }
  return problems
}

/** Runs every case of a class and returns the problems, one line per failing case. */
async function runClass<C extends { value: string }>(
  cases: readonly C[],
  judge: (kase: C) => Promise<string[]>,
): Promise<string[]> {
  const results = await pool(cases, CONCURRENCY, async (kase) => {
    const problems = await judge(kase)
    return problems.map((p) => `${show(kase.value)}: ${p}`)
  })
  return results.flat()
}

/** The name of a class as run on a mount: how many of its cases run. */
const counted = (picked: readonly unknown[], all: readonly unknown[]) =>
  picked.length === all.length ? `${all.length} cases` : `${picked.length} of ${all.length} cases`

let upstream: KonnecApi
let app: SecurityApp
let tenantUpstreams: Awaited<ReturnType<typeof startTenantUpstreams>>
/** One `tenants` mount serving every fixture tenant. */
let tenantApp: SecurityApp
beforeAll(async () => {
  upstream = await startKonnec()
  app = await startSecurityApp({ upstream })
  tenantUpstreams = await startTenantUpstreams()
  tenantApp = await startSecurityApp({ tenants: { upstreams: tenantUpstreams.upstreams } })
})
afterAll(async () => {
  await app.close()
  await tenantApp.close()
  await upstream.close()
  await tenantUpstreams.close()
})

const STATIC: Mount = { label: '', base: '/sso', app: () => app, pick: (cases) => [...cases] }
const TENANT_MOUNTS: Mount[] = TENANTS.map((tenant, i) => ({
  label: `[tenant ${tenant.id}] `,
  base: tenantBase(tenant.id),
  app: () => tenantApp,
  tenant,
  pick: sampler(i),
}))

function absoluteSuite(spec: AbsoluteSpec, mount: Mount) {
  describe(`${mount.label}${spec.param} (${spec.vendor}): a token goes only where configuration says`, () => {
    const classes = redirectCorpus(spec.target, spec.param)
    const target = (kase: Case) =>
      `${spec.route}?${spec.prefix}${kase.query ?? `${spec.param}=${encodeURIComponent(kase.value)}`}`

    async function loggedIn(kase: Case): Promise<string[]> {
      const on = mount.app()
      const reply = await send(on.port, { path: target(kase) })
      const problems = invariants(reply, on, spec.entries)
      const refused = isRefusal(reply, REDIRECT_CODES)
      const location = header(reply, 'location')
      const url = location === undefined ? undefined : new URL(location, on.url)
      const tokens = url?.searchParams.getAll(spec.tokenParam) ?? []
      const sent = reply.status === 302 && tokens.length === 1
      if (url && tokens.length > 1) problems.push(`${tokens.length} ${spec.tokenParam} parameters`)
      if (sent)
        problems.push(...(await signedBy(tokens[0] as string, spec.secret, spec.otherSecrets)))
      if (kase.expect === 'refuse' && !refused) {
        problems.push(`expected a 4xx ERR_SSO_* refusal, got ${reply.status} ${location ?? ''}`)
      }
      if (kase.expect === 'allow') {
        if (!sent) problems.push(`expected the token, got ${reply.status} ${errorCode(reply.body)}`)
        else if (url?.hostname !== new URL(kase.value).hostname) {
          problems.push(`token went to ${url?.hostname}`)
        }
      }
      if (kase.expect === 'either' && !refused && !sent) {
        problems.push(`neither refused nor served: ${reply.status}`)
      }
      return problems
    }

    const loggedOut = (kase: Case) => judgeLoggedOut(mount.app(), target(kase), kase)

    for (const cls of classes) {
      const cases = mount.pick(cls.cases)
      const n = counted(cases, cls.cases)
      it(`${cls.name}: ${n} — logged in, a token only ever reaches an allowed host`, async () => {
        mount.app().getUser = () => ALICE
        expect(await runClass(cases, loggedIn)).toEqual([])
      })
      it(`${cls.name}: ${n} — logged out, refused first or sent to login with a safe returnTo`, async () => {
        mount.app().getUser = () => null
        expect(await runClass(cases, loggedOut)).toEqual([])
      })
    }

    // Rule 1 bounds the URL that comes in (4,096 characters), not the Location once the token is
    // added: a target at the limit must still receive its token.
    it(`sends the token to a ${spec.param} of exactly 4,096 characters, the documented limit`, async () => {
      const on = mount.app()
      on.getUser = () => ALICE
      const value = `https://${spec.target.sub}/`.padEnd(4096, 'a')
      const reply = await send(on.port, {
        path: `${spec.route}?${spec.prefix}${spec.param}=${encodeURIComponent(value)}`,
      })
      expect({ status: reply.status, code: errorCode(reply.body) }).toEqual({
        status: 302,
        code: undefined,
      })
      const location = new URL(header(reply, 'location') ?? '')
      expect(location.hostname).toBe(spec.target.sub)
      expect(location.searchParams.getAll(spec.tokenParam)).toHaveLength(1)
    })

    it('covers every attack class DESIGN rule 1 names, with hundreds of cases', () => {
      const names = classes.map((c) => c.name).join(' | ')
      for (const word of [
        'scheme',
        'userinfo',
        'look-alike',
        'backslash',
        'percent-encoded',
        'control',
        'Unicode',
        'IP literals',
        'ports',
        'repeated',
        'overlong',
      ]) {
        expect(names).toContain(word)
      }
      expect(classes.reduce((n, c) => n + c.cases.length, 0)).toBeGreaterThan(1000)
    })
  })
}

/**
 * A relative return path that is dropped when unsafe (rule 2) and forwarded beside the token:
 * Bettermode's `referrer_uri` (as `redirect_uri`), Metabase's `return_to`.
 */
interface RelativeSpec {
  vendor: 'bettermode' | 'metabase'
  /** The parameter the vendor sends, and the one the path is forwarded in. */
  param: string
  forwardedAs: string
  /** Where the token goes: an origin, and the path there. */
  origin: string
  endpoint: string
  secret: string
  /** The same vendor's secrets of the other tenants: a token must never verify with them. */
  otherSecrets: string[]
  /** What the destination says: the end of the describe's name. */
  says: string
}

const relativeSpecs = (mount: Mount): RelativeSpec[] => [
  {
    vendor: 'bettermode',
    param: 'referrer_uri',
    forwardedAs: 'redirect_uri',
    origin: new URL(mount.tenant?.destinations.bettermode?.[0] ?? COMMUNITY_URL).origin,
    endpoint: '/api/auth/sso',
    secret: mount.tenant?.secrets.bettermode ?? SECRETS.bettermode,
    otherSecrets: TENANTS.filter((t) => t !== mount.tenant).map((t) => t.secrets.bettermode),
    says: 'communityUrl',
  },
  // Not in the tenant table: every mount serves the fixture's Metabase, with its one key.
  {
    vendor: 'metabase',
    param: 'return_to',
    forwardedAs: 'return_to',
    origin: METABASE_URL,
    endpoint: '/auth/sso',
    secret: METABASE_SECRET,
    otherSecrets: Object.values(SECRETS),
    says: 'metabaseUrl',
  },
]

function relativeSuite(spec: RelativeSpec, mount: Mount) {
  describe(`${mount.label}${spec.param} (${spec.vendor}): unsafe paths are dropped, and the token still goes only to ${spec.says}`, () => {
    const destination = new URL(spec.origin)
    const { secret, otherSecrets, param, forwardedAs } = spec
    const absolute = redirectCorpus(
      {
        exact: destination.hostname,
        suffix: destination.hostname.split('.').slice(1).join('.'),
        sub: `x.${destination.hostname}`,
        loopback: 'http://127.0.0.1:4005',
      },
      param,
    )
    const classes = relativeCorpus(param, absolute)
    const target = (kase: RelativeCase) =>
      `${mount.base}/${spec.vendor}/login?${kase.query ?? `${param}=${encodeURIComponent(kase.value)}`}`

    async function loggedIn(kase: RelativeCase): Promise<string[]> {
      const on = mount.app()
      const reply = await send(on.port, { path: target(kase) })
      const problems = invariants(reply, on, [destination.origin])
      const location = header(reply, 'location')
      if (kase.expect === 'refuse') {
        if (!isRefusal(reply, /^ERR_SSO_BAD_REQUEST$/)) {
          problems.push(`expected a 400 ERR_SSO_BAD_REQUEST, got ${reply.status}`)
        }
        return problems
      }
      if (reply.status !== 302 || location === undefined) {
        return [
          ...problems,
          `expected the redirect to the vendor, got ${reply.status} ${errorCode(reply.body)}`,
        ]
      }
      const url = new URL(location)
      if (`${url.origin}${url.pathname}` !== `${destination.origin}${spec.endpoint}`) {
        problems.push(`token sent to ${url.origin}${url.pathname}`)
      }
      const jwts = url.searchParams.getAll('jwt')
      if (jwts.length !== 1) problems.push(`${jwts.length} jwt parameters`)
      else problems.push(...(await signedBy(jwts[0] as string, secret, otherSecrets)))
      const kept = url.searchParams.getAll(forwardedAs)
      if (kept.length > 1) problems.push(`${forwardedAs} repeated`)
      const redirectUri = kept[0]
      if (redirectUri !== undefined) {
        const why = unsafeReturnPath(redirectUri, destination.origin)
        if (why) problems.push(`kept an unsafe ${forwardedAs} ${show(redirectUri)}: ${why}`)
      }
      if (kase.expect === 'keep' && redirectUri !== kase.value)
        problems.push('a safe path was not kept')
      if (kase.expect === 'drop' && redirectUri !== undefined)
        problems.push('an unsafe path was kept')
      return problems
    }

    async function loggedOut(kase: RelativeCase): Promise<string[]> {
      const on = mount.app()
      const path = target(kase)
      const reply = await send(on.port, { path })
      const problems = invariants(reply, on, [])
      if (kase.expect === 'refuse') {
        if (!isRefusal(reply, /^ERR_SSO_BAD_REQUEST$/))
          problems.push(`expected a 400, got ${reply.status}`)
        return problems
      }
      const location = header(reply, 'location')
      const login = location === undefined ? undefined : new URL(location, on.url)
      if (reply.status !== 302 || login?.pathname !== '/login') {
        problems.push(`expected the login page, got ${reply.status}`)
      } else if (path.length <= 2048 && login.searchParams.get('returnTo') !== path) {
        problems.push('returnTo is not the request target')
      }
      return problems
    }

    for (const cls of classes) {
      const cases = mount.pick(cls.cases)
      const n = counted(cases, cls.cases)
      // The largest class is ~1,700 requests: over vitest's 5 s on a busy 2-core machine.
      it(`${cls.name}: ${n} — logged in`, { timeout: 30_000 }, async () => {
        mount.app().getUser = () => ALICE
        expect(await runClass(cases, loggedIn)).toEqual([])
      })
      it(`${cls.name}: ${n} — logged out, a login redirect with a safe returnTo`, {
        timeout: 30_000,
      }, async () => {
        mount.app().getUser = () => null
        expect(await runClass(cases, loggedOut)).toEqual([])
      })
    }
  })
}

/** Where Zendesk's `return_to` may point (the fixture's account and brand), allow-list syntax. */
const ZENDESK_RETURN_HOSTS = [`${ZENDESK_SUBDOMAIN}.zendesk.com`, ...ZENDESK_BRAND_HOSTS]

/**
 * Zendesk's `return_to` through every class: it is forwarded on the form's action only when it
 * is a safe relative path or an https URL on the account or a brand, and exactly as sent; the
 * form always posts to the account; a foreign place is dropped, never carried.
 */
function zendeskReturnToSuite(mount: Mount) {
  const parsed = (value: string) => {
    try {
      return new URL(value).href
    } catch {
      return undefined
    }
  }
  describe(`${mount.label}return_to (zendesk): the form's action never carries a foreign return_to`, () => {
    const classes = redirectCorpus(
      {
        exact: ZENDESK_BRAND_HOSTS[0] as string,
        suffix: 'zendesk.com',
        sub: `${ZENDESK_SUBDOMAIN}.zendesk.com`,
        // Not configured: an allowed shape elsewhere, dropped here.
        loopback: 'http://127.0.0.1:4107',
      },
      'return_to',
    )
    const fixed = new URLSearchParams(vendorFixture('zendesk').start.query)
    fixed.delete('return_to')
    const target = (kase: Case) =>
      `${mount.base}/zendesk/login?${fixed}&${kase.query ?? `return_to=${encodeURIComponent(kase.value)}`}`

    async function loggedIn(kase: Case): Promise<string[]> {
      const on = mount.app()
      const reply = await send(on.port, { path: target(kase) })
      const problems = invariants(reply, on, [ZENDESK_ACCOUNT])
      if (reply.status !== 200) {
        // Only a broken query or a value over the 4,096-character bound may be refused.
        const refusable = kase.query !== undefined || kase.value.length > 4096
        if (!refusable || !isRefusal(reply, REDIRECT_CODES))
          problems.push(`expected the form page, got ${reply.status} ${errorCode(reply.body)}`)
        return problems
      }
      const form = formPost(reply.body)
      if (!form.action || form.stray) return [...problems, 'no form-POST page with one token']
      if (`${form.action.origin}${form.action.pathname}` !== `${ZENDESK_ACCOUNT}/access/jwt`)
        problems.push(`the form posts to ${form.action.origin}${form.action.pathname}`)
      const kept = form.action.searchParams.getAll('return_to')
      if (kept.length > 1) problems.push('return_to repeated on the action')
      const returnTo = kept[0]
      if (returnTo !== undefined) {
        const relative = returnTo.startsWith('/') && !unsafeReturnPath(returnTo, ZENDESK_ACCOUNT)
        let absolute = false
        try {
          absolute =
            isUnambiguousAbsolute(returnTo) &&
            isAllowedDestination(new URL(returnTo), ZENDESK_RETURN_HOSTS)
        } catch {}
        if (!relative && !absolute) problems.push(`forwarded a foreign return_to ${show(returnTo)}`)
        // A relative path as sent; an absolute URL as the WHATWG parser writes what was sent.
        if (kase.query === undefined && returnTo !== kase.value && returnTo !== parsed(kase.value))
          problems.push(`forwarded ${show(returnTo)}, not what was sent`)
      }
      // A plain https URL on the account or the brand is legitimate and must be kept.
      if (kase.expect === 'allow' && kase.query === undefined) {
        const url = new URL(kase.value)
        const ours = url.protocol === 'https:' && ZENDESK_RETURN_HOSTS.includes(url.hostname)
        if (ours && returnTo !== url.href) problems.push('a legitimate return_to was dropped')
        if (!ours && returnTo !== undefined) problems.push('an unconfigured return_to was kept')
      }
      return problems
    }

    for (const cls of classes) {
      const cases = mount.pick(cls.cases)
      it(`${cls.name}: ${counted(cases, cls.cases)} — logged in`, async () => {
        mount.app().getUser = () => ALICE
        expect(await runClass(cases, loggedIn)).toEqual([])
      })
    }
  })
}

/** Where Featurebase's `return_to` may point (the fixture's portal and allowedHosts), allow-list syntax. */
const FEATUREBASE_RETURN_HOSTS = [new URL(FEATUREBASE_PORTAL).hostname, ...FEATUREBASE_HOSTS]

/**
 * Featurebase's `return_to` through every class: the token always goes to the configured
 * portal's JWT endpoint; `return_to` rides along only when it is an https URL (or the configured
 * loopback origin) on the portal or allowedHosts, as the WHATWG parser writes what was sent;
 * anything else becomes `portalUrl`. A foreign `return_to` never survives, logged in or out.
 */
function featurebaseReturnToSuite(mount: Mount) {
  const parsed = (value: string) => {
    try {
      return new URL(value).href
    } catch {
      return undefined
    }
  }
  describe(`${mount.label}return_to (featurebase): a foreign return_to never survives, it becomes portalUrl`, () => {
    const classes = redirectCorpus(
      {
        exact: FEATUREBASE_HOSTS[0] as string,
        suffix: 'featurebase.app',
        sub: new URL(FEATUREBASE_PORTAL).hostname,
        loopback: FEATUREBASE_HOSTS[2] as string,
      },
      'return_to',
    )
    const target = (kase: Case) =>
      `${mount.base}/featurebase/login?${kase.query ?? `return_to=${encodeURIComponent(kase.value)}`}`
    // Only a broken query or a value over the 4,096-character bound may be refused.
    const refusable = (kase: Case) => kase.query !== undefined || kase.value.length > 4096

    async function loggedIn(kase: Case): Promise<string[]> {
      const on = mount.app()
      const reply = await send(on.port, { path: target(kase) })
      const problems = invariants(reply, on, [FEATUREBASE_PORTAL])
      if (reply.status !== 302) {
        if (!refusable(kase) || !isRefusal(reply, REDIRECT_CODES))
          problems.push(`expected the redirect, got ${reply.status} ${errorCode(reply.body)}`)
        return problems
      }
      const url = new URL(header(reply, 'location') ?? '', on.url)
      if (`${url.origin}${url.pathname}` !== FEATUREBASE_JWT_URL)
        problems.push(`the token went to ${url.origin}${url.pathname}`)
      const jwts = url.searchParams.getAll('jwt')
      if (jwts.length !== 1) problems.push(`${jwts.length} jwt parameters`)
      else problems.push(...(await signedBy(jwts[0] as string, FEATUREBASE_SECRET, [])))
      const kept = url.searchParams.getAll('return_to')
      if (kept.length !== 1) return [...problems, `${kept.length} return_to parameters`]
      const returnTo = kept[0] as string
      if (returnTo !== FEATUREBASE_PORTAL) {
        let ours = false
        try {
          ours =
            isUnambiguousAbsolute(returnTo) &&
            isAllowedDestination(new URL(returnTo), FEATUREBASE_RETURN_HOSTS)
        } catch {}
        if (!ours) problems.push(`forwarded a foreign return_to ${show(returnTo)}`)
        if (kase.expect === 'refuse')
          problems.push(`kept a return_to it must replace ${show(returnTo)}`)
        if (kase.query === undefined && returnTo !== parsed(kase.value))
          problems.push(`forwarded ${show(returnTo)}, not what was sent`)
      }
      if (kase.expect === 'allow' && kase.query === undefined && returnTo !== parsed(kase.value))
        problems.push(`a legitimate return_to became ${show(returnTo)}`)
      return problems
    }

    async function loggedOut(kase: Case): Promise<string[]> {
      const on = mount.app()
      const path = target(kase)
      const reply = await send(on.port, { path })
      const problems = invariants(reply, on, [])
      const location = header(reply, 'location')
      const login = location === undefined ? undefined : new URL(location, on.url)
      const toLogin = reply.status === 302 && login?.pathname === '/login'
      if (!toLogin && !(refusable(kase) && isRefusal(reply, REDIRECT_CODES)))
        problems.push(`expected the login page, got ${reply.status} ${location ?? ''}`)
      // Rule 2 caps returnTo at 2,048 characters; a longer target comes back without its query.
      const roundTrip = path.length <= 2048 ? path : path.slice(0, path.indexOf('?'))
      if (toLogin && login?.searchParams.get('returnTo') !== roundTrip)
        problems.push('returnTo is not the request target')
      return problems
    }

    for (const cls of classes) {
      const cases = mount.pick(cls.cases)
      const n = counted(cases, cls.cases)
      it(`${cls.name}: ${n} — logged in`, async () => {
        mount.app().getUser = () => ALICE
        expect(await runClass(cases, loggedIn)).toEqual([])
      })
      it(`${cls.name}: ${n} — logged out, a login redirect with the route as returnTo`, async () => {
        mount.app().getUser = () => null
        expect(await runClass(cases, loggedOut)).toEqual([])
      })
    }
  })
}

/**
 * Discourse's `return_sso_url` through every class, each payload signed correctly with the
 * forum's secret, so only the allow-list can stop it: a payload goes back only to
 * `{discourseUrl}/session/sso_login`; every other value is a 4xx, logged in or out alike.
 */
function discourseReturnSuite(mount: Mount) {
  describe(`${mount.label}return_sso_url (discourse): signed, and still sent only to the forum`, () => {
    const forum = new URL(FORUM_URL)
    const classes = redirectCorpus(
      {
        exact: forum.hostname,
        suffix: forum.hostname.split('.').slice(1).join('.'),
        sub: `staff.${forum.hostname}`,
        loopback: 'http://127.0.0.1:4108',
      },
      'return_sso_url',
    )
    const payloadOf = (kase: Case) =>
      `nonce=${DISCOURSE_NONCE}&${kase.query ?? `return_sso_url=${encodeURIComponent(kase.value)}`}`
    const target = (kase: Case) =>
      `${mount.base}/discourse/login?${discourseRequest(payloadOf(kase)).query}`
    const legitimate = (kase: Case) => {
      if (kase.query !== undefined) return false
      try {
        const url = new URL(kase.value)
        return (
          !url.username &&
          !url.password &&
          !url.search &&
          !url.hash &&
          `${url.origin}${url.pathname}`.replace(/\/+$/, '') === FORUM_RETURN_URL
        )
      } catch {
        return false
      }
    }

    async function judge(kase: Case, loggedIn: boolean): Promise<string[]> {
      const on = mount.app()
      const reply = await send(on.port, { path: target(kase) })
      const problems = invariants(reply, on, loggedIn ? [FORUM_URL] : [])
      const location = header(reply, 'location')
      if (location !== undefined && reply.status === 302) {
        const url = new URL(location, on.url)
        if (url.origin === on.url) {
          if (loggedIn || url.pathname !== '/login') problems.push(`went to ${show(location)}`)
          else if (!legitimate(kase))
            problems.push('a foreign return_sso_url reached the login page')
          return problems
        }
        if (`${url.origin}${url.pathname}` !== FORUM_RETURN_URL)
          problems.push(`payload sent to ${url.origin}${url.pathname}`)
        if (!legitimate(kase)) problems.push('a foreign return_sso_url was served')
        const sso = url.searchParams.get('sso') ?? ''
        if (url.searchParams.get('sig') !== discourseSig(sso))
          problems.push('the payload is not signed with the forum secret')
        return problems
      }
      if (legitimate(kase)) problems.push(`the forum's own URL was refused: ${reply.status}`)
      else if (!isRefusal(reply, REDIRECT_CODES))
        problems.push(`expected a 4xx refusal, got ${reply.status} ${errorCode(reply.body)}`)
      return problems
    }

    it('serves the forum URL itself (the corpus is not refusing everything)', async () => {
      mount.app().getUser = () => ALICE
      const kase: Case = { value: FORUM_RETURN_URL, expect: 'allow' }
      const reply = await send(mount.app().port, { path: target(kase) })
      expect(reply.status).toBe(302)
      expect(await judge(kase, true)).toEqual([])
    })

    for (const cls of classes) {
      const cases = mount.pick(cls.cases)
      const n = counted(cases, cls.cases)
      it(`${cls.name}: ${n} — logged in, a payload only ever reaches the forum`, async () => {
        mount.app().getUser = () => ALICE
        expect(await runClass(cases, (kase) => judge(kase, true))).toEqual([])
      })
      it(`${cls.name}: ${n} — logged out, refused before the login page`, async () => {
        mount.app().getUser = () => null
        expect(await runClass(cases, (kase) => judge(kase, false))).toEqual([])
      })
    }
  })
}

/** The parameter of each vendor that names an absolute target, and which vendor it is. */
const TARGET_PARAMS: Record<string, AbsoluteSpec['vendor']> = {
  kustomerRedirectUri: 'kustomer',
  redirect_url: 'comm100',
}

/**
 * The browser routes of the fixture vendors on `mount`, each with a valid query: on a tenant,
 * the target parameters point at a host of that tenant's allow-list instead of the fixture's.
 */
function browserTargets(mount: Mount): string[] {
  const tenant = mount.tenant
  return BROWSER_TARGETS.map((target) => {
    const [path = '', query] = target.slice('/sso'.length).split('?')
    if (query === undefined) return `${mount.base}${path}`
    const params = new URLSearchParams(query)
    for (const [param, vendor] of Object.entries(TARGET_PARAMS)) {
      const value = params.get(param)
      if (!tenant || value === null) continue
      const url = new URL(value)
      url.host = targetOf(tenant.destinations[vendor] ?? [], tenant.id).sub
      params.set(param, url.href)
    }
    return `${mount.base}${path}?${tenant ? params : query}`
  })
}
/** The browser routes that hand out a token, for the tenant corpus. */
const TOKEN_ROUTES = ROUTES.filter((r) => r.kind === 'browser' && r.token).map(
  (r) => `${r.path}${r.query ? `?${r.query}` : ''}`,
)

function judgePath(
  reply: Reply,
  kase: PathCase,
  on: SecurityApp,
  destinations: readonly string[] = ALL_DESTINATIONS,
): string[] {
  const problems = invariants(reply, on, destinations)
  const location = header(reply, 'location')
  const passedOn = reply.status === 404 && header(reply, 'x-app') === 'not-found'
  const nodeRefused = (reply.status === 400 || reply.status === 431) && !reply.body
  if (reply.status >= 400 && !passedOn && !nodeRefused && !errorCode(reply.body)) {
    problems.push(`a ${reply.status} without an ERR_SSO_* code`)
  }
  if (location !== undefined && reply.status !== 302) problems.push(`Location on a ${reply.status}`)
  if (kase.roundTrip && location !== undefined) {
    const login = new URL(location, on.url)
    const toLogin = login.origin === on.url && login.pathname === '/login'
    if (toLogin && login.searchParams.get('returnTo') !== kase.value) {
      problems.push(`returnTo ${show(login.searchParams.get('returnTo') ?? '')} is not the target`)
    }
  }
  return problems
}

/** The returnTo suites on `mount`: request paths, and absolute-form targets over a raw socket. */
function returnToSuite(mount: Mount) {
  const routes = browserTargets(mount)
  const destinations = mount.tenant ? allTenantDestinations(mount.tenant) : ALL_DESTINATIONS
  /**
   * The static corpus on this mount: its `/sso` moved under the mount's base (the tricks stay
   * around it), each fixture query replaced by the mount's own.
   */
  const onMount = (cases: readonly PathCase[], own: readonly string[]) =>
    cases.map((kase) => {
      let value = kase.value
      BROWSER_TARGETS.forEach((target, i) => {
        const [, query = ''] = target.split('?')
        const [, mine = ''] = (own[i] as string).split('?')
        if (query && value.includes(query)) value = value.replace(query, mine)
      })
      return { ...kase, value: value.replace('/sso', mount.base) }
    })

  for (const [who, user] of [
    ['logged out', null],
    ['logged in', ALICE],
  ] as const) {
    for (const cls of pathCorpus(BROWSER_TARGETS)) {
      const all = onMount(cls.cases, routes)
      const cases = mount.pick(all)
      it(`${mount.label}${cls.name}: ${counted(cases, all)}, ${who}`, async () => {
        const on = mount.app()
        on.getUser = () => user
        const problems = await runClass(cases, async (kase) =>
          judgePath(await send(on.port, { path: kase.value }), kase, on, destinations),
        )
        expect(problems).toEqual([])
      })
    }
  }

  const absoluteForm = routes.map(absoluteFormCorpus)
  for (const [who, user] of [
    ['logged out', null],
    ['logged in', ALICE],
  ] as const) {
    const all = absoluteForm.flatMap((c) => c.cases)
    const cases = mount.pick(all)
    it(`${mount.label}${absoluteForm[0]?.name}: ${counted(cases, all)} over ${routes.length} routes, ${who}`, async () => {
      const on = mount.app()
      on.getUser = () => user
      const problems = await runClass(cases, async (kase) => {
        const reply = await sendRaw(on.port, `GET ${kase.value} HTTP/1.1\r\nHost: ${EVIL}`)
        const found = judgePath(reply, kase, on, destinations)
        const location = header(reply, 'location')
        // The request line's scheme and host never reach the Location.
        if (location?.startsWith('/') === false && !tokensIn(new URL(location)).length) {
          found.push(`absolute Location ${show(location)}`)
        }
        if (location?.includes(EVIL) && new URL(location, on.url).host.includes(EVIL)) {
          found.push(`Location points at ${EVIL}`)
        }
        return found
      })
      expect(problems).toEqual([])
    })
  }

  it(`${mount.label}reduces an absolute-form target to its path: returnTo is exactly the path and query`, async () => {
    const on = mount.app()
    on.getUser = () => null
    const route = routes[0] as string
    const reply = await sendRaw(on.port, `GET http://${EVIL}${route} HTTP/1.1\r\nHost: ${EVIL}`)
    expect(reply.status).toBe(302)
    const location = header(reply, 'location') ?? ''
    expect(location.startsWith('/login?')).toBe(true)
    expect(new URL(location, on.url).searchParams.get('returnTo')).toBe(route)
  })
}

/** The company the fixture configuration names; Canny's ids are 1 to 64 ASCII letters and digits. */
const CANNY_ID = /^[A-Za-z0-9]{1,64}$/

/**
 * Canny's SSO redirect: `redirect` and `companyID` through every class. The token only ever goes
 * to Canny's SSO endpoint (`canny.io`), whatever the request says; `redirect` is forwarded there
 * only when it is an allowed place, as the WHATWG parser writes it, and `companyID` only when it
 * is the configured company. Everything else is a 4xx before the login page.
 */
function cannySuite(mount: Mount) {
  const parsed = (value: string) => {
    try {
      return new URL(value).href
    } catch {
      return undefined
    }
  }
  /** The 302 to Canny's SSO endpoint, judged: one verified token, its companyID and redirect. */
  async function cannyRedirect(reply: Reply, on: SecurityApp) {
    const problems = invariants(reply, on, ['canny.io'])
    const location = header(reply, 'location')
    if (reply.status !== 302 || location === undefined) return { problems, sent: false }
    const url = new URL(location, on.url)
    if (`${url.origin}${url.pathname}` !== CANNY_SSO_URL) return { problems, sent: false }
    const tokens = url.searchParams.getAll('ssoToken')
    const companies = url.searchParams.getAll('companyID')
    const redirects = url.searchParams.getAll('redirect')
    if (tokens.length !== 1 || companies.length !== 1 || redirects.length !== 1)
      problems.push(
        `${tokens.length} ssoToken, ${companies.length} companyID, ${redirects.length} redirect`,
      )
    else problems.push(...(await signedBy(tokens[0] as string, CANNY_SECRET, [])))
    if (companies[0] !== CANNY_COMPANY_ID) problems.push(`companyID ${show(companies[0] ?? '')}`)
    const redirect = redirects[0] ?? ''
    let allowed = false
    try {
      allowed =
        isUnambiguousAbsolute(redirect) && isAllowedDestination(new URL(redirect), CANNY_HOSTS)
    } catch {}
    if (!allowed) problems.push(`forwarded a foreign redirect ${show(redirect)}`)
    return { problems, sent: true, redirect }
  }

  describe(`${mount.label}redirect (canny): the token goes only to Canny, and the user only to an allowed board`, () => {
    const classes = redirectCorpus(
      {
        exact: 'feedback.acme.com',
        suffix: 'canny.io',
        sub: 'acme.canny.io',
        loopback: 'http://127.0.0.1:4110',
      },
      'redirect',
    )
    const target = (kase: Case) =>
      `${mount.base}/canny/login?companyID=${CANNY_COMPANY_ID}&${kase.query ?? `redirect=${encodeURIComponent(kase.value)}`}`

    async function loggedIn(kase: Case): Promise<string[]> {
      const on = mount.app()
      const reply = await send(on.port, { path: target(kase) })
      const { problems, sent, redirect } = await cannyRedirect(reply, on)
      const refused = isRefusal(reply, REDIRECT_CODES)
      if (!sent && !refused) problems.push(`neither refused nor sent: ${reply.status}`)
      if (kase.expect === 'refuse' && !refused)
        problems.push(`expected a refusal, got ${reply.status}`)
      if (kase.expect === 'allow') {
        if (!sent)
          problems.push(`expected the redirect, got ${reply.status} ${errorCode(reply.body)}`)
        else if (redirect !== parsed(kase.value))
          problems.push(`forwarded ${show(redirect ?? '')}, not what was sent`)
      }
      return problems
    }

    const loggedOut = (kase: Case) => judgeLoggedOut(mount.app(), target(kase), kase)

    for (const cls of classes) {
      const cases = mount.pick(cls.cases)
      const n = counted(cases, cls.cases)
      it(`${cls.name}: ${n} — logged in, the token only ever reaches canny.io`, async () => {
        mount.app().getUser = () => ALICE
        expect(await runClass(cases, loggedIn)).toEqual([])
      })
      it(`${cls.name}: ${n} — logged out, refused first or sent to login with a safe returnTo`, async () => {
        mount.app().getUser = () => null
        expect(await runClass(cases, loggedOut)).toEqual([])
      })
    }
  })

  describe(`${mount.label}companyID (canny): only the configured company, 1–64 letters and digits`, () => {
    const urls = redirectCorpus(
      {
        exact: 'feedback.acme.com',
        suffix: 'canny.io',
        sub: 'acme.canny.io',
        loopback: 'http://127.0.0.1:4110',
      },
      'companyID',
    )
    const own = (value: string): Case => ({ value, expect: 'either' })
    const classes = [
      {
        name: 'company ids (the configured one, others, every length, every ASCII character, Unicode letters and digits)',
        cases: [
          CANNY_COMPANY_ID,
          CANNY_COMPANY_ID.toUpperCase(),
          `${CANNY_COMPANY_ID}0`,
          CANNY_COMPANY_ID.slice(0, -1),
          'a',
          'Z9',
          'x'.repeat(64),
          'x'.repeat(65),
          '',
          ...Array.from({ length: 128 }, (_, c) => `${CANNY_COMPANY_ID}${String.fromCharCode(c)}`),
          ...Array.from({ length: 128 }, (_, c) => `${String.fromCharCode(c)}${CANNY_COMPANY_ID}`),
          `${CANNY_COMPANY_ID}\u0130`,
          `${CANNY_COMPANY_ID}\uff10`,
          `${CANNY_COMPANY_ID}\u0661`,
          `${CANNY_COMPANY_ID}\u200b`,
          `${CANNY_COMPANY_ID}%00`,
          `${CANNY_COMPANY_ID}%2F..`,
        ].map(own),
      },
      ...urls,
    ]
    const target = (kase: Case) =>
      `${mount.base}/canny/login?redirect=${encodeURIComponent(CANNY_REDIRECT)}&${kase.query ?? `companyID=${encodeURIComponent(kase.value)}`}`
    /** The oracle's reading: the configured company is served, another id is 403, anything else 400. */
    const wanted = (kase: Case) =>
      kase.query !== undefined
        ? 'refuse-or-own'
        : kase.value === CANNY_COMPANY_ID
          ? 'serve'
          : CANNY_ID.test(kase.value)
            ? 403
            : 400

    async function judge(kase: Case, loggedIn: boolean): Promise<string[]> {
      const on = mount.app()
      const path = target(kase)
      const reply = await send(on.port, { path })
      const { problems, sent } = loggedIn
        ? await cannyRedirect(reply, on)
        : { problems: invariants(reply, on, []), sent: false }
      const location = header(reply, 'location')
      const toLogin =
        !loggedIn && reply.status === 302 && new URL(location ?? '/', on.url).pathname === '/login'
      const served = loggedIn ? sent : toLogin
      const want = wanted(kase)
      const code = errorCode(reply.body)
      if (want === 'serve' && !served)
        problems.push(`expected the configured company served, got ${reply.status} ${code}`)
      if (want === 403 && !(isRefusal(reply, /^ERR_SSO_FORBIDDEN$/) && reply.status === 403))
        problems.push(`expected 403 ERR_SSO_FORBIDDEN, got ${reply.status} ${code}`)
      if (
        want === 400 &&
        !(
          isRefusal(reply, /^ERR_SSO_BAD_REQUEST$/) &&
          (reply.status === 400 || reply.status === 431)
        )
      )
        problems.push(`expected 400 ERR_SSO_BAD_REQUEST, got ${reply.status} ${code}`)
      if (
        want === 'refuse-or-own' &&
        !served &&
        !isRefusal(reply, /^ERR_SSO_(BAD_REQUEST|FORBIDDEN)$/)
      )
        problems.push(`neither refused nor served: ${reply.status} ${code}`)
      if (
        toLogin &&
        path.length <= 2048 &&
        new URL(location ?? '/', on.url).searchParams.get('returnTo') !== path
      )
        problems.push('returnTo is not the request target')
      return problems
    }

    for (const cls of classes) {
      const cases = mount.pick(cls.cases)
      const n = counted(cases, cls.cases)
      it(`${cls.name}: ${n} — logged in`, async () => {
        mount.app().getUser = () => ALICE
        expect(await runClass(cases, (kase) => judge(kase, true))).toEqual([])
      })
      it(`${cls.name}: ${n} — logged out, refused before login unless it is the company`, async () => {
        mount.app().getUser = () => null
        expect(await runClass(cases, (kase) => judge(kase, false))).toEqual([])
      })
    }
  })
}

for (const spec of absoluteSpecs(STATIC)) absoluteSuite(spec, STATIC)
for (const spec of relativeSpecs(STATIC)) relativeSuite(spec, STATIC)
zendeskReturnToSuite(STATIC)
discourseReturnSuite(STATIC)
cannySuite(STATIC)
featurebaseReturnToSuite(STATIC)

describe('returnTo: the login redirect the middleware builds is always a safe relative path', () => {
  returnToSuite(STATIC)

  describe('with basePath /:tenant/sso (a parameter, no tenants)', () => {
    let tenant: SecurityApp
    beforeAll(async () => {
      tenant = await startSecurityApp({ upstream, basePath: '/:tenant/sso' })
      tenant.getUser = () => null
    })
    afterAll(() => tenant.close())

    for (const cls of tenantPathCorpus(TOKEN_ROUTES)) {
      it(`${cls.name}: ${cls.cases.length} cases, logged out`, async () => {
        const problems = await runClass(cls.cases, async (kase) =>
          judgePath(await send(tenant.port, { path: kase.value }), kase, tenant),
        )
        expect(problems).toEqual([])
      })
    }

    it('sends a tenant path whose segment decodes to a scheme-relative URL to the site root, not there', async () => {
      const reply = await send(tenant.port, {
        path: `/%2F%2F${EVIL}${BROWSER_TARGETS[0]}`,
      })
      expect(reply.status).toBe(302)
      expect(
        new URL(header(reply, 'location') ?? '', tenant.url).searchParams.get('returnTo'),
      ).toBe('/')
    })
  })
})

// ---------------------------------------------------------------------------------------------
// The same attacks on a `tenants` mount, for each fixture tenant, and the attacks of many tenants.

for (const mount of TENANT_MOUNTS) {
  describe(`tenants mount, tenant ${mount.tenant?.id}: every redirect class on its own configuration`, () => {
    for (const spec of absoluteSpecs(mount)) absoluteSuite(spec, mount)
    for (const spec of relativeSpecs(mount)) relativeSuite(spec, mount)
    zendeskReturnToSuite(mount)
    discourseReturnSuite(mount)
    cannySuite(mount)
    featurebaseReturnToSuite(mount)
    describe('returnTo', () => returnToSuite(mount))
  })
}

describe('tenants mount: a token of one tenant never goes where only another tenant allows', () => {
  for (const mount of TENANT_MOUNTS) {
    const tenant = mount.tenant as TenantFixture
    for (const spec of absoluteSpecs(mount)) {
      // Every legitimate target of every other tenant, judged against this tenant's allow-list.
      const foreign = TENANTS.filter((t) => t !== tenant).flatMap((other) => {
        const entries = other.destinations[spec.vendor] ?? []
        const [legitimate] = redirectCorpus(targetOf(entries, other.id), spec.param)
        return (legitimate?.cases ?? []).map((kase) => kase.value)
      })
      it(`${tenant.id}'s ${spec.param}: ${foreign.length} targets the other tenants allow — logged in and out, refused unless ${tenant.id} allows them too`, async () => {
        const on = mount.app()
        const problems: string[] = []
        let refused = 0
        for (const user of [ALICE, null]) {
          on.getUser = () => user
          problems.push(
            ...(await runClass(
              foreign.map((value) => ({ value })),
              async ({ value }) => {
                const reply = await send(on.port, {
                  path: `${spec.route}?${spec.prefix}${spec.param}=${encodeURIComponent(value)}`,
                })
                const found = invariants(reply, on, spec.entries)
                const allowedHere = isAllowedDestination(new URL(value), spec.entries)
                if (!allowedHere) {
                  if (isRefusal(reply, REDIRECT_CODES)) refused++
                  else found.push(`not refused: ${reply.status} ${header(reply, 'location') ?? ''}`)
                }
                return found
              },
            )),
          )
        }
        expect(problems).toEqual([])
        // The fixture tenants share no place, so every one of them is refused.
        expect(refused).toBe(foreign.length * 2)
      })
    }
  }
})

/** Tenant ids that are not ids, as they appear in the request target's tenant segment. */
const BAD_TENANT_IDS: { cls: string; ids: string[]; raw?: boolean }[] = [
  {
    cls: 'dot segments, over a raw socket',
    ids: ['..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%2e', '...', '..%00'],
    raw: true,
  },
  {
    cls: 'encoded slashes and backslashes',
    ids: [
      'a%2Fb',
      '%2F',
      `%2f%2f${EVIL}`,
      'acme%2F..%2Fglobex',
      'acme%2Fsso',
      'a%5Cb',
      `%5C%5C${EVIL}`,
    ],
  },
  { cls: 'huge ids', ids: ['a'.repeat(129), `acme${'-'.repeat(200)}x`, 'g'.repeat(5000)] },
  {
    cls: 'non-ASCII ids',
    ids: ['caf%C3%A9', '%C3%A9', 'acme%E2%80%8B', '%EF%BD%81cme', '%D0%B0cme', 'acme%C2%A0'],
  },
  {
    cls: 'NUL and control characters',
    ids: ['a%00b', '%00', 'acme%00', 'ac%09me', 'acme%0A', '%0D%0Aacme'],
  },
  {
    cls: 'spaces, punctuation and edge characters',
    ids: [
      'acme%20',
      '%20acme',
      '-acme',
      'acme-',
      '.acme',
      'acme.',
      '_acme',
      'ac%40me',
      'ac%3Ame',
      'ac%25me',
    ],
  },
]

describe('tenants mount: tenant ids that are not ids never reach the resolver', () => {
  for (const { cls, ids, raw } of BAD_TENANT_IDS) {
    const cases = ROUTES.flatMap((route) =>
      ids.map((id) => ({
        value: `/t/${id}/sso${route.path.slice('/sso'.length)}${route.query ? `?${route.query}` : ''}`,
        route,
      })),
    )
    for (const [who, user] of [
      ['logged in', ALICE],
      ['logged out', null],
    ] as const) {
      it(`${cls}: ${ids.length} ids × ${ROUTES.length} routes, ${who} — 404 ERR_SSO_TENANT_INVALID, the resolver never called`, async () => {
        tenantApp.getUser = () => user
        const before = tenantApp.resolved.length
        const problems = await runClass(cases, async ({ value, route }) => {
          const reply = raw
            ? await sendRaw(
                tenantApp.port,
                `${route.method} ${value} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0`,
              )
            : await send(tenantApp.port, { method: route.method, path: value })
          const found = invariants(reply, tenantApp, [])
          if (reply.status !== 404 || errorCode(reply.body) !== 'ERR_SSO_TENANT_INVALID') {
            found.push(
              `expected 404 ERR_SSO_TENANT_INVALID, got ${reply.status} ${errorCode(reply.body) ?? ''}`,
            )
          }
          if (header(reply, 'location') !== undefined) found.push('a Location')
          const type = header(reply, 'content-type') ?? ''
          if (!type.startsWith(route.method === 'GET' ? 'text/html' : 'application/json')) {
            found.push(`answered ${type}`)
          }
          return found
        })
        expect(problems).toEqual([])
        expect(tenantApp.resolved.slice(before)).toEqual([])
      })
    }
  }

  it('raw non-ASCII bytes and a malformed escape in the tenant segment: refused, the resolver never called', async () => {
    const before = tenantApp.resolved.length
    const problems = await runClass(
      ['café', 'a%ZZ', '%E0%A4', 'acme%'].map((id) => ({ value: `/t/${id}/sso/komo/token` })),
      async ({ value }) => {
        const reply = await sendRaw(
          tenantApp.port,
          `POST ${value} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0`,
        )
        const found = invariants(reply, tenantApp, [])
        // Node's parser may refuse raw non-ASCII (a bare 400); otherwise a stable 4xx code.
        const nodeRefused = reply.status === 400 && !reply.body
        if (!nodeRefused && (reply.status < 400 || reply.status >= 500 || !errorCode(reply.body))) {
          found.push(`expected a 4xx ERR_SSO_* refusal, got ${reply.status}`)
        }
        return found
      },
    )
    expect(problems).toEqual([])
    expect(tenantApp.resolved.slice(before)).toEqual([])
  })

  it('the resolver only ever saw ids of the documented shape, in every test of this file', () => {
    expect(tenantApp.resolved.filter((id) => !isTenantIdShape(id))).toEqual([])
    // It did see the real tenants (the suites above reached it), once each (cached).
    expect([...new Set(tenantApp.resolved)].sort()).toEqual(TENANTS.map((t) => t.id).sort())
    expect(tenantApp.resolved.length).toBe(TENANTS.length)
  })
})

describe('tenants mount: the fixture tenants are what the corpus assumes', () => {
  it('have routes under /t/<id>/sso and allow-lists that share no entry', () => {
    expect(tenantRoutes(TENANTS[0] as TenantFixture)[0]?.path).toMatch(/^\/t\/acme\/sso\//)
    const [a, b] = TENANTS as [TenantFixture, TenantFixture]
    for (const vendor of Object.keys(a.destinations)) {
      const shared = (a.destinations[vendor] ?? []).filter((e) =>
        b.destinations[vendor]?.includes(e),
      )
      expect(shared, vendor).toEqual([])
    }
    expect(new Set(TENANTS.flatMap((t) => Object.values(t.secrets))).size).toBe(TENANTS.length * 4)
  })
})
