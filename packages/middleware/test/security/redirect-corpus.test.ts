// DESIGN rules 1, 2 and 8 under attack: every input that names a place to go, driven with a
// generated corpus of open-redirect tricks over real HTTP through the middleware.
import { jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ALICE,
  COMMUNITY_URL,
  type KonnecApi,
  SECRETS,
  startKonnec,
  vendorFixture,
} from '@sso/fixtures'
import {
  ALL_DESTINATIONS,
  BROWSER_TARGETS,
  ROUTES,
  type SecurityApp,
  startSecurityApp,
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
  isAllowedDestination,
  isUnambiguousAbsolute,
  JWT_PATTERN,
  tokensIn,
  unsafeReturnPath,
} from './oracle'

interface AbsoluteSpec {
  vendor: 'kustomer' | 'comm100'
  route: string
  param: string
  tokenParam: string
  /** Other parameters the vendor sends, in front of the attacked one. */
  prefix: string
  entries: string[]
  target: Target
  secret: string
}

/**
 * The attack on one vendor's absolute target parameter. The route, its other parameters and
 * the allow-list come from the vendor's fixture; which hosts count as which entry kind is the
 * oracle's own knowledge.
 */
function absoluteSpec(
  vendor: 'kustomer' | 'comm100',
  param: string,
  tokenParam: string,
  target: Target,
): AbsoluteSpec {
  const fixture = vendorFixture(vendor)
  const others = new URLSearchParams(fixture.start.query)
  others.delete(param)
  return {
    vendor,
    route: `/sso${fixture.start.path}`,
    param,
    tokenParam,
    prefix: `${others}&`,
    entries: [...fixture.destinations],
    target,
    secret: SECRETS[vendor],
  }
}

