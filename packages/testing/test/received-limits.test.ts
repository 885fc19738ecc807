import { describe, expect, it } from 'vitest'
import { comm100Simulator } from '../src/simulators/comm100'
import { kustomerSimulator } from '../src/simulators/kustomer'
import { APP, NOW, SECRET, now, pageState, request, sign, start } from './helpers'

/** The status and detail of one check line of the page's "What <vendor> received" panel. */
function checkLine(text: string, name: string) {
  const match = new RegExp(
    `<li data-check="${name}" data-status="([^"]*)"><span class="mark">[^<]*</span> <code>[^<]*</code> ([^<]*)</li>`,
  ).exec(text)
  if (!match) throw new Error(`no "${name}" check on the page:\n${text}`)
  return { status: match[1], detail: match[2] }
}

describe("the received panel checks with the simulator's configured limits, not the defaults", () => {
  it('Kustomer started with maxAgeSeconds: 3600 signs in a 30 min old token, and its panel says so', async () => {
    const sim = kustomerSimulator({
      secret: SECRET,
      loginUrl: `${APP}/sso/kustomer/login`,
      now,
      maxAgeSeconds: 3600,
    })
    const url = await start(sim)
    const token = await sign({ email: 'ada@example.com', iat: NOW - 1800 })
    const res = await request(`${url}/login?externalToken=${token}`)
    expect(pageState(res.text)).toBe('signed-in')
    expect(checkLine(res.text, 'iat')).toEqual({
      status: 'ok',
      detail: expect.stringContaining('at most 1 h old'),
    })
    expect(res.text).not.toContain('data-status="fail"')
  })

  it('Comm100 started with maxLifetimeSeconds: 3600 shows its own lifetime limit', async () => {
    const sim = comm100Simulator({
      secret: SECRET,
      loginUrl: `${APP}/sso/comm100/login`,
      agents: ['ada@example.com'],
      now,
      maxLifetimeSeconds: 3600,
    })
    const url = await start(sim)
    const token = await sign({
      email: 'ada@example.com',
      aud: 'Comm100',
      jti: 'jti-limits-1',
      iat: NOW,
      nbf: NOW,
      exp: NOW + 2700,
    })
    const res = await request(`${url}/sso/callback?jwt=${token}`)
    expect(pageState(res.text), res.text).toBe('signed-in')
    expect(checkLine(res.text, 'lifetime')).toEqual({
      status: 'ok',
      detail: 'exp is 45 min after iat; at most 1 h',
    })
  })
})
