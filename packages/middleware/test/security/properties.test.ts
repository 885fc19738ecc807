// DESIGN rules 1, 7 and 8 as properties: whatever the query, headers, method and `getUser`
// result, every route of every vendor answers without an undocumented 5xx, without an
// unhandled rejection, and never with a token for anything but a complete, valid user.
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { decodeJwt } from 'jose'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE,
  CANNY_COMPANY_ID,
  CANNY_SECRET,
  type KonnecApi,
  type KonnecFaultSpec,
  DISCOURSE_SECRET,
  INTERCOM_SECRET,
  discourseRequest,
  FEATUREBASE_HOSTS,
  FEATUREBASE_PORTAL,
  FEATUREBASE_SECRET,
  METABASE_SECRET,
  SECRETS,
  startKonnec,
  TENANTS,
  type TenantFixture,
  tenantDestinations,
  ZENDESK_SECRETS,
} from '@sso/fixtures'
import { ssoHandler } from '../../src/index'
import {
  ALL_DESTINATIONS,
  fixtureVendors,
  konnecAnswers,
  ROUTES,
  type SecurityApp,
  type SecurityRoute,
  startSecurityApp,
  startTenantUpstreams,
  TENANT_BASE,
  tenantBase,
  tenantResolver,
  tenantRoutes,
} from './app'
import { EVIL } from './corpus'
import { type Reply, send } from './http'
import {
  errorCode,
  formPost,
  isAllowedDestination,
  isTenantIdShape,
  JWT_PATTERN,
  tokensIn,
  unsafeReturnPath,
} from './oracle'

/** Every vendor's fixture secret (the new vendors' live in their fixtures). */
const FIXTURE_SECRETS: Record<string, string> = {
  ...SECRETS,
  zendesk: ZENDESK_SECRETS.endUsers,
  discourse: DISCOURSE_SECRET,
  intercom: INTERCOM_SECRET,
  featurebase: FEATUREBASE_SECRET,
  metabase: METABASE_SECRET,
  canny: CANNY_SECRET,
}

/** Where Featurebase's `return_to` may point besides `portalUrl` itself (allow-list syntax). */
const FEATUREBASE_RETURN_HOSTS = [new URL(FEATUREBASE_PORTAL).hostname, ...FEATUREBASE_HOSTS]
const featurebaseReturnAllowed = (value: string) =>
  URL.canParse(value) && isAllowedDestination(new URL(value), FEATUREBASE_RETURN_HOSTS)

const NUM_RUNS = 200
const KONNEC_TIMEOUT_MS = 150
/** Where the fixtures' configuration lets tokens go; the oracle judges every Location against it. */
const DESTINATIONS = ALL_DESTINATIONS

type VendorName = string

/** Every route of every fixture vendor (the fixtures say which routes exist; the oracle judges). */
type Route = SecurityRoute

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Percent-encodes what a request target cannot carry; a lone surrogate becomes a bad sequence. */
function toTarget(text: string): string {
  let out = ''
  for (const ch of text) {
    if (/^[\x21-\x7e]$/.test(ch) && ch !== '#') out += ch
    else {
      try {
        out += encodeURIComponent(ch)
      } catch {
        out += '%ED%A0%80'
      }
    }
  }
  return out
}

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`))

const goodValues = fc.constantFrom(
  'https://acme.kustomer.help/login?referralUrl=%2F',
  'https://help.acme.com/',
  'http://127.0.0.1:4001/cb',
  'https://dash11.comm100.io/sso/callback',
  'https://chat.acme.com/',
  'http://localhost:4002/',
  'https://acme.canny.io/b',
  CANNY_COMPANY_ID,
  '/spaces/general',
  'relay-1',
)

const badValues = fc.constantFrom(
  `https://${EVIL}/`,
  `//${EVIL}`,
  `/%09/${EVIL}`,
  `https://acme.kustomer.help@${EVIL}/`,
  `https://${EVIL}\\.acme.kustomer.help/`,
  'javascript:alert(1)',
  `https://acme.kustomer.help.${EVIL}/`,
  'https://acme\u3002kustomer\u3002help/',
  'https://2130706433/',
  'https://acme.kustomer.help:8443/',
  'https://acme.kustomer.help/\r\nSet-Cookie: a=b',
  'https://acme.kustomer.help/'.padEnd(5000, 'a'),
  'https://canny.io/',
  `https://acme.canny.io.${EVIL}/`,
  'acme-company_1',
)

