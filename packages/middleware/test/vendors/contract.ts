import {
  ALICE,
  byName,
  configErrorOf,
  expectNoStoreHeaders,
  HOOKED_VALUE,
  HOSTS,
  pinClock,
  startApp,
  type TestApp,
  type Upstream,
  unpinClock,
  type VendorFixture,
} from '@sso/fixtures'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type SsoUser, ssoHandler } from '../../src/index'

/** Option values no factory takes as its options object. */
const NOT_OPTIONS: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a string', 'secret'],
  ['a number', 42],
  ['an array', []],
]

/** `paths` → `path`, `secret` → `secre`: one edit away, so "did you mean" must find it. */
const mistype = (key: string) => key.slice(0, -1)

/**
 * How a vendor's success answer travels: a 302 (browser routes), JSON (API routes), or a
 * form-POST page (a fixture that says `answer: 'form'`, Zendesk).
 */
type Answer = 'redirect' | 'json' | 'form'

const JWT = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/

/**
 * A form-POST success (SECURITY.md rule 3's one exception): 200, no Location, `no-store`,
 * `strict-origin`, a CSP with `frame-ancestors 'none'`, and exactly one POST form whose `jwt`
 * hidden field holds the token; the action URL and the headers hold none.
 */
async function expectFormAnswer(response: Response): Promise<void> {
  expect(response.status).toBe(200)
  expect(response.headers.get('location')).toBeNull()
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(response.headers.get('pragma')).toBe('no-cache')
  expect(response.headers.get('referrer-policy')).toBe('strict-origin')
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
  expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'$/)
  const html = await response.clone().text()
  const forms = [...html.matchAll(/<form method="post" action="(https?:\/\/[^"]+)">/g)]
  expect(forms).toHaveLength(1)
  expect(forms[0]?.[1]).not.toMatch(/eyJ/)
  const fields = [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)]
  const jwt = fields.filter(([, name]) => name === 'jwt')
  expect(jwt).toHaveLength(1)
  expect(jwt[0]?.[2]).toMatch(JWT)
  expect(JSON.stringify([...response.headers])).not.toMatch(/eyJ/)
}

/**
 * The contract every vendor runs (hono's `runTest` pattern), fed by the vendor's fixture: its
 * configuration checks once, then the same user-facing behaviours over real HTTP on every host
 * (`ssoMiddleware` on node:http, Connect, Express 4 and 5; `ssoHandler` on Fetch), at the
 * pinned clock.
 *
 * @example
 * runVendorContract(komoFixture)
 * describe('komo token endpoint', () => { ...the vendor's own cases... })
 */
