import {
  appPerTest,
  comm100Fixture,
  PINNED_SECONDS,
  SECRETS,
  type TestApp,
  verifyHs256,
} from '@sso/fixtures'
import { describe, expect, it } from 'vitest'
import { comm100 } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(comm100Fixture)

const apps = appPerTest()
let app: TestApp

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
    app = await apps.start({ vendors: [comm100({ secret: SECRETS.comm100 })] })
    const response = await go(app, url)
    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
  })

  it('redirects to a configured JWT endpoint with jwt and redirect_url', async () => {
    app = await apps.start({
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
    const claims = await verifyHs256(location.searchParams.get('jwt'), SECRETS.comm100)
    expect(claims.exp).toBe(PINNED_SECONDS + 1800)
  })

  it('gives every token its own jti', async () => {
    app = await apps.start({ vendors: [comm100({ secret: SECRETS.comm100 })] })
    const jtis = new Set<unknown>()
    for (let i = 0; i < 3; i++) {
      const location = new URL(
        (await go(app, 'https://x.comm100.com/cb')).headers.get('location') ?? '',
      )
      jtis.add((await verifyHs256(location.searchParams.get('jwt'), SECRETS.comm100)).jti)
    }
    expect(jtis.size).toBe(3)
  })

  it('runs onLogout on the Remote Logout URL, then redirects to afterLogout', async () => {
    app = await apps.start({ vendors: [comm100({ secret: SECRETS.comm100, afterLogout: '/bye' })] })
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
