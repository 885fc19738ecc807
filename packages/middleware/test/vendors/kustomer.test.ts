import {
  ALICE,
  appPerTest,
  kustomerFixture,
  PINNED_SECONDS,
  SECRETS,
  type TestApp,
  verifyHs256,
} from '@sso/fixtures'
import { describe, expect, it } from 'vitest'
import { kustomer } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(kustomerFixture)

const apps = appPerTest()
let app: TestApp

describe('kustomer', () => {
  const go = (a: TestApp, uri: string) =>
    a.get(`/sso/kustomer/login?trackingToken=t&kustomerRedirectUri=${encodeURIComponent(uri)}`)

  it.each([
    'https://kustomer.help/login',
    'https://evilkustomer.help/login',
    'https://acme.kustomer.help.evil.com/login',
    'http://acme.kustomer.help/login',
    'https://acme.kustomer.help:8443/login',
    'https://evil.com@acme.kustomer.help/login',
    '//acme.kustomer.help/login',
    '/login',
    'https://help.acme.com/login',
  ])('sends no token to %s', async (uri) => {
    app = await apps.start({ vendors: [kustomer({ secret: SECRETS.kustomer })] })
    const response = await go(app, uri)
    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
    expect(await response.text()).toContain('ERR_SSO_REDIRECT_NOT_ALLOWED')
  })

  it('refuses a bad redirect before asking a logged-out user to sign in', async () => {
    app = await apps.start({
      vendors: [kustomer({ secret: SECRETS.kustomer })],
      loginUrl: '/login',
    })
    app.user = null
    expect((await go(app, 'https://evil.example/')).status).toBe(400)
  })

  it('sends tokens to a custom knowledge-base domain once it is allowed', async () => {
    app = await apps.start({
      vendors: [
        kustomer({ secret: SECRETS.kustomer, allowedHosts: ['help.acme.com', '*.kustomer.help'] }),
      ],
    })
    const response = await go(app, 'https://help.acme.com/login?referralUrl=%2F')
    const location = new URL(response.headers.get('location') ?? '')
    expect(location.host).toBe('help.acme.com')
    expect(await verifyHs256(location.searchParams.get('externalToken'), SECRETS.kustomer)).toEqual(
      {
        email: ALICE.email,
        iat: PINNED_SECONDS,
      },
    )
  })

  it('adds exp only when includeExp is set', async () => {
    app = await apps.start({
      vendors: [kustomer({ secret: SECRETS.kustomer, includeExp: true, expiresIn: 300 })],
    })
    const response = await go(app, 'https://acme.kustomer.help/login')
    const location = new URL(response.headers.get('location') ?? '')
    expect(await verifyHs256(location.searchParams.get('externalToken'), SECRETS.kustomer)).toEqual(
      {
        email: ALICE.email,
        iat: PINNED_SECONDS,
        exp: PINNED_SECONDS + 300,
      },
    )
  })

  it('ignores a JWT-shaped trackingToken and signs only the email', async () => {
    app = await apps.start({ vendors: [kustomerFixture.build()] })
    const query = new URLSearchParams(kustomerFixture.start.query)
    query.set('trackingToken', 'eyJhbGciOiJub25lIn0.eyJ0IjoxfQ.')
    const response = await app.get(`/sso/kustomer/login?${query}`)
    expect(response.status).toBe(302)
    await kustomerFixture.verify(response)
  })

  it('requires kustomerRedirectUri', async () => {
    app = await apps.start({ vendors: [kustomer({ secret: SECRETS.kustomer })] })
    const response = await app.get('/sso/kustomer/login')
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('ERR_SSO_BAD_REQUEST')
  })
})
