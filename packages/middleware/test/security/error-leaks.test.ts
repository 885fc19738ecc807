// DESIGN rule 7 at the middleware's edge: what an app logs when it hands errors to its own
// handler (`onError: 'next'` → `console.error(err)` prints the whole cause chain), what the
// error pages say with details exposed, and what the audit events hold, for every failure.
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ALICE,
  INTERCOM_SECRET,
  FEATUREBASE_SECRET,
  KONNEC,
  type KonnecApi,
  type KonnecFaultSpec,
  METABASE_SECRET,
  SECRETS,
  startKonnec,
  TENANTS,
} from '@sso/fixtures'
import { komo, type SsoUser, type TenantOptions } from '../../src/index'
import { konnecAnswers, type SecurityApp, startSecurityApp, startTenantUpstreams } from './app'
import { send } from './http'
import { JWT_PATTERN } from './oracle'

const BOB: SsoUser = {
  id: 'user-bob-7',
  email: 'bob.unverified@example.com',
  emailVerified: false,
  username: 'bob.konnec.username',
  name: 'Bob',
}
const LONG: SsoUser = { id: 'user-long-1', email: `${'l'.repeat(210)}@example.com`, name: 'Long' }

interface Scenario {
  what: string
  path: string
  /** (default: `GET`, no extra headers) */
  method?: string
  headers?: Record<string, string>
  user?: SsoUser | null | 'throw'
  /** The fault Konnec's simulator answers every call with. (default: none) */
  upstream?: KonnecFaultSpec
  /** The code the failure must carry. */
  code: string
}

const kustomerTo = (url: string) =>
  `/sso/kustomer/login?kustomerRedirectUri=${encodeURIComponent(url)}`

const SCENARIOS: Scenario[] = [
  {
    what: 'a redirect target off the allow-list',
    path: kustomerTo(`https://evil.com/?steal=${ALICE.email}`),
    code: 'ERR_SSO_REDIRECT_NOT_ALLOWED',
  },
  { what: 'a malformed query', path: '/sso/konnec/login?x=%ZZ', code: 'ERR_SSO_BAD_REQUEST' },
  {
    what: 'an unverified email (Comm100)',
    path: `/sso/comm100/login?redirect_url=${encodeURIComponent('https://dash11.comm100.io/cb')}`,
    user: BOB,
    code: 'ERR_SSO_EMAIL_UNVERIFIED',
  },
  {
    what: 'an unverified email (Kustomer)',
    path: kustomerTo('https://acme.kustomer.help/login'),
    user: BOB,
    code: 'ERR_SSO_EMAIL_UNVERIFIED',
  },
  {
    what: 'an unverified email (Metabase)',
    path: '/sso/metabase/login?return_to=%2Fdashboard%2F1',
    user: BOB,
    code: 'ERR_SSO_EMAIL_UNVERIFIED',
  },
  {
    what: 'a repeated return_to (Metabase)',
    path: '/sso/metabase/login?return_to=%2Fa&return_to=%2Fb',
    code: 'ERR_SSO_BAD_REQUEST',
  },
  {
    what: 'an email over Bettermode’s limit',
    path: '/sso/bettermode/login',
    user: LONG,
    code: 'ERR_SSO_USER_INVALID',
  },
  {
    what: 'a cross-site POST to an SDK-token route (Intercom)',
    path: '/sso/intercom/token',
    method: 'POST',
    headers: { origin: `https://evil.com/?${ALICE.email}`, 'sec-fetch-site': 'cross-site' },
    user: BOB,
    code: 'ERR_SSO_FORBIDDEN',
  },
  {
    what: 'getUser throwing on an SDK-token route (Intercom)',
    path: '/sso/intercom/token',
    method: 'POST',
    user: 'throw',
    code: 'ERR_SSO_GET_USER_FAILED',
  },
  {
    what: 'an unverified email (Featurebase portal)',
    path: `/sso/featurebase/login?return_to=${encodeURIComponent(`https://evil.com/?${ALICE.email}`)}`,
    user: BOB,
    code: 'ERR_SSO_EMAIL_UNVERIFIED',
  },
  {
    what: 'a repeated return_to (Featurebase)',
    path: `/sso/featurebase/login?return_to=${encodeURIComponent(ALICE.email)}&return_to=x`,
    code: 'ERR_SSO_BAD_REQUEST',
  },
  {
    what: 'a user without an email (Featurebase)',
    path: '/sso/featurebase/login',
    user: { id: 'user-no-email-3', name: 'No Mail' } as SsoUser,
    code: 'ERR_SSO_USER_INVALID',
  },
  {
    what: 'getUser throwing',
    path: '/sso/bettermode/login',
    user: 'throw',
    code: 'ERR_SSO_GET_USER_FAILED',
  },
  ...(
    [
      ['Konnec answering 500', { kind: 'status', status: 500 }],
      ['Konnec answering 503 twice', { kind: 'status', status: 503 }],
      ['Konnec answering 401', { kind: 'status', status: 401 }],
      ['Konnec resetting twice', { kind: 'reset' }],
      ['Konnec hanging past the timeout', { kind: 'hang' }],
      ['Konnec cutting its JSON short', { kind: 'malformed' }],
      // A short bare token: V8's JSON.parse message would quote it whole.
      ['Konnec sending a bare token labelled JSON', { kind: 'plain-token', tokenBytes: 12 }],
      ['Konnec sending a token unquoted in JSON', { kind: 'unquoted' }],
    ] as const
  ).map(([what, upstream]) => ({
    what,
    path: '/sso/konnec/login',
    user: BOB,
    upstream,
    code: 'ERR_SSO_VENDOR_UNAVAILABLE',
  })),
]

