// A new vendor is a dozen files: this one is written from `@sso/middleware/vendor-kit` alone
// (what the built-ins are made of), given a fixture, and held to the full contract on every
// host, exactly as the built-in vendors are.
import { jwtVerify } from 'jose'
import {
  ALICE,
  assertClaims,
  type FixtureRoute,
  locationOf,
  type OptionExamples,
  UUID,
  type VendorFixture,
} from '@sso/fixtures'
import { describe, expect, it } from 'vitest'
import {
  assertKnownOptions,
  assertOptionsObject,
  checkLifetime,
  checkRedirectUrl,
  compact,
  compileAllowList,
  createSigner,
  defineVendor,
  displayName,
  logoutRoute,
  optionKeys,
  checkRelativeOption,
  requireTrustedEmail,
  type SecretKeyOptions,
  type Vendor,
  type VendorBaseOptions,
  withClaimsHook,
} from '../../src/vendor-kit'
import { runVendorContract } from './contract'

/** Options of `helpdesk()`, a throwaway vendor: HS256 JWT to an allow-listed `return_to`. */
interface HelpdeskOptions extends VendorBaseOptions<'login' | 'logout'>, SecretKeyOptions {
  /** Hosts `return_to` may name. (default: `['*.helpdesk.example']`) */
  allowedHosts?: string[]
  /** Token lifetime in seconds, at most 10 minutes. (default: `120`) */
  expiresIn?: number
  /** Where the logout route sends the browser. (default: `'/'`) */
  afterLogout?: string
}

const KNOWN = optionKeys<HelpdeskOptions>({
  secret: true,
  dangerouslyAllowShortSecret: true,
  allowedHosts: true,
  expiresIn: true,
  afterLogout: true,
  paths: true,
  claims: true,
})

function helpdesk(options: HelpdeskOptions): Vendor {
  const where = 'helpdesk()'
  assertOptionsObject(options, where, '`{ secret }`')
  assertKnownOptions(options, KNOWN, where)
  const expiresIn = checkLifetime(options.expiresIn, 120, 600, where)
  const signer = createSigner(options, where)
  const allowList = compileAllowList(
    options.allowedHosts ?? ['*.helpdesk.example'],
    'helpdesk({ allowedHosts })',
  )
  const afterLogout = checkRelativeOption(options.afterLogout, '/', 'helpdesk({ afterLogout })')
  return defineVendor(
    {
      id: 'helpdesk',
      ready: signer.ready,
      routes: [
        {
          name: 'login',
          method: 'GET',
          path: '/helpdesk/login',
          kind: 'browser',
          async handle(ctx) {
            const target = checkRedirectUrl(
              ctx.query.require('return_to'),
              allowList,
              'return_to',
              'helpdesk',
            )
            const user = await ctx.requireUser()
            const email = requireTrustedEmail(user, 'helpdesk')
            const claims = await withClaimsHook(
              compact({ sub: user.id, email, name: displayName(user) }),
              options.claims,
              user,
              ctx,
            )
            const { token, jti } = await signer.sign(claims, { expiresIn, jti: true })
            target.searchParams.set('jwt', token)
            ctx.emit({ type: 'token.issued', userId: user.id, jti })
            return { kind: 'redirect', location: target.href, allow: allowList, token: true }
          },
        },
        logoutRoute('/helpdesk/logout', afterLogout),
      ],
    },
    options.paths,
  )
}

const SECRET = 'helpdesk-fixture-secret-0123456789abcdef'
const login: FixtureRoute = {
  name: 'login',
  method: 'GET',
  path: '/helpdesk/login',
  kind: 'browser',
  query: 'return_to=https%3A%2F%2Facme.helpdesk.example%2Fsso%3Fticket%3D7',
  params: ['return_to'],
  token: true,
}

const helpdeskFixture: VendorFixture<HelpdeskOptions> = {
  id: 'helpdesk',
  factory: 'helpdesk',
  create: helpdesk,
  config: () => ({ secret: SECRET }),
  build: (extra = {}) => helpdesk({ secret: SECRET, ...extra }),
  start: login,
  routes: [
    login,
    {
      name: 'logout',
      method: 'GET',
      path: '/helpdesk/logout',
      kind: 'browser',
      query: '',
      params: [],
      token: false,
    },
  ],
  trustsEmail: true,
  destinations: ['*.helpdesk.example'],
  hookClaim: 'custom_claim',
  async verify(response) {
    const location = locationOf(response)
    expect(`${location.origin}${location.pathname}`).toBe('https://acme.helpdesk.example/sso')
    expect(location.searchParams.get('ticket')).toBe('7')
    const { payload, protectedHeader } = await jwtVerify(
      location.searchParams.get('jwt') ?? '',
      new TextEncoder().encode(SECRET),
      { algorithms: ['HS256'] },
    )
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
    const now = Math.floor(Date.now() / 1000)
    const claims = payload as Record<string, unknown>
    assertClaims(
      claims,
      {
        sub: ALICE.id,
        email: ALICE.email,
        name: 'Alice Liddell',
        jti: UUID,
        iat: now,
        exp: now + 120,
      },
      'custom_claim',
    )
    return claims
  },
  options: {
    secret: SECRET,
    dangerouslyAllowShortSecret: true,
    allowedHosts: ['help.acme.com', '*.helpdesk.example'],
    expiresIn: 600,
    afterLogout: '/bye',
    paths: { login: '/helpdesk/start', logout: '/helpdesk/bye' },
    claims: () => ({ plan: 'pro' }),
  } satisfies OptionExamples<HelpdeskOptions>,
}

runVendorContract(helpdeskFixture)

describe('helpdesk: a custom vendor from the vendor kit alone', () => {
  it('refuses an over-long lifetime at construction, with the fix', () => {
    expect(() => helpdesk({ secret: SECRET, expiresIn: 3600 })).toThrow(
      expect.objectContaining({
        code: 'ERR_SSO_CONFIG',
        message: 'helpdesk(): `expiresIn` is capped at 600 seconds by the vendor; got 3600.',
      }),
    )
  })
})