const anyValue = fc.oneof(
  { weight: 3, arbitrary: goodValues },
  { weight: 3, arbitrary: badValues },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.webUrl() },
)

const paramNames = (route: Route) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(route.params.length ? route.params : ['x'])) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'kustomerRedirectUri',
        'redirect_url',
        'referrer_uri',
        'RelayState',
        'returnTo',
        'jwt',
        'externalToken',
        'refresh-token',
        'companyID',
        'redirect',
        'ssoToken',
        'user',
        'email',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  )

const DISCOURSE_SIGNED = discourseRequest()

/** Values each route's own parameters take when the vendor sends a legitimate link. */
const LEGIT: Record<string, string[]> = {
  kustomerRedirectUri: [
    'https://acme.kustomer.help/login?referralUrl=%2F',
    'https://help.acme.com/',
    'http://127.0.0.1:4001/cb',
  ],
  redirect_url: [
    'https://dash11.comm100.io/sso/callback',
    'https://chat.acme.com/',
    'http://localhost:4002/',
  ],
  referrer_uri: ['/spaces/general', '/'],
  trackingToken: ['tracking-1'],
  RelayState: ['relay-1'],
  // Zendesk's remote login URL.
  // Featurebase's portal login button (the portal, a custom domain, the loopback simulator).
  // Zendesk's remote login URL; Metabase's JWT Identity Provider URI (relative paths only).
  return_to: [
    'https://acme.zendesk.com/hc/requests/1',
    '/hc',
    'https://help.acme.com/hc',
    'https://acme.featurebase.app/p/dark-mode',
    'https://feedback.acme.com/roadmap',
    'http://127.0.0.1:4111/p/1',
    '/dashboard/1?tab=2',
  ],
  brand_id: ['360001234567', '7'],
  locale_id: ['1176'],
  timestamp: ['1736942400'],
  // Discourse: one signed pair (the fixture's request), so sso and sig always match.
  sso: [DISCOURSE_SIGNED.sso],
  sig: [DISCOURSE_SIGNED.sig],
  // Canny's SSO redirect: the fixture company, and a board on each kind of allow-list entry.
  companyID: [CANNY_COMPANY_ID],
  redirect: ['https://acme.canny.io/b', 'https://feedback.acme.com/', 'http://127.0.0.1:4110/b'],
}

type Legit = Readonly<Record<string, readonly string[]>>

/**
 * `LEGIT` for a tenant: its own places for the absolute targets, one per allow-list entry (an
 * exact host, a host under a `*.suffix`, the loopback origin), read from its configuration.
 */
function legitFor(tenant: TenantFixture): Legit {
  const places = (entries: readonly string[] = []) =>
    entries.map((e) =>
      e.includes('://')
        ? `${e}/cb`
        : e.startsWith('*.')
          ? `https://login.${e.slice(2)}/cb`
          : `https://${e}/`,
    )
  return {
    ...LEGIT,
    kustomerRedirectUri: places(tenant.destinations.kustomer),
    redirect_url: places(tenant.destinations.comm100),
  }
}

/** The query a vendor would send for `route`, every parameter legitimate. */
const legitQuery = (route: Route, legit: Legit = LEGIT) =>
  fc
    .tuple(...route.params.map((p) => fc.constantFrom(...(legit[p] ?? ['x']))))
    .map((values) => values.map((v, i) => `${route.params[i]}=${encodeURIComponent(v)}`).join('&'))

/** A raw query string: pairs encoded properly or left raw, plus junk a browser would never send. */
const arbitraryQuery = (route: Route) =>
  fc
    .tuple(
      fc.array(fc.tuple(paramNames(route), anyValue, fc.constantFrom('encoded', 'raw', 'double')), {
        maxLength: 5,
      }),
      fc.constantFrom(
        '',
        '',
        '',
        '&',
        '%',
        '%ZZ',
        '=',
        '&&',
        '%E0%A4',
        '+',
        ';',
        '%C0%AF',
        '&x=%FF',
      ),
    )
    .map(([pairs, junk]) => {
      const parts = pairs.map(([name, value, how]) => {
        const enc =
          how === 'encoded'
            ? (s: string) => toTarget(s).replace(/[&=+?%]/g, (ch) => encodeURIComponent(ch))
            : how === 'double'
              ? (s: string) => encodeURIComponent(toTarget(s))
              : toTarget
        return `${enc(name)}=${enc(value)}`
      })
      return [...parts, junk].filter(Boolean).join('&')
    })