/** Both Node hosts the apps run on: every check below runs on each. */
const HOSTS = ['node:http', 'fastify'] as const

let upstream: KonnecApi
beforeAll(async () => {
  upstream = await startKonnec()
})
afterAll(() => upstream.close())

/** Every secret a failure could spill: keys, emails, usernames, tokens Konnec issued. */
function secrets(): string[] {
  return [
    ...Object.values(SECRETS),
    INTERCOM_SECRET,
    FEATUREBASE_SECRET,
    METABASE_SECRET,
    KONNEC.apiKey,
    ...TENANTS.flatMap((t) => [...Object.values(t.secrets), t.konnec.apiKey]),
    SHORT_SECRET,
    ALICE.email,
    BOB.email,
    BOB.username as string,
    LONG.email,
    ...upstream.sim.issued,
  ]
}

function leaks(text: string): string[] {
  const found = secrets().filter((s) => text.includes(s))
  const jwt = JWT_PATTERN.exec(text)?.[0]
  if (jwt) found.push(jwt)
  // Part of a refresh token is a leak too (V8 quotes 10 characters of a long bad JSON body).
  for (const token of upstream.sim.issued) {
    for (let i = 0; i + 10 <= token.length; i++) {
      const part = token.slice(i, i + 10)
      if (text.includes(part)) {
        found.push(`part of a refresh token: ${part}`)
        break
      }
    }
  }
  return [...new Set(found)]
}

describe.each(HOSTS)(
  'on %s: no token, secret, API key or email in any error, page or event (rule 7)',
  (host) => {
    let respond: SecurityApp
    let next: SecurityApp
    beforeAll(async () => {
      respond = await startSecurityApp({ host, upstream, exposeErrors: true, konnecTimeoutMs: 150 })
      next = await startSecurityApp({ host, upstream, onError: 'next', konnecTimeoutMs: 150 })
    })
    afterAll(async () => {
      await respond.close()
      await next.close()
    })

    for (const scenario of SCENARIOS) {
      it(`${scenario.what}: the page, the error handed to next(err) with its causes, and the events are clean`, async () => {
        const getUser = () => {
          if (scenario.user === 'throw') throw new Error('session store unavailable')
          return scenario.user === undefined ? ALICE : scenario.user
        }
        konnecAnswers(upstream, scenario.upstream)
        respond.getUser = getUser
        next.getUser = getUser
        respond.events.length = 0
        next.events.length = 0
        next.errors.length = 0

        const request = { path: scenario.path, method: scenario.method, headers: scenario.headers }
        const page = await send(respond.port, request)
        expect(page.status).toBeGreaterThanOrEqual(400)
        expect(page.body).toContain(scenario.code)
        expect(leaks(page.body), 'error page').toEqual([])
        expect(leaks(JSON.stringify(page.headers)), 'headers').toEqual([])

        const handed = await send(next.port, request)
        expect(handed.status).toBe(500)
        expect(next.errors).toHaveLength(1)
        const error = next.errors[0] as Error & { code?: string }
        expect(error.code).toBe(scenario.code)
        // What `console.error(err)` prints: message, stack and the whole cause chain.
        const logged = inspect(error, { depth: Number.POSITIVE_INFINITY })
        expect(leaks(logged), 'the error and its causes').toEqual([])
        expect(leaks(String(error.message)), 'the message').toEqual([])

        const events = JSON.stringify([...respond.events, ...next.events])
        expect(respond.events.length).toBeGreaterThan(0)
        expect(leaks(events), 'events').toEqual([])
      })
    }
  },
)

/** A tenant's secret that is too short: the factory refuses it, and must not quote it. */
const SHORT_SECRET = 'tenant-short-secret'
/** What an app's database error might hold: a connection string, a password, an email. */
const DB_ERROR = `connect failed: postgres://app:${SECRETS.komo}@db/tenants for ${ALICE.email}`

