import { randomUUID } from 'node:crypto'
import type { JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { comm100Simulator } from '../src/simulators/comm100'
import type { Comm100SimulatorOptions } from '../src/simulators/comm100'
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
  request,
  sign,
  start,
  unsigned,
} from './helpers'

const loginUrl = `${APP}/sso/comm100/login`
const logoutUrl = `${APP}/sso/comm100/logout`

function setup(extra: Partial<Comm100SimulatorOptions> = {}) {
  return comm100Simulator({
    secret: SECRET,
    loginUrl,
    logoutUrl,
    agents: ['ada@example.com'],
    now,
    ...extra,
  })
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    jti: randomUUID(),
    iat: NOW,
    nbf: NOW,
    exp: NOW + 300,
    aud: 'Comm100',
    ...overrides,
  }
}

/** Follows the console's login link the way the app would answer it: back to redirect_url. */
async function startSignIn(url: string): Promise<{ callback: URL; relayState: string }> {
  const page = await request(`${url}/`)
  const href = linkHref(page.text, 'login')
  const callback = new URL(href.searchParams.get('redirect_url') ?? '')
  return { callback, relayState: href.searchParams.get('RelayState') ?? '' }
}

describe('comm100Simulator', () => {
  it('links "Log in with SSO" to the app route with redirect_url and a RelayState', async () => {
    const url = await start(setup())
    const page = await request(`${url}/`)
    expect(linkText(page.text, 'login')).toBe('Log in with SSO')
    const href = linkHref(page.text, 'login')
    expect(`${href.origin}${href.pathname}`).toBe(loginUrl)
    expect(href.searchParams.get('redirect_url')).toBe(`${url}/sso/callback`)
    expect(href.searchParams.get('RelayState')).toMatch(/^[\w-]{20,}$/)
  })

  it('signs a known agent in with a valid token and the RelayState it issued, with a Log out link', async () => {
    const sim = setup()
    const url = await start(sim)
    const { callback, relayState } = await startSignIn(url)
    callback.searchParams.set('jwt', await sign(claims()))
    callback.searchParams.set('relayState', relayState)
    const page = await request(callback.href)
    expect(page.status).toBe(200)
    expect(heading(page.text)).toBe('Signed in to Comm100 as ada@example.com')
    expect(linkHref(page.text, 'logout').href).toBe(logoutUrl)
    expect(linkText(page.text, 'logout')).toBe('Log out')
    expect(sim.events).toEqual([
      expect.objectContaining({
        type: 'signed-in',
        vendor: 'comm100',
        email: 'ada@example.com',
        at: now(),
      }),
    ])
  })

  it('matches agents by email case-insensitively and shows no Log out link without logoutUrl', async () => {
    const url = await start(
      comm100Simulator({ secret: SECRET, loginUrl, agents: ['Ada@Example.com'], now }),
    )
    const page = await request(`${url}/sso/callback?jwt=${await sign(claims())}`)
    expect(heading(page.text)).toBe('Signed in to Comm100 as ada@example.com')
    expect(page.text).not.toContain('id="logout"')
  })

  it('refuses a replayed jti', async () => {
    const sim = setup()
    const url = await start(sim)
    const token = await sign(claims())
    expect((await request(`${url}/sso/callback?jwt=${token}`)).status).toBe(200)
    const replay = await request(`${url}/sso/callback?jwt=${token}`)
    expect(replay.status).toBe(401)
    expect(pageCode(replay.text)).toBe('replayed_jti')
    expect(sim.seenJti.size).toBe(1)
  })

  it('refuses an email that is not an agent with a Comm100-style "agent not found", without burning the jti', async () => {
    const sim = setup()
    const url = await start(sim)
    const page = await request(
      `${url}/sso/callback?jwt=${await sign(claims({ email: 'mallory@example.com' }))}`,
    )
    expect(page.status).toBe(403)
    expect(pageCode(page.text)).toBe('agent_not_found')
    expect(page.text).toContain('Agent not found')
    expect(sim.seenJti.size).toBe(0)
    expect(sim.events).toEqual([
      expect.objectContaining({ type: 'refused', code: 'agent_not_found' }),
    ])
  })

  it('signs in an agent created after start with addAgent', async () => {
    const sim = setup()
    const url = await start(sim)
    const token = await sign(claims({ email: 'grace@example.com' }))
    sim.addAgent('Grace@example.com')
    expect([...sim.agents]).toEqual(['ada@example.com', 'grace@example.com'])
    const page = await request(`${url}/sso/callback?jwt=${token}`)
    expect(heading(page.text)).toBe('Signed in to Comm100 as grace@example.com')
  })

  it('refuses a relayState it never issued, without burning the jti', async () => {
    const sim = setup()
    const url = await start(sim)
    const token = await sign(claims())
    const forged = await request(`${url}/sso/callback?jwt=${token}&relayState=forged`)
    expect([forged.status, pageCode(forged.text)]).toEqual([400, 'bad_relay_state'])
    expect(sim.seenJti.size).toBe(0)
    const { relayState } = await startSignIn(url)
    expect(
      (await request(`${url}/sso/callback?jwt=${token}&relayState=${relayState}`)).status,
    ).toBe(200)
  })

  it('reports a replayed sign-in URL (same jwt and relayState) as a replayed jti', async () => {
    const url = await start(setup())
    const { callback, relayState } = await startSignIn(url)
    callback.searchParams.set('jwt', await sign(claims()))
    callback.searchParams.set('relayState', relayState)
    expect((await request(callback.href)).status).toBe(200)
    const replay = await request(callback.href)
    expect([replay.status, pageCode(replay.text)]).toEqual([401, 'replayed_jti'])
  })

  it('verifies tokens sent to the configured JWT endpoint the same way', async () => {
    const url = await start(setup())
    const redirect = encodeURIComponent(`${url}/console`)
    const ok = await request(`${url}/sso/jwt?jwt=${await sign(claims())}&redirect_url=${redirect}`)
    expect(heading(ok.text)).toBe('Signed in to Comm100 as ada@example.com')
    const expired = await request(
      `${url}/sso/jwt?jwt=${await sign(claims({ exp: NOW - 10 }))}&redirect_url=${redirect}`,
    )
    expect([expired.status, pageCode(expired.text)]).toEqual([401, 'expired'])
  })

  const refusals: [string, () => Promise<string>, string][] = [
    ['another secret', () => sign(claims(), OTHER_SECRET), 'bad_signature'],
    ['HS512', () => sign(claims(), SECRET, 'HS512'), 'wrong_algorithm'],
    ['alg none', async () => unsigned(claims()), 'wrong_algorithm'],
    [
      'an expired token',
      () => sign(claims({ iat: NOW - 400, nbf: NOW - 400, exp: NOW - 100 })),
      'expired',
    ],
    ['nbf in the future', () => sign(claims({ nbf: NOW + 60 })), 'not_yet_valid'],
    ['iat in the future', () => sign(claims({ iat: NOW + 60 })), 'issued_in_future'],
    ['a lifetime over 30 minutes', () => sign(claims({ exp: NOW + 1801 })), 'lifetime_too_long'],
    ['a wrong audience', () => sign(claims({ aud: 'Zendesk' })), 'bad_audience'],
    ['no aud', () => sign(claims({ aud: undefined })), 'missing_claim'],
    ['no jti', () => sign(claims({ jti: undefined })), 'missing_claim'],
    ['no email', () => sign(claims({ email: undefined })), 'missing_claim'],
    ['no exp', () => sign(claims({ exp: undefined })), 'missing_claim'],
    ['no nbf', () => sign(claims({ nbf: undefined })), 'missing_claim'],
    ['no iat', () => sign(claims({ iat: undefined })), 'missing_claim'],
  ]

  it.each(refusals)('refuses a token with %s', async (_name, makeToken, code) => {
    const sim = setup()
    const url = await start(sim)
    const token = await makeToken()
    const page = await request(`${url}/sso/callback?jwt=${token}`)
    expect(page.status).toBe(401)
    expect(pageCode(page.text)).toBe(code)
    expect(page.text).not.toContain(token)
    expect(sim.events).toEqual([expect.objectContaining({ type: 'refused', code })])
  })

  it('accepts a 30-minute lifetime exactly', async () => {
    const url = await start(setup())
    const page = await request(`${url}/sso/callback?jwt=${await sign(claims({ exp: NOW + 1800 }))}`)
    expect(page.status).toBe(200)
  })
})
