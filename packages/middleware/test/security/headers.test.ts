// DESIGN rule 3 (and rule 4's closed CORS): the headers on every token-bearing response and on
// every HTML page the middleware writes, through every adapter.
import type { IncomingMessage } from 'node:http'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bettermode,
  comm100,
  defineVendor,
  type GetUser,
  intercom,
  komo,
  kustomer,
  metabase,
  type SsoOptions,
  ssoHandler,
  ssoMiddleware,
  type Vendor,
} from '../../src/index'
import { type SsoFastifyOptions, ssoPlugin } from '../../src/fastify'
import {
  ALICE,
  COMM100_HOSTS,
  COMMUNITY_URL,
  INTERCOM_SECRET,
  type KonnecApi,
  KUSTOMER_HOSTS,
  listen,
  METABASE_SECRET,
  METABASE_URL,
  RSA_PRIVATE_PEM,
  SECRETS,
  startKonnec,
} from '@sso/fixtures'
import { fixtureVendors, konnecAnswers } from './app'
import { send } from './http'
import { errorCode, JWT_PATTERN, tokensIn } from './oracle'

interface Answer {
  status: number
  header(name: string): string | null
  body: string
}

interface Host {
  name: string
  start(options: SsoOptions<unknown>): Promise<{
    request(method: string, path: string, headers?: Record<string, string>): Promise<Answer>
    close(): Promise<void>
  }>
}

const HOSTS: Host[] = [
  {
    name: 'ssoMiddleware over node:http',
    async start(options) {
      const middleware = ssoMiddleware(options as SsoOptions<IncomingMessage>)
      await middleware.ready
      const server = await listen((req, res) =>
        middleware(req, res, () => {
          res.statusCode = 404
          res.end()
        }),
      )
      return {
        close: () => server.close(),
        async request(method, path, headers) {
          const reply = await send(server.port, { method, path, headers })
          return {
            status: reply.status,
            body: reply.body,
            header: (name) => {
              const value = reply.headers[name]
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
            },
          }
        },
      }
    },
  },
  {
    name: 'ssoPlugin on Fastify 5',
    async start(options) {
      const app = Fastify()
      await app.register(ssoPlugin, options as SsoFastifyOptions)
      await app.sso.ready
      await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = app.server.address() as { port: number }
      return {
        close: () => app.close(),
        async request(method, path, headers) {
          const reply = await send(port, { method, path, headers })
          return {
            status: reply.status,
            body: reply.body,
            header: (name) => {
              const value = reply.headers[name]
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
            },
          }
        },
      }
    },
  },
  {
    name: 'ssoHandler (Fetch)',
    async start(options) {
      const handler = ssoHandler(options as SsoOptions<Request>)
      await handler.ready
      return {
        close: async () => {},
        async request(method, path, headers) {
          const response = await handler(
            new Request(`http://127.0.0.1${path}`, { method, headers }),
          )
          if (!response) return { status: 404, header: () => null, body: '' }
          return {
            status: response.status,
            body: await response.text(),
            header: (name) => response.headers.get(name),
          }
        },
      }
    },
  },
]

// Origin must match Host; every adapter sees this Host header as sent.
const SAME_ORIGIN = {
  host: '127.0.0.1',
  origin: 'http://127.0.0.1',
  'sec-fetch-site': 'same-origin',
}
const kustomerTarget = encodeURIComponent('https://acme.kustomer.help/login?referralUrl=%2F')
const comm100Target = encodeURIComponent('https://dash11.comm100.io/sso/callback')

/** A custom vendor's HTML result and a crash, to cover pages no built-in vendor writes. */
const custom: Vendor = defineVendor({
  id: 'custom',
  routes: [
    {
      name: 'page',
      method: 'GET',
      path: '/custom/page',
      kind: 'browser',
      handle: () => ({ kind: 'html', body: '<p>custom page</p>' }),
    },
    {
      name: 'crash',
      method: 'GET',
      path: '/custom/crash',
      kind: 'browser',
      handle: () => {
        throw new Error('unexpected')
      },
    },
  ],
})

