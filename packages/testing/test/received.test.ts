import { describe, expect, it } from 'vitest'
import { bettermodeSimulator } from '../src/simulators/bettermode'
import { kustomerSimulator } from '../src/simulators/kustomer'
import {
  APP,
  CookieJar,
  NOW,
  SECRET,
  linkHref,
  now,
  pageState,
  request,
  sign,
  start,
} from './helpers'
import { expectNoSignature, panel } from './received-panel'

describe('the "what I received" panel on a simulator\'s signed-in page', () => {
  it('Kustomer lists the parameter, algorithm, each claim, each check of its rules and a link back, without the signature', async () => {
    const sim = kustomerSimulator({ secret: SECRET, loginUrl: `${APP}/sso/kustomer/login`, now })
    const url = await start(sim)
    const token = await sign({ email: 'ada@example.com', iat: NOW - 30 })
    const res = await request(`${url}/login?externalToken=${token}`)
    expect(res.status).toBe(200)
    expect(pageState(res.text)).toBe('signed-in')
    const p = panel(res.text)
    expect(p.field('parameter')).toBe('query parameter externalToken')
    expect(p.field('algorithm')).toBe('<code>HS256</code>')
    expect(p.field('shape')).toBe('<code>header.payload.&lt;signature removed&gt;</code>')
    expect(p.field('lifetime')).toBe('no exp claim: the vendor checks its age (see iat)')
    expect(p.claims).toEqual({
      email: '&quot;ada@example.com&quot;',
      iat: `${NOW - 30} (2025-01-15T11:59:30Z, 30 s ago)`,
    })
    expect(p.checks).toEqual({
      format: 'ok',
      alg: 'ok',
      signature: 'ok',
      email: 'ok',
      exp: 'absent',
      iat: 'ok',
      nbf: 'absent',
    })
    // The limit comes from Kustomer's own rules (15 minutes and the 5 s tolerance).
    expect(p.section).toContain('at most 15 min 5 s old')
    expect(linkHref(res.text, 'back-to-app').href).toBe(`${APP}/`)
    expectNoSignature(res.text, token)
  })

  it('escapes every claim value and shows the lifetime left from exp (Bettermode, after the redirect)', async () => {
    const sim = bettermodeSimulator({
      secret: SECRET,
      loginUrl: `${APP}/sso/bettermode/login`,
      now,
    })
    const url = await start(sim)
    const jar = new CookieJar()
    const token = await sign({
      sub: 'u_1',
      name: '<img src=x onerror=alert(1)>"\'',
      email: 'ada@example.com',
      iat: NOW,
      exp: NOW + 300,
    })
    const sso = await jar.request(`${url}/api/auth/sso?jwt=${token}&redirect_uri=%2Fspaces`)
    expect(sso.status).toBe(302)
    const res = await jar.request(`${url}/spaces`)
    expect(pageState(res.text)).toBe('signed-in')
    const p = panel(res.text)
    expect(p.field('parameter')).toBe('query parameter jwt')
    expect(p.field('lifetime')).toBe('5 min (until exp)')
    expect(p.claims.name).toBe('&quot;&lt;img src=x onerror=alert(1)&gt;\\&quot;&#39;&quot;')
    expect(res.text).not.toContain('<img src=x')
    expect(Object.keys(p.checks)).toEqual(
      expect.arrayContaining(['alg', 'signature', 'sub', 'email', 'exp']),
    )
    expect(Object.values(p.checks).filter((s) => s === 'fail')).toEqual([])
    expectNoSignature(res.text, token)
    // A browser with no sign-in behind its session sees no panel.
    const other = await new CookieJar().request(`${url}/spaces`)
    expect(other.text).not.toContain('class="received"')
  })
})