/** Half legitimate (so tokens are issued and judged), half arbitrary, sometimes both at once. */
const queryFor = (route: Route, legit: Legit = LEGIT) =>
  fc.oneof(
    { weight: 3, arbitrary: legitQuery(route, legit) },
    { weight: 3, arbitrary: arbitraryQuery(route) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(legitQuery(route, legit), arbitraryQuery(route))
        .map(([a, b]) => [a, b].filter(Boolean).join('&')),
    },
  )

const headersArb = (port: number): fc.Arbitrary<Record<string, string>> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant<Record<string, string>>({}) },
    {
      weight: 2,
      arbitrary: fc.constant<Record<string, string>>({
        origin: `http://127.0.0.1:${port}`,
        'sec-fetch-site': 'same-origin',
      }),
    },
    { weight: 4, arbitrary: arbitraryHeaders(port) },
  )

const arbitraryHeaders = (port: number): fc.Arbitrary<Record<string, string>> =>
  fc.record(
    {
      origin: fc.oneof(
        fc.constant(`http://127.0.0.1:${port}`),
        fc.constant(`HTTP://127.0.0.1:${port}`),
        fc.constant('null'),
        fc.constant(`https://${EVIL}`),
        fc.constant(`http://127.0.0.1:${port}.${EVIL}`),
        printable(30),
      ),
      'sec-fetch-site': fc.oneof(
        fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', 'SAME-ORIGIN', ''),
        printable(20),
      ),
      host: fc.constantFrom(`127.0.0.1:${port}`, EVIL, `${EVIL}:${port}`, 'localhost'),
      cookie: printable(40),
      'content-type': fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
      ),
      'x-forwarded-host': fc.constant(EVIL),
      referer: fc.constant(`https://${EVIL}/`),
    },
    { requiredKeys: [] },
  )

type UserPlan =
  | { kind: 'return'; value: unknown; delayMs: number }
  | { kind: 'throw'; value: unknown; async: boolean }

const emailArb = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom('no-at-sign', '', '@', 'a@', `${'x'.repeat(250)}@example.com`),
)

const validUserArb = fc.record(
  {
    id: fc.stringMatching(/^[a-z0-9_-]{1,40}$/),
    email: fc.emailAddress(),
    emailVerified: fc.constantFrom(true, undefined),
    name: fc.string({ minLength: 1, maxLength: 20 }),
    username: fc.stringMatching(/^[a-z0-9.]{1,30}$/),
  },
  { requiredKeys: ['id', 'email'] },
)

const userishArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: validUserArb },
  { weight: 2, arbitrary: fc.constantFrom(null, undefined) },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        id: fc.oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.constant(''), fc.integer()),
        email: fc.oneof(emailArb, fc.integer(), fc.constant(null)),
        emailVerified: fc.oneof(fc.boolean(), fc.constant('yes'), fc.constant(undefined)),
        name: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
        firstName: fc.string({ maxLength: 10 }),
        lastName: fc.string({ maxLength: 10 }),
        username: fc.oneof(fc.string({ maxLength: 300 }), fc.constant(['a'])),
        picture: fc.oneof(fc.webUrl(), fc.string({ maxLength: 10 })),
        tagline: fc.string({ maxLength: 10 }),
      },
      { requiredKeys: ['id'] },
    ),
  },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) },
)

const userPlanArb: fc.Arbitrary<UserPlan> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('return' as const),
      value: userishArb,
      delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 15 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('throw' as const),
      value: fc.oneof(
        fc.constant(new Error('session store down')),
        fc.constant('a string'),
        fc.constant(undefined),
        fc.constant({ code: 42 }),
      ),
      async: fc.boolean(),
    }),
  },
)

