import {
  ALICE,
  appPerTest,
  bettermodeFixture,
  PINNED_SECONDS,
  SECRETS,
  type TestApp,
  verifyHs256,
} from '@sso/fixtures'
import { describe, expect, it } from 'vitest'
import { bettermode, type SsoError } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(bettermodeFixture)

const apps = appPerTest()
let app: TestApp

describe('bettermode', () => {
  const vendor = (extra = {}) =>
    bettermode({ secret: SECRETS.bettermode, communityUrl: 'https://community.acme.com', ...extra })
  const redirectUri = (response: Response) =>
    new URL(response.headers.get('location') ?? '').searchParams.get('redirect_uri')

  it.each([
    '//evil.com',
    '/\\evil.com',
    'https://evil.com/',
    '/%2F%2Fevil.com',
    'spaces',
    `/${'a'.repeat(2048)}`,
  ])('drops the unsafe referrer_uri %s but still signs in to the community', async (referrer) => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await app.get(
      `/sso/bettermode/login?referrer_uri=${encodeURIComponent(referrer)}`,
    )
    expect(response.status).toBe(302)
    expect(new URL(response.headers.get('location') ?? '').origin).toBe(
      'https://community.acme.com',
    )
    expect(redirectUri(response)).toBeNull()
  })

  it('falls back to defaultRedirect', async () => {
    app = await apps.start({ vendors: [vendor({ defaultRedirect: '/welcome' })] })
    expect(redirectUri(await app.get('/sso/bettermode/login'))).toBe('/welcome')
  })

  it.each([
    ['sub', { id: 'x'.repeat(51) }],
    ['email', { email: `${'x'.repeat(190)}@example.com` }],
  ])('refuses a user whose %s breaks Bettermode limits, naming the field', async (field, patch) => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, ...patch }
    const response = await app.get('/sso/bettermode/login')
    expect(response.status).toBe(422)
    const body = await response.text()
    expect(body).toContain('ERR_SSO_USER_INVALID')
    expect(body).toContain(`\`${field}\``)
    expect(response.headers.get('location')).toBeNull()
  })

  it('sends tagline, picture and spaces, and drops a non-http picture', async () => {
    app = await apps.start({ vendors: [vendor({ spaceIds: ['s1'], spacesOperation: 'ADD' })] })
    app.user = { ...ALICE, tagline: 'Hi', picture: 'https://cdn.example/a.png' }
    let location = new URL((await app.get('/sso/bettermode/login')).headers.get('location') ?? '')
    expect(await verifyHs256(location.searchParams.get('jwt'), SECRETS.bettermode)).toEqual({
      sub: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      tagline: 'Hi',
      picture: 'https://cdn.example/a.png',
      spaceIds: ['s1'],
      spacesOperation: 'ADD',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 60,
    })
    app.user = { ...ALICE, picture: 'javascript:alert(1)' }
    location = new URL((await app.get('/sso/bettermode/login')).headers.get('location') ?? '')
    expect(
      (await verifyHs256(location.searchParams.get('jwt'), SECRETS.bettermode)).picture,
    ).toBeUndefined()
  })

  it('runs onLogout on the Logout URL, then redirects home', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const response = await app.get('/sso/bettermode/logout')
    expect(response.headers.get('location')).toBe('/')
    expect(app.logouts).toBe(1)
  })

  it('refuses a community URL that is not https', () => {
    expect(() =>
      bettermode({ secret: SECRETS.bettermode, communityUrl: 'http://community.acme.com' }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SSO_CONFIG' }) as SsoError)
  })
})