const ABSOLUTE: AbsoluteSpec[] = [
  absoluteSpec('kustomer', 'kustomerRedirectUri', 'externalToken', {
    exact: 'help.acme.com',
    suffix: 'kustomer.help',
    sub: 'acme.kustomer.help',
    loopback: 'http://127.0.0.1:4001',
  }),
  absoluteSpec('comm100', 'redirect_url', 'jwt', {
    exact: 'chat.acme.com',
    suffix: 'comm100.io',
    sub: 'dash11.comm100.io',
    loopback: 'http://localhost:4002',
  }),
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
  if (JWT_PATTERN.test(reply.body)) problems.push('a token in the body')
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

let upstream: KonnecApi
let app: SecurityApp
beforeAll(async () => {
  upstream = await startKonnec()
  app = await startSecurityApp({ upstream })
})
afterAll(async () => {
  await app.close()
  await upstream.close()
})

for (const spec of ABSOLUTE) {
  describe(`${spec.param} (${spec.vendor}): a token goes only where configuration says`, () => {
    const classes = redirectCorpus(spec.target, spec.param)
    const target = (kase: Case) =>
      `${spec.route}?${spec.prefix}${kase.query ?? `${spec.param}=${encodeURIComponent(kase.value)}`}`

    async function loggedIn(kase: Case): Promise<string[]> {
      const reply = await send(app.port, { path: target(kase) })
      const problems = invariants(reply, app, spec.entries)
      const refused = isRefusal(reply, REDIRECT_CODES)
      const location = header(reply, 'location')
      const url = location === undefined ? undefined : new URL(location, app.url)
      const tokens = url?.searchParams.getAll(spec.tokenParam) ?? []
      const sent = reply.status === 302 && tokens.length === 1
      if (url && tokens.length > 1) problems.push(`${tokens.length} ${spec.tokenParam} parameters`)
      if (sent && !(await verifies(tokens[0] as string, spec.secret))) {
        problems.push('the token sent does not verify for the signed-in user')
      }
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

    async function loggedOut(kase: Case): Promise<string[]> {
      const path = target(kase)
      const reply = await send(app.port, { path })
      const problems = invariants(reply, app, [])
      const refused = isRefusal(reply, REDIRECT_CODES)
      const location = header(reply, 'location')
      const login = location === undefined ? undefined : new URL(location, app.url)
      const toLogin = reply.status === 302 && login?.pathname === '/login'
      // A bad target is refused before the user is asked to sign in.
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

    for (const cls of classes) {
      it(`${cls.name}: ${cls.cases.length} cases — logged in, a token only ever reaches an allowed host`, async () => {
        app.getUser = () => ALICE
        expect(await runClass(cls.cases, loggedIn)).toEqual([])
      })
      it(`${cls.name}: ${cls.cases.length} cases — logged out, refused first or sent to login with a safe returnTo`, async () => {
        app.getUser = () => null
        expect(await runClass(cls.cases, loggedOut)).toEqual([])
      })
    }

    // Rule 1 bounds the URL that comes in (4,096 characters), not the Location once the token is
    // added: a target at the limit must still receive its token.
    it(`sends the token to a ${spec.param} of exactly 4,096 characters, the documented limit`, async () => {
      app.getUser = () => ALICE
      const value = `https://${spec.target.sub}/`.padEnd(4096, 'a')
      const reply = await send(app.port, {
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

describe('referrer_uri (bettermode): unsafe paths are dropped, and the token still goes only to communityUrl', () => {
  const community = new URL(COMMUNITY_URL)
  const absolute = redirectCorpus(
    {
      exact: community.hostname,
      suffix: 'acme.com',
      sub: `x.${community.hostname}`,
      loopback: 'http://127.0.0.1:4005',
    },
    'referrer_uri',
  )
  const classes = relativeCorpus('referrer_uri', absolute)
  const target = (kase: RelativeCase) =>
    `/sso/bettermode/login?${kase.query ?? `referrer_uri=${encodeURIComponent(kase.value)}`}`

  async function loggedIn(kase: RelativeCase): Promise<string[]> {
    const reply = await send(app.port, { path: target(kase) })
    const problems = invariants(reply, app, [community.origin])
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
        `expected the community redirect, got ${reply.status} ${errorCode(reply.body)}`,
      ]
    }
    const url = new URL(location)
    if (`${url.origin}${url.pathname}` !== `${community.origin}/api/auth/sso`) {
      problems.push(`token sent to ${url.origin}${url.pathname}`)
    }
    const jwts = url.searchParams.getAll('jwt')
    if (jwts.length !== 1) problems.push(`${jwts.length} jwt parameters`)
    else if (!(await verifies(jwts[0] as string, SECRETS.bettermode))) problems.push('bad token')
    const kept = url.searchParams.getAll('redirect_uri')
    if (kept.length > 1) problems.push('redirect_uri repeated')
    const redirectUri = kept[0]
    if (redirectUri !== undefined) {
      const why = unsafeReturnPath(redirectUri, community.origin)
      if (why) problems.push(`kept an unsafe redirect_uri ${show(redirectUri)}: ${why}`)
    }
    if (kase.expect === 'keep' && redirectUri !== kase.value)
      problems.push('a safe path was not kept')
    if (kase.expect === 'drop' && redirectUri !== undefined)
      problems.push('an unsafe path was kept')
    return problems
  }

  async function loggedOut(kase: RelativeCase): Promise<string[]> {
    const path = target(kase)
    const reply = await send(app.port, { path })
    const problems = invariants(reply, app, [])
    if (kase.expect === 'refuse') {
      if (!isRefusal(reply, /^ERR_SSO_BAD_REQUEST$/))
        problems.push(`expected a 400, got ${reply.status}`)
      return problems
    }
    const location = header(reply, 'location')
    const login = location === undefined ? undefined : new URL(location, app.url)
    if (reply.status !== 302 || login?.pathname !== '/login') {
      problems.push(`expected the login page, got ${reply.status}`)
    } else if (path.length <= 2048 && login.searchParams.get('returnTo') !== path) {
      problems.push('returnTo is not the request target')
    }
    return problems
  }

  for (const cls of classes) {
    it(`${cls.name}: ${cls.cases.length} cases — logged in`, async () => {
      app.getUser = () => ALICE
      expect(await runClass(cls.cases, loggedIn)).toEqual([])
    })
    it(`${cls.name}: ${cls.cases.length} cases — logged out, a login redirect with a safe returnTo`, async () => {
      app.getUser = () => null
      expect(await runClass(cls.cases, loggedOut)).toEqual([])
    })
  }
})

/** Every browser route of the fixture vendors, with a valid query. */
const BROWSER_ROUTES = BROWSER_TARGETS
/** The browser routes that hand out a token, for the tenant corpus. */
const TOKEN_ROUTES = ROUTES.filter((r) => r.kind === 'browser' && r.token).map(
  (r) => `${r.path}${r.query ? `?${r.query}` : ''}`,
)

describe('returnTo: the login redirect the middleware builds is always a safe relative path', () => {
  function judgePath(reply: Reply, kase: PathCase, on: SecurityApp): string[] {
    const problems = invariants(reply, on, ALL_DESTINATIONS)
    const location = header(reply, 'location')
    const passedOn = reply.status === 404 && header(reply, 'x-app') === 'not-found'
    const nodeRefused = (reply.status === 400 || reply.status === 431) && !reply.body
    if (reply.status >= 400 && !passedOn && !nodeRefused && !errorCode(reply.body)) {
      problems.push(`a ${reply.status} without an ERR_SSO_* code`)
    }
    if (location !== undefined && reply.status !== 302)
      problems.push(`Location on a ${reply.status}`)
    if (kase.roundTrip && location !== undefined) {
      const login = new URL(location, on.url)
      const toLogin = login.origin === on.url && login.pathname === '/login'
      if (toLogin && login.searchParams.get('returnTo') !== kase.value) {
        problems.push(
          `returnTo ${show(login.searchParams.get('returnTo') ?? '')} is not the target`,
        )
      }
    }
    return problems
  }

  for (const [who, user] of [
    ['logged out', null],
    ['logged in', ALICE],
  ] as const) {
    for (const cls of pathCorpus(BROWSER_ROUTES)) {
      it(`${cls.name}: ${cls.cases.length} cases, ${who}`, async () => {
        app.getUser = () => user
        const problems = await runClass(cls.cases, async (kase) =>
          judgePath(await send(app.port, { path: kase.value }), kase, app),
        )
        expect(problems).toEqual([])
      })
    }
  }

  describe('with basePath /:tenant/sso', () => {
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
        path: `/%2F%2F${EVIL}${BROWSER_ROUTES[0]}`,
      })
      expect(reply.status).toBe(302)
      expect(
        new URL(header(reply, 'location') ?? '', tenant.url).searchParams.get('returnTo'),
      ).toBe('/')
    })
  })

  const absoluteForm = BROWSER_ROUTES.map(absoluteFormCorpus)
  for (const [who, user] of [
    ['logged out', null],
    ['logged in', ALICE],
  ] as const) {
    it(`${absoluteForm[0]?.name}: ${absoluteForm.reduce((n, c) => n + c.cases.length, 0)} cases over ${BROWSER_ROUTES.length} routes, ${who}`, async () => {
      app.getUser = () => user
      const cases = absoluteForm.flatMap((c) => c.cases)
      const problems = await runClass(cases, async (kase) => {
        const reply = await sendRaw(app.port, `GET ${kase.value} HTTP/1.1\r\nHost: ${EVIL}`)
        const found = judgePath(reply, kase, app)
        const location = header(reply, 'location')
        // The request line's scheme and host never reach the Location.
        if (location?.startsWith('/') === false && !tokensIn(new URL(location)).length) {
          found.push(`absolute Location ${show(location)}`)
        }
        if (location?.includes(EVIL) && new URL(location, app.url).host.includes(EVIL)) {
          found.push(`Location points at ${EVIL}`)
        }
        return found
      })
      expect(problems).toEqual([])
    })
  }

  it('reduces an absolute-form target to its path: returnTo is exactly the path and query', async () => {
    app.getUser = () => null
    const route = BROWSER_ROUTES[0] as string
    const reply = await sendRaw(app.port, `GET http://${EVIL}${route} HTTP/1.1\r\nHost: ${EVIL}`)
    expect(reply.status).toBe(302)
    const location = header(reply, 'location') ?? ''
    expect(location.startsWith('/login?')).toBe(true)
    expect(new URL(location, app.url).searchParams.get('returnTo')).toBe(route)
  })
})