/** How Konnec's simulator answers a run: normally (`undefined`) or with one fault on every call. */
const upstreamArb: fc.Arbitrary<KonnecFaultSpec | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(400, 404, 500, 502, 503, 504)
      .map((status) => ({ kind: 'status', status }) as const),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'latency', ms: KONNEC_TIMEOUT_MS + 100 } as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<KonnecFaultSpec>(
      { kind: 'malformed' },
      // A short bare token, labelled JSON: V8's JSON.parse message would quote it whole.
      { kind: 'plain-token', tokenBytes: 12 },
      { kind: 'unquoted' },
    ),
  },
)

const methodFor = (route: Route) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(route.method) },
    {
      weight: 3,
      arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
    },
  )

const bodyArb = fc.oneof(
  fc.constant(undefined),
  fc.constant(JSON.stringify({ id: 'admin', email: 'admin@acme.example', emailVerified: true })),
  fc.string({ maxLength: 60 }),
)

// ---------------------------------------------------------------------------------------------
// Judges

const STRING_FIELDS = ['email', 'name', 'firstName', 'lastName', 'username', 'picture', 'tagline']

/** A complete, valid user for `vendor`, judged from DESIGN, not from the middleware's code. */
function mayReceiveToken(vendor: VendorName, plan: UserPlan): boolean {
  if (plan.kind !== 'return') return false
  const u = plan.value
  if (u === null || typeof u !== 'object' || Array.isArray(u)) return false
  const r = u as Record<string, unknown>
  if (typeof r.id !== 'string' || r.id === '') return false
  for (const f of STRING_FIELDS) if (r[f] != null && typeof r[f] !== 'string') return false
  if (r.emailVerified !== undefined && typeof r.emailVerified !== 'boolean') return false
  if (vendor === 'konnec') return ((r.username as string) || r.id).length <= 256
  // Intercom identifies users by user_id: no email needed, emailVerified not checked.
  if (vendor === 'intercom') return true
  const email = r.email
  if (typeof email !== 'string' || !email.includes('@') || r.emailVerified === false) return false
  return vendor === 'bettermode' ? email.length <= 200 && r.id.length <= 50 : true
}

interface Outcome {
  status: number
  location: string | undefined
  body: string
  head: boolean
  passedOn: boolean
}

/** What a judge knows of the mount a reply came from: its configuration, not the middleware's. */
interface Configured {
  /** Where this vendor's tokens may go (allow-list syntax). */
  destinations(vendor: VendorName): readonly string[]
  /** The HMAC secret this vendor's JWTs must be signed with. */
  secret(vendor: VendorName): string | undefined
  /** Konnec's simulator of this mount (tenant): the refresh tokens it issued. */
  upstream(): KonnecApi
}

/** Does `token` carry a valid HS256 signature with `secret`? (node:crypto, not the middleware's) */
function hs256Verifies(token: string, secret: string): boolean {
  const [head = '', payload = '', signature] = token.split('.')
  try {
    if (
      (JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: unknown }).alg !== 'HS256'
    )
      return false
  } catch {
    return false
  }
  const expected = createHmac('sha256', secret).update(`${head}.${payload}`).digest('base64url')
  return signature === expected
}

/**
 * Discourse's payload as the forum reads it (node:crypto, not the middleware's): `sig` the
 * lower-case hex HMAC of `sso`, and the user's email and id inside.
 */
function discourseProblems(
  sso: string,
  sig: string | null,
  secret: string,
  user: Record<string, unknown>,
): string[] {
  if (sig !== createHmac('sha256', secret).update(sso).digest('hex'))
    return ['the payload is not signed with this secret']
  const fields = new URLSearchParams(Buffer.from(sso, 'base64').toString('utf8'))
  const problems: string[] = []
  if (fields.get('email') !== user.email) problems.push('the payload names another email')
  if (fields.get('external_id') !== user.id) problems.push('the payload names another user')
  return problems
}

/** What the runs of a property saw, so a property that never reaches a token fails loudly. */
const seen = { tokens: 0, getUserFailed: 0, konnecDown: 0, refused: 0, returnTo: 0 }

