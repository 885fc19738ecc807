import { jwtVerify } from 'jose'
import { expect } from 'vitest'
import { bettermode, comm100, komo, konnec, kustomer } from '../../src/index'
import { runVendorContract } from './contract'
import { ALICE, NOW, NOW_S, SECRETS } from './harness'
import { KONNEC, startKonnecApi } from './konnec-api'

const key = (secret: string) => new TextEncoder().encode(secret)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** Verifies an HS256 token exactly as the vendors do: pinned algorithm, their secret, the clock. */
async function verifyHs256(token: string, secret: string) {
  const { payload, protectedHeader } = await jwtVerify(token, key(secret), {
    algorithms: ['HS256'],
    currentDate: NOW,
  })
  expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
  return payload as Record<string, unknown>
}

const withoutCustom = ({ custom_claim: _, ...rest }: Record<string, unknown>) => rest

runVendorContract({
  name: 'komo',
  path: '/komo/token',
  routeName: 'token',
  kind: 'api',
  query: '',
  init: { method: 'POST' },
  trustsEmail: true,
  distrusted: [],
  vendor: (extra) => komo({ secret: SECRETS.komo, issuer: 'acme-app', ...extra }),
  async verify(response) {
    const body = (await response.json()) as { token: string; expiresAt: number }
    const claims = await verifyHs256(body.token, SECRETS.komo)
    expect(withoutCustom(claims)).toEqual({
      sub: ALICE.id,
      email: ALICE.email,
      first_name: 'Alice',
      last_name: 'Liddell',
      iss: 'acme-app',
      iat: NOW_S,
      exp: NOW_S + 3600,
    })
    expect(body.expiresAt).toBe(NOW_S + 3600)
    return claims
  },
})

runVendorContract({
  name: 'kustomer',
  path: '/kustomer/login',
  routeName: 'login',
  kind: 'browser',
  query: new URLSearchParams({
    trackingToken: 'eyJhbGciOiJub25lIn0.eyJ0IjoxfQ.',
    kustomerRedirectUri:
      'https://acme.kustomer.help/login?referralUrl=https%3A%2F%2Facme.kustomer.help%2F',
  }).toString(),
  trustsEmail: true,
  distrusted: ['kustomerRedirectUri', 'trackingToken'],
  vendor: (extra) => kustomer({ secret: SECRETS.kustomer, ...extra }),
  async verify(response) {
    const location = new URL(response.headers.get('location') ?? '')
    expect(location.origin).toBe('https://acme.kustomer.help')
    expect(location.pathname).toBe('/login')
    expect(location.searchParams.get('referralUrl')).toBe('https://acme.kustomer.help/')
    const claims = await verifyHs256(
      location.searchParams.get('externalToken') ?? '',
      SECRETS.kustomer,
    )
    // Kustomer: exactly email and iat; accepted for 15 minutes from iat; no exp unless asked.
    expect(withoutCustom(claims)).toEqual({ email: ALICE.email, iat: NOW_S })
    return claims
  },
})

runVendorContract({
  name: 'comm100',
  path: '/comm100/login',
  routeName: 'login',
  kind: 'browser',
  query: new URLSearchParams({
    redirect_url: 'https://dash11.comm100.io/sso/callback?site=1',
    RelayState: 'relay-123',
  }).toString(),
  trustsEmail: true,
  distrusted: ['redirect_url', 'RelayState'],
  vendor: (extra) => comm100({ secret: SECRETS.comm100, ...extra }),
  async verify(response) {
    const location = new URL(response.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe('https://dash11.comm100.io/sso/callback')
    expect(location.searchParams.get('site')).toBe('1')
    expect(location.searchParams.get('relayState')).toBe('relay-123')
    const claims = await verifyHs256(location.searchParams.get('jwt') ?? '', SECRETS.comm100)
    expect(withoutCustom(claims)).toEqual({
      email: ALICE.email,
      name: 'Alice Liddell',
      aud: 'Comm100',
      jti: expect.stringMatching(UUID),
      iat: NOW_S,
      nbf: NOW_S,
      exp: NOW_S + 300,
    })
    return claims
  },
})

runVendorContract({
  name: 'bettermode',
  path: '/bettermode/login',
  routeName: 'login',
  kind: 'browser',
  query: 'referrer_uri=%2Fspaces%2Fgeneral',
  trustsEmail: true,
  distrusted: ['referrer_uri'],
  vendor: (extra) =>
    bettermode({
      secret: SECRETS.bettermode,
      communityUrl: 'https://community.acme.com',
      ...extra,
    }),
  async verify(response) {
    const location = new URL(response.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe('https://community.acme.com/api/auth/sso')
    expect(location.searchParams.get('redirect_uri')).toBe('/spaces/general')
    const claims = await verifyHs256(location.searchParams.get('jwt') ?? '', SECRETS.bettermode)
    expect(withoutCustom(claims)).toEqual({
      sub: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      iat: NOW_S,
      exp: NOW_S + 60,
    })
    return claims
  },
})

let api: Awaited<ReturnType<typeof startKonnecApi>>
runVendorContract({
  name: 'konnec',
  path: '/konnec/login',
  routeName: 'login',
  kind: 'browser',
  query: 'utm_source=konnec',
  trustsEmail: false,
  distrusted: [],
  async setup() {
    api = await startKonnecApi()
    return () => api.close()
  },
  vendor: (extra) =>
    konnec({ apiBaseUrl: api.url, ...KONNEC, appUrl: 'https://konnec.to', ...extra }),
  async verify(response) {
    const location = new URL(response.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe('https://konnec.to/')
    const token = location.searchParams.get('refresh-token') ?? ''
    expect(api.issued.has(token)).toBe(true)
    const update = api.calls.filter((c) => c.action === 'update').at(-1)
    expect(update?.username).toBe(ALICE.id)
    return JSON.parse(update?.body ?? '{}') as Record<string, unknown>
  },
})