// biome-ignore lint/suspicious/noExplicitAny: a fixture of any vendor's options and upstream
export function runVendorContract(fixture: VendorFixture<any, any>): void {
  const { id, start } = fixture
  const answer: Answer =
    (fixture as { answer?: unknown }).answer === 'form'
      ? 'form'
      : start.kind === 'api'
        ? 'json'
        : 'redirect'
  const success = answer === 'redirect' ? 302 : 200
  const factory = `${id}()`
  const target = `/sso${start.path}${start.query ? `?${start.query}` : ''}`
  const init: RequestInit = { method: start.method }
  const request = (app: TestApp, path = target, extra: RequestInit = {}) =>
    app.get(path, { ...init, ...extra })
  const hook = (user: SsoUser) => ({
    [fixture.hookClaim]: user.id === ALICE.id ? HOOKED_VALUE : `not ${ALICE.id}`,
  })

  describe(`${id} (vendor contract)`, () => {
    let upstream: Upstream | undefined
    beforeAll(async () => {
      upstream = await fixture.startUpstream?.()
    })
    afterAll(async () => {
      await upstream?.close()
    })
    const build = (extra = {}) => fixture.build(extra, upstream)

    describe('configuration', () => {
      it.each(NOT_OPTIONS)('refuses %s as its options, naming the factory', (_, value) => {
        const caught = configErrorOf(() => fixture.create(value), /takes/)
        expect(caught.message.startsWith(`${factory}: takes `)).toBe(true)
      })

      it.each(Object.keys(fixture.options))(
        'suggests `%s` for a mistyped option, naming the factory',
        (key) => {
          const typo = mistype(key)
          const caught = configErrorOf(
            () => fixture.create({ ...fixture.config(upstream), [typo]: 'x' }),
            /did you mean/,
          )
          expect(caught.message).toBe(
            `${factory}: unknown option \`${typo}\`; did you mean \`${key}\`?`,
          )
        },
      )

      it('accepts every documented option at once (one of each exclusive group)', async () => {
        const groups = fixture.exclusive ?? [[]]
        const named = new Set<string>()
        for (const group of groups) {
          const excluded = new Set(groups.flat().filter((key) => !group.includes(key)))
          const options = Object.fromEntries(
            Object.entries(fixture.options).filter(([key]) => !excluded.has(key)),
          )
          for (const key of Object.keys(options)) named.add(key)
          const vendor = fixture.create(options)
          expect(vendor.id).toBe(id)
          await ssoHandler({ getUser: () => ALICE, vendors: [vendor] }).ready
        }
        expect([...named].sort()).toEqual(Object.keys(fixture.options).sort())
      })
    })

    describe.each(byName(HOSTS))('on %s', (_, host) => {
      let app: TestApp
      beforeEach(async () => {
        pinClock()
        app = await startApp({ vendors: [build()], loginUrl: '/login' }, host)
      })
      afterEach(async () => {
        unpinClock()
        await app.close()
      })
      /** Runs `fn` against another app on this host, closing it afterwards. */
      const withApp = async (
        options: Parameters<typeof startApp>[0],
        fn: (other: TestApp) => Promise<void>,
      ) => {
        const other = await startApp(options, host)
        try {
          await fn(other)
        } finally {
          await other.close()
        }
      }

      it('issues a token the vendor accepts when the user is logged in', async () => {
        const response = await request(app)
        expect(response.status).toBe(success)
        if (answer === 'form') await expectFormAnswer(response)
        else expectNoStoreHeaders(response)
        const claims = await fixture.verify(response, upstream)
        expect(claims).toBeTypeOf('object')
        expect(app.events).toContainEqual(
          expect.objectContaining({ type: 'token.issued', vendor: id, userId: ALICE.id }),
        )
      })

      if (start.kind === 'browser') {
        it('sends a logged-out browser to the login page and back to the same route', async () => {
          app.user = null
          const first = await request(app)
          expect(first.status).toBe(302)
          const login = new URL(first.headers.get('location') ?? '', app.url)
          expect(login.pathname).toBe('/login')
          const returnTo = login.searchParams.get('returnTo') ?? ''
          expect(returnTo).toBe(target)
          app.user = ALICE
          const second = await request(app, returnTo)
          expect(second.status).toBe(success)
          await fixture.verify(second, upstream)
        })
      } else {
        it('answers 401 JSON when logged out, and a token after login', async () => {
          app.user = null
          const first = await request(app)
          expect(first.status).toBe(401)
          expect(await first.json()).toEqual({
            error: expect.objectContaining({ code: 'ERR_SSO_UNAUTHENTICATED' }),
          })
          app.user = ALICE
          expect((await request(app)).status).toBe(200)
        })
      }

      it('answers 401 without a login page when no loginUrl is configured', async () => {
        await withApp({ vendors: [build()] }, async (bare) => {
          bare.user = null
          const response = await request(bare)
          expect(response.status).toBe(401)
        })
      })

      if (fixture.trustsEmail) {
        it('refuses a user whose email is unverified with a 403', async () => {
          app.user = { ...ALICE, emailVerified: false }
          const response = await request(app)
          expect(response.status).toBe(403)
          expect(await response.text()).toContain('ERR_SSO_EMAIL_UNVERIFIED')
        })

        it('refuses a user without an email, naming the field', async () => {
          app.user = { id: 'user-2' } as SsoUser
          const response = await request(app)
          expect(response.status).toBe(422)
          const body = await response.text()
          expect(body).toContain('ERR_SSO_USER_INVALID')
          expect(body).toContain('email')
        })
      }

      if (start.params.length > 0) {
        it.each(start.params)('refuses a repeated %s parameter with a 400', async (param) => {
          const response = await request(app, `${target}${start.query ? '&' : '?'}${param}=x`)
          expect(response.status).toBe(400)
          expect(response.headers.get('location')).toBeNull()
        })

        it.each(start.params)(
          'refuses a huge %s parameter with a 400 and no token',
          async (param) => {
            const query = new URLSearchParams(start.query)
            query.set(param, `https://x.example/${'a'.repeat(10_000)}`)
            const response = await request(app, `/sso${start.path}?${query}`)
            expect(response.status).toBe(400)
            expect(response.headers.get('location')).toBeNull()
          },
        )
      }

      it('answers a bad percent-encoding with a 400', async () => {
        const response = await request(app, `${target}${start.query ? '&' : '?'}x=%E0%A4%A`)
        expect(response.status).toBe(400)
        expect(await response.text()).toContain('ERR_SSO_BAD_REQUEST')
      })

      it('takes the claims hook and a renamed path', async () => {
        const vendor = build({ paths: { [start.name]: '/custom/start' }, claims: hook })
        await withApp({ vendors: [vendor] }, async (custom) => {
          const moved = await request(
            custom,
            `/sso/custom/start${start.query ? `?${start.query}` : ''}`,
          )
          expect(moved.status).toBe(success)
          const claims = await fixture.verify(moved, upstream)
          expect(claims[fixture.hookClaim]).toBe(HOOKED_VALUE)
          const old = await request(custom)
          expect(old.status).toBe(404)
        })
      })

      it('answers a 500 that reveals nothing when getUser throws', async () => {
        const getUser = () => {
          throw new Error('database password hunter2 leaked')
        }
        await withApp({ vendors: [build()], getUser }, async (broken) => {
          const response = await request(broken)
          expect(response.status).toBe(500)
          const body = await response.text()
          expect(body).not.toContain('hunter2')
          expect(body).toContain('ERR_SSO_GET_USER_FAILED')
        })
      })

      it('never puts the email or a token in an event', async () => {
        await request(app)
        app.user = null
        await request(app)
        const serialized = JSON.stringify(app.events)
        expect(app.events.length).toBeGreaterThanOrEqual(2)
        expect(serialized).not.toContain(ALICE.email)
        expect(serialized).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
      })
    })
  })
}