function judge(route: Route, plan: UserPlan, out: Outcome, config: Configured): string[] {
  const problems: string[] = []
  if (out.status >= 400 && out.status < 500) seen.refused++
  const code = errorCode(out.body)
  const threw = plan.kind === 'throw'
  if (out.status >= 500) {
    const getUserFailed =
      out.status === 500 && threw && (out.head || code === 'ERR_SSO_GET_USER_FAILED')
    const konnecDown =
      route.vendor === 'konnec' &&
      (out.status === 502 || out.status === 504) &&
      (out.head || code === 'ERR_SSO_VENDOR_UNAVAILABLE')
    if (getUserFailed) seen.getUserFailed++
    if (konnecDown) seen.konnecDown++
    if (!getUserFailed && !konnecDown) problems.push(`undocumented ${out.status} ${code ?? ''}`)
  }
  if (out.status >= 400 && !out.head && !out.passedOn && !code) {
    problems.push(`a ${out.status} without an ERR_SSO_* code`)
  }
  // Every token in the answer, wherever it hides.
  const tokens: string[] = []
  let sig: string | null = null
  if (out.location !== undefined) {
    const url = new URL(out.location, 'http://app.invalid')
    const found = tokensIn(url)
    if (found.length > 0 && !isAllowedDestination(url, config.destinations(route.vendor))) {
      problems.push(`token sent to ${url.origin}`)
    }
    tokens.push(...found.map((t) => t.value))
    sig = url.searchParams.get('sig')
    // Featurebase: the return_to riding along is portalUrl or a configured place, never foreign.
    if (route.vendor === 'featurebase' && found.length > 0) {
      const returnTo = url.searchParams.getAll('return_to')
      const kept = returnTo[0]
      if (returnTo.length !== 1) problems.push(`${returnTo.length} return_to parameters`)
      else if (kept !== FEATUREBASE_PORTAL && !featurebaseReturnAllowed(kept as string))
        problems.push(`a foreign return_to survived: ${kept}`)
    }
    // Metabase: beside its token, return_to is a safe relative path or absent (rule 2).
    const returnTo = url.searchParams.getAll('return_to')
    if (route.vendor === 'metabase' && found.length > 0) {
      if (returnTo.length > 1) problems.push(`${returnTo.length} return_to parameters`)
      for (const value of returnTo) {
        const why = unsafeReturnPath(value, url.origin)
        if (why) problems.push(`forwarded return_to ${JSON.stringify(value.slice(0, 60))}: ${why}`)
        else seen.returnTo++
      }
    }
  }
  // A token in a page only as a form-POST page carries it: the one form's jwt field.
  if (out.body.includes('<form')) {
    const form = formPost(out.body)
    if (form.stray) problems.push("a token outside a form-POST page's jwt field")
    else if (form.action && !isAllowedDestination(form.action, config.destinations(route.vendor))) {
      problems.push(`token posted to ${form.action.origin}`)
    }
    tokens.push(...form.tokens)
  } else {
    const inBody = JWT_PATTERN.exec(out.body)?.[0]
    if (inBody) tokens.push(inBody)
  }
  if (tokens.length === 0) return problems
  seen.tokens++
  if (!route.token) problems.push(`the ${route.name} route handed out a token`)
  if (!mayReceiveToken(route.vendor, plan)) {
    problems.push(`a token for ${JSON.stringify(plan).slice(0, 200)}`)
    return problems
  }
  const user = (plan as { value: Record<string, unknown> }).value
  for (const token of tokens) {
    if (route.vendor === 'konnec') {
      if (!config.upstream().sim.issued.has(token)) {
        problems.push('a refresh token this Konnec never issued')
      }
      continue
    }
    if (route.vendor === 'discourse') {
      problems.push(...discourseProblems(token, sig, config.secret('discourse') ?? '', user))
      continue
    }
    const claims = decodeJwt(token)
    if (route.vendor === 'intercom') {
      // user_id is the identity; the email is signed only when the user has one.
      if (claims.user_id !== user.id) problems.push('the token names another user')
      if (claims.email !== (user.email || undefined)) problems.push('the token names another email')
    } else if (claims.email !== user.email) problems.push('the token names another email')
    if ((route.vendor === 'komo' || route.vendor === 'bettermode') && claims.sub !== user.id) {
      problems.push('the token names another user')
    }
    if (route.vendor === 'featurebase' && claims.userId !== user.id) {
      problems.push('the token names another user')
    }
    if (route.vendor === 'canny' && claims.id !== user.id) {
      problems.push('the token names another user')
    }
    const secret = config.secret(route.vendor)
    if (secret && !hs256Verifies(token, secret))
      problems.push('the token is not signed with this secret')
  }
  return problems
}