function expectNoStore(answer: Answer, what: string) {
  expect(
    {
      'cache-control': answer.header('cache-control'),
      pragma: answer.header('pragma'),
      'referrer-policy': answer.header('referrer-policy'),
    },
    what,
  ).toEqual({ 'cache-control': 'no-store', pragma: 'no-cache', 'referrer-policy': 'no-referrer' })
}

function expectHtmlPageHeaders(answer: Answer, what: string) {
  expect(answer.header('content-type'), what).toMatch(/^text\/html/)
  const csp = answer.header('content-security-policy') ?? ''
  expect(csp, what).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/)
  expect(csp, what).toMatch(/(^|;)\s*default-src 'none'/)
  expect(answer.header('x-frame-options'), what).toBe('DENY')
  expect(answer.header('x-content-type-options'), what).toBe('nosniff')
  expectNoStore(answer, what)
}

let upstream: KonnecApi
beforeAll(async () => {
  upstream = await startKonnec()
})
afterAll(() => upstream.close())

for (const host of HOSTS) {
  describe(host.name, () => {
    describe('every token-bearing response carries Cache-Control no-store, Pragma no-cache, Referrer-Policy no-referrer', () => {
      const CONFIGS: [string, () => Vendor[]][] = [
        ['the fixture vendors', () => fixtureVendors(upstream)],
        [
          'komo with RS256, kustomer with exp, comm100 with an endpoint, bettermode with a default redirect, metabase with groups',
          () => [
            komo({ privateKey: RSA_PRIVATE_PEM, algorithm: 'RS256' }),
            ...fixtureVendors(upstream).filter((v) => v.id === 'konnec' || v.id === 'featurebase'),
            kustomer({
              secret: SECRETS.kustomer,
              allowedHosts: KUSTOMER_HOSTS,
              includeExp: true,
              expiresIn: 300,
            }),
            comm100({
              secret: SECRETS.comm100,
              allowedHosts: COMM100_HOSTS,
              endpoint: 'https://sso.comm100.io/jwt',
            }),
            bettermode({
              secret: SECRETS.bettermode,
              communityUrl: COMMUNITY_URL,
              defaultRedirect: '/welcome',
            }),
            metabase({
              secret: METABASE_SECRET,
              metabaseUrl: METABASE_URL,
              expiresIn: 60,
              allowGroupClaims: true,
              claims: () => ({ groups: ['Finance'] }),
            }),
          ],
        ],
      ]
      const REQUESTS: [string, string, string, Record<string, string>?][] = [
        ['komo token (same-origin browser)', 'POST', '/sso/komo/token', SAME_ORIGIN],
        ['komo token (server-side caller)', 'POST', '/sso/komo/token'],
        [
          'kustomer login',
          'GET',
          `/sso/kustomer/login?trackingToken=t&kustomerRedirectUri=${kustomerTarget}`,
        ],
        [
          'kustomer login by HEAD',
          'HEAD',
          `/sso/kustomer/login?kustomerRedirectUri=${kustomerTarget}`,
        ],
        ['konnec login', 'GET', '/sso/konnec/login'],
        ['comm100 login', 'GET', `/sso/comm100/login?redirect_url=${comm100Target}&RelayState=r`],
        ['bettermode login', 'GET', '/sso/bettermode/login?referrer_uri=%2Fspaces'],
        ['bettermode login without referrer', 'GET', '/sso/bettermode/login'],
        [
          'featurebase login',
          'GET',
          `/sso/featurebase/login?return_to=${encodeURIComponent('https://acme.featurebase.app/p/1')}`,
        ],
        [
          'featurebase login with a foreign return_to',
          'GET',
          `/sso/featurebase/login?return_to=${encodeURIComponent('https://evil.com/')}`,
        ],
        ['featurebase token (same-origin browser)', 'POST', '/sso/featurebase/token', SAME_ORIGIN],
        ['featurebase token (server-side caller)', 'POST', '/sso/featurebase/token'],
        ['metabase login', 'GET', '/sso/metabase/login?return_to=%2Fdashboard%2F1'],
        ['metabase login without return_to', 'GET', '/sso/metabase/login'],
        ['metabase token (same-origin browser)', 'POST', '/sso/metabase/token', SAME_ORIGIN],
        ['metabase token (server-side caller)', 'POST', '/sso/metabase/token'],
      ]
      it.each([
        ['jwt', 'token', JWT_PATTERN],
        ['userHash', 'userHash', /^[0-9a-f]{64}$/],
      ] as const)(
        'intercom in %s mode: the answer carries its %s, no-store, no CORS',
        async (mode, field, shape) => {
          const app = await host.start({
            getUser: () => ({ ...ALICE, emailVerified: false }),
            vendors: [intercom({ secret: INTERCOM_SECRET, mode })],
          })
          try {
            for (const headers of [SAME_ORIGIN, undefined]) {
              const answer = await app.request('POST', '/sso/intercom/token', headers)
              expect(answer.status).toBe(200)
              expect(JSON.parse(answer.body)[field]).toMatch(shape)
              expectNoStore(answer, `intercom ${mode}`)
              expect(answer.header('access-control-allow-origin')).toBeNull()
            }
          } finally {
            await app.close()
          }
        },
      )

      for (const [config, vendors] of CONFIGS) {
        it(`${config}: ${REQUESTS.length} token flows`, async () => {
          const app = await host.start({
            getUser: () => ALICE,
            vendors: vendors(),
            loginUrl: '/login',
          })
          try {
            for (const [what, method, path, headers] of REQUESTS) {
              const answer = await app.request(method, path, headers)
              const location = answer.header('location')
              const carries =
                JWT_PATTERN.test(answer.body) ||
                (location !== null && tokensIn(new URL(location)).length > 0)
              expect(carries, `${what} carries a token (${answer.status})`).toBe(true)
              expectNoStore(answer, what)
              expect(answer.header('access-control-allow-origin'), what).toBeNull()
            }
          } finally {
            await app.close()
          }
        })
      }
    })

    describe("every HTML page the middleware writes has a CSP with frame-ancestors 'none'", () => {
      const PAGES: {
        what: string
        status: number
        code: string
        path: string
        getUser?: GetUser<unknown>
        loginUrl?: boolean
        upstream?: () => void
      }[] = [
        {
          what: 'a redirect target off the allow-list',
          status: 400,
          code: 'ERR_SSO_REDIRECT_NOT_ALLOWED',
          path: `/sso/kustomer/login?kustomerRedirectUri=${encodeURIComponent('https://evil.com/')}`,
        },
        {
          what: 'a malformed query',
          status: 400,
          code: 'ERR_SSO_BAD_REQUEST',
          path: '/sso/konnec/login?x=%ZZ',
        },
        {
          what: 'a repeated parameter',
          status: 400,
          code: 'ERR_SSO_BAD_REQUEST',
          path: '/sso/bettermode/login?referrer_uri=%2Fa&referrer_uri=%2Fb',
        },
        {
          what: 'a logged-out browser and no loginUrl',
          status: 401,
          code: 'ERR_SSO_UNAUTHENTICATED',
          path: '/sso/konnec/login',
          getUser: () => null,
          loginUrl: false,
        },
        {
          what: 'an unverified email',
          status: 403,
          code: 'ERR_SSO_EMAIL_UNVERIFIED',
          path: `/sso/comm100/login?redirect_url=${comm100Target}`,
          getUser: () => ({ ...ALICE, emailVerified: false }),
        },
        {
          what: 'a user without an email',
          status: 422,
          code: 'ERR_SSO_USER_INVALID',
          path: '/sso/bettermode/login',
          getUser: () => ({ id: 'u1' }) as never,
        },
        {
          what: 'getUser throwing',
          status: 500,
          code: 'ERR_SSO_GET_USER_FAILED',
          path: '/sso/konnec/login',
          getUser: () => {
            throw new Error('session store down')
          },
        },
        {
          what: 'a vendor route crashing',
          status: 500,
          code: 'ERR_SSO_INTERNAL',
          path: '/sso/custom/crash',
        },
        {
          what: 'Konnec answering 500',
          status: 502,
          code: 'ERR_SSO_VENDOR_UNAVAILABLE',
          path: '/sso/konnec/login',
          upstream: () => {
            konnecAnswers(upstream, { kind: 'status', status: 500 })
          },
        },
        {
          what: 'Konnec hanging past the timeout',
          status: 504,
          code: 'ERR_SSO_VENDOR_UNAVAILABLE',
          path: '/sso/konnec/login',
          upstream: () => {
            konnecAnswers(upstream, { kind: 'hang' })
          },
        },
        { what: "a custom vendor's own HTML", status: 200, code: '', path: '/sso/custom/page' },
      ]

      for (const expose of [true, false]) {
        it(`${PAGES.length} pages, statuses ${[...new Set(PAGES.map((p) => p.status))].join('/')}, with exposeErrors ${expose}`, async () => {
          const statuses = new Set<number>()
          for (const page of PAGES) {
            konnecAnswers(upstream)
            page.upstream?.()
            const app = await host.start({
              getUser: page.getUser ?? (() => ALICE),
              vendors: [...fixtureVendors(upstream, 150), custom],
              ...(page.loginUrl === false ? {} : { loginUrl: '/login' }),
              exposeErrors: expose,
            })
            try {
              const answer = await app.request('GET', page.path)
              expect(answer.status, page.what).toBe(page.status)
              if (page.code) expect(errorCode(answer.body), page.what).toBe(page.code)
              expectHtmlPageHeaders(answer, page.what)
              statuses.add(answer.status)
            } finally {
              await app.close()
              konnecAnswers(upstream)
            }
          }
          expect([...statuses].sort()).toEqual([200, 400, 401, 403, 422, 500, 502, 504])
        })
      }
    })

    describe('JSON answers and redirects', () => {
      it('API errors (401, 403, 405, 500) are no-store JSON with a code, and CORS stays closed', async () => {
        const plan = { user: null as unknown }
        const app = await host.start({
          getUser: () => {
            if (plan.user === 'throw') throw new Error('down')
            return plan.user as never
          },
          vendors: fixtureVendors(upstream),
          loginUrl: '/login',
        })
        try {
          const cases: [
            string,
            string,
            Record<string, string> | undefined,
            unknown,
            number,
            string,
          ][] = [
            ['logged out', 'POST', SAME_ORIGIN, null, 401, 'ERR_SSO_UNAUTHENTICATED'],
            [
              'cross-site',
              'POST',
              { origin: 'https://evil.com', 'sec-fetch-site': 'cross-site' },
              ALICE,
              403,
              'ERR_SSO_FORBIDDEN',
            ],
            ['a GET', 'GET', undefined, ALICE, 405, 'ERR_SSO_METHOD_NOT_ALLOWED'],
            [
              'a CORS preflight',
              'OPTIONS',
              { origin: 'https://evil.com', 'access-control-request-method': 'POST' },
              ALICE,
              405,
              'ERR_SSO_METHOD_NOT_ALLOWED',
            ],
            ['getUser throwing', 'POST', SAME_ORIGIN, 'throw', 500, 'ERR_SSO_GET_USER_FAILED'],
          ]
          for (const [route, [what, method, headers, user, status, code]] of [
            '/sso/komo/token',
            '/sso/intercom/token',
            '/sso/metabase/token',
          ].flatMap((r) => cases.map((c) => [r, c] as const))) {
            plan.user = user
            const answer = await app.request(method, route, headers)
            expect(answer.status, `${route} ${what}`).toBe(status)
            expect(answer.header('content-type'), what).toMatch(/^application\/json/)
            expect(JSON.parse(answer.body), what).toMatchObject({ error: { code } })
            expectNoStore(answer, what)
            for (const name of [
              'access-control-allow-origin',
              'access-control-allow-credentials',
              'access-control-allow-methods',
            ]) {
              expect(answer.header(name), `${what}: ${name}`).toBeNull()
            }
          }
        } finally {
          await app.close()
        }
      })

      it('the login and logout redirects are no-store and no-referrer too', async () => {
        const app = await host.start({
          getUser: () => null,
          vendors: fixtureVendors(upstream),
          loginUrl: '/login',
        })
        try {
          for (const path of [
            '/sso/konnec/login',
            '/sso/comm100/logout',
            '/sso/bettermode/logout',
          ]) {
            const answer = await app.request('GET', path)
            expect(answer.status, path).toBe(302)
            expectNoStore(answer, path)
          }
        } finally {
          await app.close()
        }
      })
    })
  })
}
