import { jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bettermode, comm100, kustomer, type SsoError } from '../../src/index'
import { ALICE, NOW, NOW_S, SECRETS, startApp, type TestApp } from './harness'

const verify = (token: string | null, secret: string) =>
  jwtVerify(token ?? '', new TextEncoder().encode(secret), {
    algorithms: ['HS256'],
    currentDate: NOW,
  }).then((r) => r.payload)

let app: TestApp | undefined
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(async () => {
  vi.useRealTimers()
  await app?.close()
  app = undefined
})

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
    app = await startApp({ vendors: [kustomer({ secret: SECRETS.kustomer })] })
    const response = await go(app, uri)
    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
    expect(await response.text()).toContain('ERR_SSO_REDIRECT_NOT_ALLOWED')
  })

  it('refuses a bad redirect before asking a logged-out user to sign in', async () => {
    app = await startApp({ vendors: [kustomer({ secret: SECRETS.kustomer })], loginUrl: '/login' })
    app.user = null
    expect((await go(app, 'https://evil.example/')).status).toBe(400)
  })

  it('sends tokens to a custom knowledge-base domain once it is allowed', async () => {
    app = await startApp({
      vendors: [
        kustomer({ secret: SECRETS.kustomer, allowedHosts: ['help.acme.com', '*.kustomer.help'] }),
      ],
    })
    const response = await go(app, 'https://help.acme.com/login?referralUrl=%2F')
    const location = new URL(response.headers.get('location') ?? '')
    expect(location.host).toBe('help.acme.com')
    expect(await verify(location.searchParams.get('externalToken'), SECRETS.kustomer)).toEqual({
      email: ALICE.email,
      iat: NOW_S,
    })
  })

  it('adds exp only when includeExp is set', async () => {
    app = await startApp({
      vendors: [kustomer({ secret: SECRETS.kustomer, includeExp: true, expiresIn: 300 })],
    })
    const response = await go(app, 'https://acme.kustomer.help/login')
    const location = new URL(response.headers.get('location') ?? '')
    expect(await verify(location.searchParams.get('externalToken'), SECRETS.kustomer)).toEqual({
      email: ALICE.email,
      iat: NOW_S,
      exp: NOW_S + 300,
    })
  })

  it('requires kustomerRedirectUri', async () => {
    app = await startApp({ vendors: [kustomer({ secret: SECRETS.kustomer })] })
    const response = await app.get('/sso/kustomer/login')
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('ERR_SSO_BAD_REQUEST')
  })
})

describe('comm100', () => {
  const go = (a: TestApp, url: string, extra = '') =>
    a.get(`/sso/comm100/login?redirect_url=${encodeURIComponent(url)}${extra}`)

  it.each([
    'https://comm100.io/x',
    'https://dash11.comm100.io.evil.com/x',
    'http://dash11.comm100.io/x',
    'javascript:alert(1)',
    'https://dash11.comm100.io\\@evil.com/',
  ])('sends no token to %s', async (url) => {
    app = await startApp({ vendors: [comm100({ secret: SECRETS.comm100 })] })
    const response = await go(app, url)
    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
  })

  it('redirects to a configured JWT endpoint with jwt and redirect_url', async () => {
    app = await startApp({
      vendors: [
        comm100({
          secret: SECRETS.comm100,
          endpoint: 'https://sso.comm100.io/jwt',
          expiresIn: 1800,
        }),
      ],
    })
    const response = await go(app, 'https://dash11.comm100.io/cb', '&RelayState=r1')
    const location = new URL(response.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe('https://sso.comm100.io/jwt')
    expect(location.searchParams.get('redirect_url')).toBe('https://dash11.comm100.io/cb')
    expect(location.searchParams.get('relayState')).toBe('r1')
    const claims = await verify(location.searchParams.get('jwt'), SECRETS.comm100)
    expect(claims.exp).toBe(NOW_S + 1800)
  })

  it('gives every token its own jti', async () => {
    app = await startApp({ vendors: [comm100({ secret: SECRETS.comm100 })] })
    const jtis = new Set<unknown>()
    for (let i = 0; i < 3; i++) {
      const location = new URL(
        (await go(app, 'https://x.comm100.com/cb')).headers.get('location') ?? '',
      )
      jtis.add((await verify(location.searchParams.get('jwt'), SECRETS.comm100)).jti)
    }
    expect(jtis.size).toBe(3)
  })

  it('runs onLogout on the Remote Logout URL, then redirects to afterLogout', async () => {
    app = await startApp({ vendors: [comm100({ secret: SECRETS.comm100, afterLogout: '/bye' })] })
    const response = await app.get('/sso/comm100/logout')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/bye')
    expect(app.logouts).toBe(1)
    expect(app.events).toContainEqual(
      expect.objectContaining({ type: 'logout', vendor: 'comm100' }),
    )
  })

  it.each([
    [{ expiresIn: 3600 }, /capped at 1800/],
    [{ afterLogout: '//evil.com' }, /afterLogout/],
    [{ endpoint: 'http://sso.comm100.io/jwt' }, /https/],
    [{ allowedHosts: ['*.com'] }, /registrable suffix/],
    [{ allowedHosts: [] }, /at least one host/],
  ])('refuses %j at construction', (extra, message) => {
    expect(() => comm100({ secret: SECRETS.comm100, ...extra })).toThrow(
      expect.objectContaining({ code: 'ERR_SSO_CONFIG', message: expect.stringMatching(message) }),
    )
  })
})

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
    app = await startApp({ vendors: [vendor()] })
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
    app = await startApp({ vendors: [vendor({ defaultRedirect: '/welcome' })] })
    expect(redirectUri(await app.get('/sso/bettermode/login'))).toBe('/welcome')
  })

  it.each([
    ['sub', { id: 'x'.repeat(51) }],
    ['email', { email: `${'x'.repeat(190)}@example.com` }],
  ])('refuses a user whose %s breaks Bettermode limits, naming the field', async (field, patch) => {
    app = await startApp({ vendors: [vendor()] })
    app.user = { ...ALICE, ...patch }
    const response = await app.get('/sso/bettermode/login')
    expect(response.status).toBe(422)
    const body = await response.text()
    expect(body).toContain('ERR_SSO_USER_INVALID')
    expect(body).toContain(`\`${field}\``)
    expect(response.headers.get('location')).toBeNull()
  })

  it('sends tagline, picture and spaces, and drops a non-http picture', async () => {
    app = await startApp({ vendors: [vendor({ spaceIds: ['s1'], spacesOperation: 'ADD' })] })
    app.user = { ...ALICE, tagline: 'Hi', picture: 'https://cdn.example/a.png' }
    let location = new URL((await app.get('/sso/bettermode/login')).headers.get('location') ?? '')
    expect(await verify(location.searchParams.get('jwt'), SECRETS.bettermode)).toEqual({
      sub: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      tagline: 'Hi',
      picture: 'https://cdn.example/a.png',
      spaceIds: ['s1'],
      spacesOperation: 'ADD',
      iat: NOW_S,
      exp: NOW_S + 60,
    })
    app.user = { ...ALICE, picture: 'javascript:alert(1)' }
    location = new URL((await app.get('/sso/bettermode/login')).headers.get('location') ?? '')
    expect(
      (await verify(location.searchParams.get('jwt'), SECRETS.bettermode)).picture,
    ).toBeUndefined()
  })

  it('runs onLogout on the Logout URL, then redirects home', async () => {
    app = await startApp({ vendors: [vendor()] })
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