// ---------------------------------------------------------------------------------------------

const rejections: unknown[] = []
const onRejection = (reason: unknown) => rejections.push(reason)
let upstream: KonnecApi
let app: SecurityApp
let tenantUpstreams: Awaited<ReturnType<typeof startTenantUpstreams>>
/** One `tenants` mount serving every fixture tenant. */
let tenantApp: SecurityApp
let plan: UserPlan = { kind: 'return', value: null, delayMs: 0 }

function runGetUser(): unknown {
  const current = plan
  if (current.kind === 'throw') {
    if (current.async) return Promise.reject(current.value)
    throw current.value
  }
  if (current.delayMs === 0) return current.value
  return new Promise((resolve) => setTimeout(() => resolve(current.value), current.delayMs))
}

beforeAll(async () => {
  process.on('unhandledRejection', onRejection)
  upstream = await startKonnec()
  app = await startSecurityApp({ upstream, konnecTimeoutMs: KONNEC_TIMEOUT_MS })
  app.getUser = runGetUser
  tenantUpstreams = await startTenantUpstreams()
  tenantApp = await startSecurityApp({
    tenants: { upstreams: tenantUpstreams.upstreams },
    konnecTimeoutMs: KONNEC_TIMEOUT_MS,
  })
  tenantApp.getUser = runGetUser
})
afterAll(async () => {
  process.off('unhandledRejection', onRejection)
  await app.close()
  await tenantApp.close()
  await upstream.close()
  await tenantUpstreams.close()
})
beforeEach(() => {
  Object.assign(seen, { tokens: 0, getUserFailed: 0, konnecDown: 0, refused: 0, returnTo: 0 })
})
afterEach(async () => {
  // Let any stray rejection surface before judging the property that caused it.
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(rejections).toEqual([])
})

