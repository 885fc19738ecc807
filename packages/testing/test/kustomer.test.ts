import { decodeJwt, decodeProtectedHeader } from 'jose'
import type { JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { kustomerSimulator } from '../src/simulators/kustomer'
import {
  APP,
  NOW,
  OTHER_SECRET,
  SECRET,
  heading,
  linkHref,
  linkText,
  now,
  pageCode,
  pageState,
  request,
  sign,
  start,
  unsigned,
} from './helpers'

const loginUrl = `${APP}/sso/kustomer/login`

function setup() {
  return kustomerSimulator({ secret: SECRET, loginUrl, now })
}

describe('kustomerSimulator', () => {
  it('links the portal Login button to the app route with a tracking token and the portal login URL', async () => {
    const sim = setup()
    const url = await start(sim)
    const { status, text } = await request(`${url}/`)
    expect(status).toBe(200)
    expect(linkText(text, 'login')).toBe('Login')
    const href = linkHref(text, 'login')
    expect(`${href.origin}${href.pathname}`).toBe(loginUrl)
    expect([...href.searchParams.keys()]).toEqual(['trackingToken', 'kustomerRedirectUri'])
    expect(href.searchParams.get('kustomerRedirectUri')).toBe(
      `${url}/login?referralUrl=${encodeURIComponent(`${url}/`)}`,
    )
    const tracking = href.searchParams.get('trackingToken') ?? ''
    expect(decodeProtectedHeader(tracking)).toEqual({ alg: 'none', typ: 'JWT' })
    expect(decodeJwt(tracking)).toMatchObject({ iat: NOW })
  })

  it('signs the customer in with a valid token and creates them on the first sign-in only', async () => {
    const sim = setup()
    const url = await start(sim)
    const token = await sign({ email: 'ada@example.com', iat: NOW })
    const first = await request(`${url}/login?externalToken=${token}`)
    expect(first.status).toBe(200)
    expect(heading(first.text)).toBe('Signed in to Kustomer as ada@example.com')
    expect(pageState(first.text)).toBe('signed-in')
    expect(first.text).not.toContain(token)
    expect(first.headers.get('cache-control')).toBe('no-store')
    expect(first.headers.get('referrer-policy')).toBe('no-referrer')

    const again = await request(
      `${url}/login?externalToken=${await sign({ email: 'ada@example.com', iat: NOW - 60 })}`,
    )
    expect(heading(again.text)).toBe('Signed in to Kustomer as ada@example.com')
    expect(sim.customers.size).toBe(1)
    expect(sim.customers.get('ada@example.com')).toEqual({
      email: 'ada@example.com',
      createdAt: now(),
      signIns: 2,
    })
    expect(sim.events.map((e) => [e.type, e.email, e.detail])).toEqual([
      ['signed-in', 'ada@example.com', 'created'],
      ['signed-in', 'ada@example.com', 'returning'],
    ])
    expect(sim.events[0]?.claims).toEqual({ email: 'ada@example.com', iat: NOW })
  })

  it('accepts a token exactly 15 minutes old and one issued a few seconds ahead (clock skew)', async () => {
    const sim = setup()
    const url = await start(sim)
    for (const iat of [NOW - 900, NOW + 3]) {
      const page = await request(
        `${url}/login?externalToken=${await sign({ email: 'ada@example.com', iat })}`,
      )
      expect(page.status).toBe(200)
    }
  })

  const refusals: [string, () => Promise<string>, string][] = [
    [
      'a token signed with another secret',
      () => sign({ email: 'ada@example.com', iat: NOW }, OTHER_SECRET),
      'bad_signature',
    ],
    [
      'a token signed with HS384',
      () => sign({ email: 'ada@example.com', iat: NOW }, SECRET, 'HS384'),
      'wrong_algorithm',
    ],
    [
      'an unsigned token (alg none)',
      async () => unsigned({ email: 'ada@example.com', iat: NOW }),
      'wrong_algorithm',
    ],
    [
      'a token issued in the future',
      () => sign({ email: 'ada@example.com', iat: NOW + 60 }),
      'issued_in_future',
    ],
    [
      'a token older than 15 minutes',
      () => sign({ email: 'ada@example.com', iat: NOW - 906 }),
      'too_old',
    ],
    ['a token without email', () => sign({ iat: NOW }), 'missing_claim'],
    ['a token without iat', () => sign({ email: 'ada@example.com' }), 'missing_claim'],
    [
      'a token with an expired exp',
      () => sign({ email: 'ada@example.com', iat: NOW - 120, exp: NOW - 60 }),
      'expired',
    ],
    ['a token that is not a JWT', async () => 'not-a-jwt', 'malformed'],
  ]

  it.each(refusals)(
    'refuses %s with a 401 page and a stable code',
    async (_name, makeToken, code) => {
      const sim = setup()
      const url = await start(sim)
      const token = await makeToken()
      const page = await request(`${url}/login?externalToken=${encodeURIComponent(token)}`)
      expect(page.status).toBe(401)
      expect(pageCode(page.text)).toBe(code)
      expect(pageState(page.text)).toBe('refused')
      expect(page.text).not.toContain(token)
      expect(sim.customers.size).toBe(0)
      expect(sim.events).toEqual([
        expect.objectContaining({ type: 'refused', vendor: 'kustomer', code }),
      ])
    },
  )

  it('names the claim at fault in the refusal', async () => {
    const url = await start(setup())
    const page = await request(
      `${url}/login?externalToken=${await sign({ email: 'ada@example.com', iat: NOW - 3600 })}`,
    )
    expect(page.text).toContain('the &quot;iat&quot; claim is more than 15 minutes old')
  })

  it('refuses a sign-in without externalToken, and a repeated one', async () => {
    const url = await start(setup())
    const missing = await request(`${url}/login`)
    expect([missing.status, pageCode(missing.text)]).toEqual([400, 'missing_token'])
    const token = await sign({ email: 'ada@example.com', iat: NOW } satisfies JWTPayload)
    const twice = await request(`${url}/login?externalToken=${token}&externalToken=${token}`)
    expect([twice.status, pageCode(twice.text)]).toEqual([400, 'bad_request'])
  })

  it('escapes the email it shows', async () => {
    const url = await start(setup())
    const page = await request(
      `${url}/login?externalToken=${await sign({ email: '<img/src=x/onerror=alert(1)>@example.com', iat: NOW })}`,
    )
    expect(page.status).toBe(200)
    expect(page.text).not.toContain('<img/src=x')
    expect(page.text).toContain('&lt;img/src=x/onerror=alert(1)&gt;@example.com')
  })
})