interface TenantScenario {
  what: string
  resolve: TenantOptions['resolve']
  /** A tenant id other than `acme` (one the resolver must never see). */
  id?: string
  status: number
  code: string
}

const TENANT_SCENARIOS: TenantScenario[] = [
  {
    what: 'a resolver that throws',
    resolve: () => {
      throw new Error(DB_ERROR)
    },
    status: 503,
    code: 'ERR_SSO_TENANT_UNAVAILABLE',
  },
  {
    what: 'a resolver that rejects with a string',
    resolve: () => Promise.reject(DB_ERROR),
    status: 503,
    code: 'ERR_SSO_TENANT_UNAVAILABLE',
  },
  {
    what: 'a resolver that hangs past timeoutMs',
    resolve: () => new Promise(() => {}),
    status: 503,
    code: 'ERR_SSO_TENANT_UNAVAILABLE',
  },
  {
    what: 'a resolver that returns a string',
    resolve: () => DB_ERROR as never,
    status: 500,
    code: 'ERR_SSO_CONFIG',
  },
  {
    what: 'a resolver that returns factories, not vendors',
    resolve: () => [komo] as never,
    status: 500,
    code: 'ERR_SSO_CONFIG',
  },
  {
    what: 'a resolver that returns an object',
    resolve: () => ({ vendors: [], secret: SECRETS.komo }) as never,
    status: 500,
    code: 'ERR_SSO_CONFIG',
  },
  {
    what: 'a resolver that returns the same vendor twice',
    resolve: () => [komo({ secret: SECRETS.komo }), komo({ secret: SECRETS.kustomer })],
    status: 500,
    code: 'ERR_SSO_CONFIG',
  },
  {
    what: 'a resolver whose vendor has a too-short secret',
    resolve: () => [komo({ secret: SHORT_SECRET })],
    status: 500,
    code: 'ERR_SSO_CONFIG',
  },
  {
    what: 'a resolver that knows no such tenant',
    resolve: () => null,
    status: 404,
    code: 'ERR_SSO_TENANT_UNKNOWN',
  },
  {
    what: 'a tenant id that is not an id',
    resolve: () => {
      throw new Error('never called')
    },
    id: `..%2F${encodeURIComponent(ALICE.email)}`,
    status: 404,
    code: 'ERR_SSO_TENANT_INVALID',
  },
]

describe.each(HOSTS)(
  'on %s, tenants: a failing resolver answers 503/500/404 with a stable code, and leaks nothing (rule 7)',
  (host) => {
    let upstreams: Awaited<ReturnType<typeof startTenantUpstreams>>
    beforeAll(async () => {
      upstreams = await startTenantUpstreams()
    })
    afterAll(() => upstreams.close())

    for (const scenario of TENANT_SCENARIOS) {
      it(`${scenario.what}: ${scenario.status} ${scenario.code} on the page, in JSON, to next(err) and in events`, async () => {
        const id = scenario.id ?? 'acme'
        const mount = { upstreams: upstreams.upstreams, resolve: scenario.resolve, timeoutMs: 100 }
        const apps = await Promise.all([
          startSecurityApp({ host, tenants: mount, exposeErrors: true }),
          startSecurityApp({ host, tenants: mount, onError: 'next' }),
        ])
        const [page, handed] = apps as [SecurityApp, SecurityApp]
        try {
          const html = await send(page.port, { path: `/t/${id}/sso/kustomer/login` })
          const json = await send(page.port, { method: 'POST', path: `/t/${id}/sso/komo/token` })
          for (const [kind, reply] of [
            ['page', html],
            ['JSON', json],
          ] as const) {
            expect({ kind, status: reply.status }).toEqual({ kind, status: scenario.status })
            expect(reply.body, kind).toContain(scenario.code)
            expect(reply.headers.location, kind).toBeUndefined()
            expect(leaks(reply.body), kind).toEqual([])
            expect(leaks(JSON.stringify(reply.headers)), `${kind} headers`).toEqual([])
          }
          expect(JSON.parse(json.body)).toMatchObject({ error: { code: scenario.code } })

          const sent = await send(handed.port, { path: `/t/${id}/sso/kustomer/login` })
          expect(sent.status).toBe(500)
          const error = handed.errors[0] as Error & { code?: string }
          expect(error.code).toBe(scenario.code)
          expect(leaks(String(error.message)), 'the message').toEqual([])

          const events = [...page.events, ...handed.events]
          expect(events.length).toBeGreaterThan(0)
          expect(events.map((e) => e.code)).toEqual(events.map(() => scenario.code))
          expect(leaks(JSON.stringify(events)), 'events').toEqual([])
          if (scenario.id) expect([...page.resolved, ...handed.resolved]).toEqual([])
          else expect(events.map((e) => e.tenant)).toEqual(events.map(() => id))
        } finally {
          await Promise.all(apps.map((a) => a.close()))
        }
      })
    }
  },
)
