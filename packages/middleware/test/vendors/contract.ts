import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SsoUser, Vendor, VendorBaseOptions } from '../../src/index'
import { ALICE, expectNoStoreHeaders, NOW, startApp, type TestApp } from './harness'

export interface VendorContractSpec {
  name: string
  /** The route that starts the flow, relative to `/sso`. */
  path: string
  routeName: string
  kind: 'browser' | 'api'
  /** A valid query string the vendor would send ('' for none). */
  query: string
  /** Extra request init (Komo: POST). */
  init?: RequestInit
  /** Links accounts by email (every vendor but Konnec). */
  trustsEmail: boolean
  /** Query parameters the vendor sends that the adapter must distrust. */
  distrusted: string[]
  /** Builds the vendor with fixture configuration plus these options. */
  vendor(extra?: VendorBaseOptions): Vendor
  /** Verifies the success response exactly as the vendor would; returns the claims (or profile) seen. */
  verify(response: Response): Promise<Record<string, unknown>>
  /** Starts and stops whatever upstream the vendor needs (Konnec's API). */
  setup?(): Promise<() => Promise<void>>
}

/**
 * The contract every vendor runs (hono's `runTest` pattern): the same user-facing behaviours,
 * over real HTTP, with a pinned clock.
 */
export function runVendorContract(spec: VendorContractSpec): void {
  const target = `/sso${spec.path}${spec.query ? `?${spec.query}` : ''}`
  const request = (app: TestApp, path = target, init: RequestInit = {}) =>
    app.get(path, { ...spec.init, ...init })

  describe(`${spec.name} (vendor contract)`, () => {
    let app: TestApp
    let teardown: (() => Promise<void>) | undefined
    beforeAll(async () => {
      teardown = await spec.setup?.()
    })
    afterAll(async () => {
      await teardown?.()
    })
    beforeEach(async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(NOW)
      app = await startApp({ vendors: [spec.vendor()], loginUrl: '/login' })
    })
    afterEach(async () => {
      vi.useRealTimers()
      await app.close()
    })

    it('issues a token the vendor accepts when the user is logged in', async () => {
      const response = await request(app)
      expect(response.status).toBe(spec.kind === 'api' ? 200 : 302)
      expectNoStoreHeaders(response)
      const claims = await spec.verify(response)
      expect(claims).toBeTypeOf('object')
      expect(app.events).toContainEqual(
        expect.objectContaining({ type: 'token.issued', vendor: spec.name, userId: ALICE.id }),
      )
    })

    if (spec.kind === 'browser') {
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
        expect(second.status).toBe(302)
        await spec.verify(second)
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
      const bare = await startApp({ vendors: [spec.vendor()] })
      try {
        bare.user = null
        const response = await request(bare)
        expect(response.status).toBe(401)
      } finally {
        await bare.close()
      }
    })

    if (spec.trustsEmail) {
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

    if (spec.distrusted.length > 0) {
      it.each(spec.distrusted)('refuses a repeated %s parameter with a 400', async (param) => {
        const response = await request(app, `${target}${spec.query ? '&' : '?'}${param}=x`)
        expect(response.status).toBe(400)
        expect(response.headers.get('location')).toBeNull()
      })

      it.each(spec.distrusted)(
        'refuses a huge %s parameter with a 400 and no token',
        async (param) => {
          const query = new URLSearchParams(spec.query)
          query.set(param, `https://x.example/${'a'.repeat(10_000)}`)
          const response = await request(app, `/sso${spec.path}?${query}`)
          expect(response.status).toBe(400)
          expect(response.headers.get('location')).toBeNull()
        },
      )
    }

    it('answers a bad percent-encoding with a 400', async () => {
      const response = await request(app, `${target}${spec.query ? '&' : '?'}x=%E0%A4%A`)
      expect(response.status).toBe(400)
      expect(await response.text()).toContain('ERR_SSO_BAD_REQUEST')
    })

    it('takes the claims hook and a renamed path', async () => {
      const custom = await startApp({
        vendors: [
          spec.vendor({
            paths: { [spec.routeName]: '/custom/start' },
            claims: (user) => ({ custom_claim: `for-${user.id}` }),
          }),
        ],
      })
      try {
        const moved = await request(
          custom,
          `/sso/custom/start${spec.query ? `?${spec.query}` : ''}`,
        )
        expect(moved.status).toBe(spec.kind === 'api' ? 200 : 302)
        const claims = await spec.verify(moved)
        expect(claims.custom_claim).toBe('for-user-1')
        const old = await request(custom)
        expect(old.status).toBe(404)
      } finally {
        await custom.close()
      }
    })

    it('answers a 500 that reveals nothing when getUser throws', async () => {
      const broken = await startApp({
        vendors: [spec.vendor()],
        getUser: () => {
          throw new Error('database password hunter2 leaked')
        },
      })
      try {
        const response = await request(broken)
        expect(response.status).toBe(500)
        const body = await response.text()
        expect(body).not.toContain('hunter2')
        expect(body).toContain('ERR_SSO_GET_USER_FAILED')
      } finally {
        await broken.close()
      }
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
}