const header = (reply: Reply, name: string) => {
  const value = reply.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** Judges one HTTP reply by DESIGN's rules; throws with every problem found. */
function judgeReply(
  route: Route,
  userPlan: UserPlan,
  method: string,
  reply: Reply,
  config: Configured,
): void {
  const problems = judge(
    route,
    userPlan,
    {
      status: reply.status,
      location: header(reply, 'location'),
      body: reply.body,
      head: method === 'HEAD',
      passedOn: header(reply, 'x-app') === 'not-found',
    },
    config,
  )
  if (problems.length) throw new Error(problems.join('; '))
}

/** Where the properties run: the static mount, or one tenant of the `tenants` mount. */
interface Mount {
  /** `''`, or `[tenant acme] `. */
  label: string
  app: () => SecurityApp
  /** Every route of every vendor, at its path on this mount. */
  routes: readonly Route[]
  /** `/sso` or `/t/<id>/sso`. */
  base: string
  legit: Legit
  config: Configured
  numRuns: number
  tenant?: TenantFixture
}

const STATIC_CONFIG: Configured = {
  destinations: () => DESTINATIONS,
  secret: (vendor) => FIXTURE_SECRETS[vendor],
  upstream: () => upstream,
}

/** A tenant's configuration, as its fixture row states it. */
const tenantConfig = (tenant: TenantFixture): Configured => ({
  destinations: (vendor) => tenantDestinations(tenant, vendor),
  // A vendor the tenant table does not name keeps its fixture secret.
  secret: (vendor) => (tenant.secrets as Record<string, string>)[vendor] ?? FIXTURE_SECRETS[vendor],
  upstream: () => tenantUpstreams.upstreams[tenant.id] as KonnecApi,
})

/** Per tenant, fewer runs: every property on every tenant, with examples that reach each outcome. */
const TENANT_RUNS = 100

const MOUNTS: Mount[] = [
  {
    label: '',
    app: () => app,
    routes: ROUTES,
    base: '/sso',
    legit: LEGIT,
    config: STATIC_CONFIG,
    numRuns: NUM_RUNS,
  },
  ...TENANTS.map((tenant) => ({
    label: `[tenant ${tenant.id}] `,
    app: () => tenantApp,
    routes: tenantRoutes(tenant),
    base: tenantBase(tenant.id),
    legit: legitFor(tenant),
    config: tenantConfig(tenant),
    numRuns: TENANT_RUNS,
    tenant,
  })),
]

const SIGNED_IN: UserPlan = { kind: 'return', value: ALICE, delayMs: 0 }

/**
 * Runs fast-check tries first on a tenant mount (few runs): a legitimate request of a signed-in
 * user (a token), a method the route does not take (a refusal), and for Konnec a 503 (down).
 */
function examples(mount: Mount, route: Route) {
  if (!mount.tenant) return []
  const query = route.params.map((p) => `${p}=${encodeURIComponent(mount.legit[p]?.[0] ?? 'x')}`)
  const legit = query.join('&')
  const tries: [
    'GET' | 'POST' | 'HEAD' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS',
    string,
    Record<string, string>,
    UserPlan,
    KonnecFaultSpec | undefined,
    undefined,
  ][] = [
    [route.method, legit, {}, SIGNED_IN, undefined, undefined],
    ['PUT', legit, {}, SIGNED_IN, undefined, undefined],
  ]
  if (route.vendor === 'konnec') {
    tries.push([route.method, legit, {}, SIGNED_IN, { kind: 'status', status: 503 }, undefined])
  }
  // Every legitimate value of each parameter once, signed in: parameters shared by vendors
  // (`return_to`) list other vendors' values first, which this vendor may drop, and the checks
  // after the property need each vendor's own kind of value reached (Metabase's relative path).
  for (const name of route.params) {
    for (const value of mount.legit[name]?.slice(1) ?? []) {
      tries.push([
        route.method,
        `${name}=${encodeURIComponent(value)}`,
        {},
        SIGNED_IN,
        undefined,
        undefined,
      ])
    }
  }
  return tries
}

/** Every Konnec of the file answers normally, or with this fault. */
function allKonnecs(fault?: KonnecFaultSpec) {
  konnecAnswers(upstream, fault)
  for (const api of Object.values(tenantUpstreams.upstreams)) konnecAnswers(api, fault)
}

for (const mount of MOUNTS) {
  describe(`${mount.label}every route of every vendor, over real HTTP, under arbitrary input`, () => {
    for (const route of mount.routes) {
      it(`${route.method} ${route.path}: no undocumented 5xx, no unhandled rejection, no token without a complete valid user`, async () => {
        const on = mount.app()
        await fc.assert(
          fc.asyncProperty(
            methodFor(route),
            queryFor(route, mount.legit),
            headersArb(on.port),
            userPlanArb,
            upstreamArb,
            bodyArb,
            async (method, query, headers, userPlan, answer, body) => {
              plan = userPlan
              konnecAnswers(mount.config.upstream(), answer)
              const reply = await send(on.port, {
                method,
                path: query ? `${route.path}?${query}` : route.path,
                headers,
                body: method === 'GET' || method === 'HEAD' ? undefined : body,
                timeoutMs: 5000,
              })
              judgeReply(route, userPlan, method, reply, mount.config)
            },
          ),
          { numRuns: mount.numRuns, examples: examples(mount, route) },
        )
        // The property reached the interesting outcomes, not only refusals.
        if (route.token) expect(seen.tokens).toBeGreaterThan(0)
        expect(seen.refused).toBeGreaterThan(0)
        if (route.vendor === 'konnec') expect(seen.konnecDown).toBeGreaterThan(0)
        if (route.vendor === 'metabase' && route.name === 'login')
          expect(seen.returnTo).toBeGreaterThan(0)
      })
    }

    it(`any method and path under ${mount.base}: handed on or answered, never a 5xx or a token without a user`, async () => {
      const on = mount.app()
      const base = mount.base
      const before = on.resolved.length
      const paths = fc.oneof(
        fc.constantFrom(...mount.routes.map((r) => r.path)).map((p) => `${p}/`),
        fc.constantFrom(...mount.routes.map((r) => r.path)).map((p) => p.toUpperCase()),
        fc
          .array(
            fc.constantFrom('sso', 'komo', 'token', 'login', '..', '.', '%2F', '%00', '%ZZ', 'x'),
            {
              maxLength: 5,
            },
          )
          .map((segments) => `${base}/${segments.join('/')}`),
        fc.string({ maxLength: 30 }).map((s) => `${base}/${toTarget(s)}`),
        // On a tenants mount: any tenant segment in front of a real route.
        ...(mount.tenant
          ? [
              fc
                .tuple(
                  fc.oneof(
                    fc.constantFrom('..', '.', '%2e%2e', 'a%2Fb', '%00', 'nobody', 'x'.repeat(129)),
                    fc.string({ maxLength: 20 }).map(toTarget),
                  ),
                  fc.constantFrom(...ROUTES.map((r) => r.path)),
                )
                .map(([segment, path]) => `/t/${segment}${path}`),
            ]
          : []),
      )
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
          paths,
          userPlanArb,
          async (method, path, userPlan) => {
            plan = userPlan
            allKonnecs()
            const reply = await send(on.port, { method, path, timeoutMs: 5000 })
            const own = path.toLowerCase().startsWith(`${base}/`)
            const route =
              mount.routes.find((r) => path.toLowerCase().startsWith(r.path)) ??
              (mount.routes[0] as Route)
            // Outside this tenant's routes, no token may go anywhere.
            const config: Configured = own
              ? mount.config
              : { ...mount.config, destinations: () => [] }
            judgeReply(route, userPlan, method, reply, config)
            if (
              !own &&
              header(reply, 'location') &&
              tokensIn(new URL(header(reply, 'location') as string, on.url)).length
            ) {
              throw new Error(`a token outside ${base}: ${path}`)
            }
          },
        ),
        { numRuns: mount.numRuns },
      )
      // The resolver saw nothing but ids of the documented shape.
      expect(on.resolved.slice(before).filter((id) => !isTenantIdShape(id))).toEqual([])
    })
  })
}

for (const mount of MOUNTS) {
  describe(`${mount.label}the Fetch adapter (ssoHandler), in process, under the same arbitrary input`, () => {
    it('never throws, never answers an undocumented 5xx, never hands a token to an invalid user', async () => {
      const resolved: string[] = []
      const handler = ssoHandler({
        getUser: runGetUser as never,
        loginUrl: '/login',
        ...(mount.tenant
          ? {
              basePath: TENANT_BASE,
              tenants: {
                resolve: tenantResolver(tenantUpstreams.upstreams, resolved, KONNEC_TIMEOUT_MS),
              },
            }
          : { vendors: fixtureVendors(upstream, KONNEC_TIMEOUT_MS) }),
      } as Parameters<typeof ssoHandler>[0])
      const routeArb = fc.constantFrom(...mount.routes)
      await fc.assert(
        fc.asyncProperty(
          routeArb.chain((route) =>
            fc.tuple(
              fc.constant(route),
              methodFor(route),
              queryFor(route, mount.legit),
              headersArb(80),
              userPlanArb,
              upstreamArb,
            ),
          ),
          async ([route, method, query, headers, userPlan, answer]) => {
            plan = userPlan
            konnecAnswers(mount.config.upstream(), answer)
            let request: Request
            try {
              const { host: _host, ...rest } = headers
              request = new Request(`http://127.0.0.1${route.path}${query ? `?${query}` : ''}`, {
                method,
                headers: rest,
              })
            } catch {
              return // A request the Fetch API itself cannot build never reaches a handler.
            }
            const response = await handler(request)
            if (response === null) return
            const problems = judge(
              route,
              userPlan,
              {
                status: response.status,
                location: response.headers.get('location') ?? undefined,
                body: await response.text(),
                head: method === 'HEAD',
                passedOn: false,
              },
              mount.config,
            )
            if (problems.length) throw new Error(problems.join('; '))
          },
        ),
        { numRuns: mount.numRuns },
      )
      expect(resolved.filter((id) => !isTenantIdShape(id))).toEqual([])
      if (mount.tenant) expect(resolved).toContain(mount.tenant.id)
    })
  })
}
