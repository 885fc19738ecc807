import { describe, expect, it } from 'vitest'
import { konnecSimulator } from '../src/simulators/konnec'
import type { KonnecApiRoute, KonnecFaultSpec } from '../src/simulators/konnec'
import {
  APP,
  heading,
  linkHref,
  linkText,
  now,
  pageCode,
  pageState,
  request,
  start,
} from './helpers'

const ORG = 'acme'
const API_KEY = 'konnec-api-key-0123456789'
const loginUrl = `${APP}/sso/konnec/login`
const USER = 'ada@example.com'

function setup() {
  return konnecSimulator({ orgId: ORG, apiKey: API_KEY, loginUrl, now })
}

interface CallOptions {
  key?: string | null
  org?: string | null
  pathOrg?: string
  body?: unknown
}

function call(url: string, route: KonnecApiRoute, username = USER, options: CallOptions = {}) {
  const headers: Record<string, string> = {}
  const key = options.key === undefined ? API_KEY : options.key
  const org = options.org === undefined ? ORG : options.org
  if (key !== null) headers['x-api-key'] = key
  if (org !== null) headers['x-org-id'] = org
  let body: string | undefined
  if (route === 'update') {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(
      options.body ?? { name: 'Ada Lovelace', role: 'USER', picture: 'https://example.com/a.png' },
    )
  }
  const path = `/api/organization/${encodeURIComponent(options.pathOrg ?? ORG)}/user/${encodeURIComponent(username)}/${route}`
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers,
    ...(body === undefined ? {} : { body }),
  })
}

async function refreshTokenFor(url: string, username = USER): Promise<string> {
  expect((await call(url, 'update', username)).ok).toBe(true)
  const res = await call(url, 'generate-token', username)
  expect(res.status).toBe(200)
  const { refreshToken } = (await res.json()) as { refreshToken: string }
  return refreshToken
}

describe('konnecSimulator', () => {
  it('shows a landing page whose "Log in" link goes to the app route', async () => {
    const url = await start(setup())
    const page = await request(`${url}/`)
    expect(linkText(page.text, 'login')).toBe('Log in')
    expect(linkHref(page.text, 'login').href).toBe(loginUrl)
  })

  it('creates the user, issues a refresh token and signs the user in with it', async () => {
    const sim = setup()
    const url = await start(sim)
    const update = await call(url, 'update')
    expect(update.status).toBe(201)
    expect(await update.json()).toEqual({
      user: {
        username: USER,
        name: 'Ada Lovelace',
        role: 'USER',
        picture: 'https://example.com/a.png',
      },
      created: true,
    })
    const generated = await call(url, 'generate-token')
    const body = (await generated.json()) as { refreshToken: string }
    expect(body.refreshToken).toMatch(/^[\w-]{40,}$/)

    const page = await request(`${url}/?refresh-token=${body.refreshToken}`)
    expect(page.status).toBe(200)
    expect(heading(page.text)).toBe(`Signed in to Konnec as ${USER}`)
    expect(pageState(page.text)).toBe('signed-in')
    expect(page.text).not.toContain(body.refreshToken)
    expect(sim.events).toEqual([
      expect.objectContaining({
        type: 'signed-in',
        vendor: 'konnec',
        sub: USER,
        email: USER,
        at: now(),
      }),
    ])
  })

  it('refuses a refresh token the second time it is used', async () => {
    const sim = setup()
    const url = await start(sim)
    const token = await refreshTokenFor(url)
    expect((await request(`${url}/?refresh-token=${token}`)).status).toBe(200)
    const again = await request(`${url}/?refresh-token=${token}`)
    expect(again.status).toBe(401)
    expect(pageCode(again.text)).toBe('invalid_refresh_token')
    expect(sim.events.map((e) => e.type)).toEqual(['signed-in', 'refused'])
  })

  it('refuses a refresh token it never issued', async () => {
    const url = await start(setup())
    const page = await request(`${url}/?refresh-token=made-up`)
    expect([page.status, pageCode(page.text)]).toEqual([401, 'invalid_refresh_token'])
  })

  it('updates an existing user instead of creating a second one', async () => {
    const sim = setup()
    const url = await start(sim)
    await call(url, 'update')
    const res = await call(url, 'update', USER, { body: { name: 'Ada King', role: 'ADMIN' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      created: false,
      user: { name: 'Ada King', role: 'ADMIN' },
    })
    expect([...sim.users.keys()]).toEqual([USER])
  })

  it('defaults the role to USER', async () => {
    const sim = setup()
    const url = await start(sim)
    await call(url, 'update', USER, { body: { name: 'Ada' } })
    expect(sim.users.get(USER)?.role).toBe('USER')
  })

  it('answers generate-token for an unknown user with a 404', async () => {
    const url = await start(setup())
    const res = await call(url, 'generate-token', 'nobody')
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: { code: 'user_not_found' } })
  })

  it.each<[string, KonnecApiRoute, CallOptions, number, string]>([
    ['a wrong x-api-key on update', 'update', { key: 'wrong' }, 401, 'unauthorized'],
    ['no x-api-key on generate-token', 'generate-token', { key: null }, 401, 'unauthorized'],
    ['a wrong x-org-id on update', 'update', { org: 'other' }, 403, 'forbidden'],
    ['no x-org-id on generate-token', 'generate-token', { org: null }, 403, 'forbidden'],
    ['another org in the path', 'update', { pathOrg: 'other', org: 'other' }, 403, 'forbidden'],
  ])('refuses %s', async (_name, route, options, status, code) => {
    const sim = setup()
    const url = await start(sim)
    const res = await call(url, route, USER, options)
    expect(res.status).toBe(status)
    expect(await res.json()).toMatchObject({ error: { code } })
    expect(sim.users.size).toBe(0)
    expect(sim.events).toEqual([expect.objectContaining({ type: 'refused', code })])
  })

  it('refuses an update without a JSON content type or with a bad body', async () => {
    const url = await start(setup())
    const path = `${url}/api/organization/${ORG}/user/${USER}/update`
    const headers = { 'x-api-key': API_KEY, 'x-org-id': ORG }
    const text = await fetch(path, { method: 'POST', headers, body: 'name=Ada' })
    expect(text.status).toBe(415)
    const bad = await fetch(path, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{',
    })
    expect(bad.status).toBe(400)
    const wrongType = await fetch(path, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 42 }),
    })
    expect(await wrongType.json()).toMatchObject({ error: { code: 'bad_request' } })
  })

  it('counts API calls per route', async () => {
    const sim = setup()
    const url = await start(sim)
    await call(url, 'update')
    await call(url, 'update', USER, { key: 'wrong' })
    await call(url, 'generate-token')
    expect(sim.calls).toEqual({ update: 2, 'generate-token': 1 })
  })

  describe('faults', () => {
    it('delays the answer with a latency fault, then serves it', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'latency', ms: 150, times: 1 })
      const started = performance.now()
      const res = await call(url, 'update')
      expect(performance.now() - started).toBeGreaterThanOrEqual(140)
      expect(res.status).toBe(201)
      const quick = performance.now()
      await call(url, 'generate-token')
      expect(performance.now() - quick).toBeLessThan(140)
    })

    it('answers with the injected status for `times` calls, then clears itself', async () => {
      const sim = setup()
      const url = await start(sim)
      await call(url, 'update')
      sim.inject({ kind: 'status', status: 503, times: 2, on: 'generate-token' })
      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await call(url, 'generate-token')).status)
      expect(statuses).toEqual([503, 503, 200])
      expect(sim.calls['generate-token']).toBe(3)
    })

    it('resets the connection', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'reset', times: 1 })
      const error = await call(url, 'update').then(
        () => undefined,
        (err: unknown) => err,
      )
      expect(error).toBeInstanceOf(TypeError)
      expect(((error as TypeError).cause as NodeJS.ErrnoException | undefined)?.code).toMatch(
        /ECONNRESET|UND_ERR_SOCKET/,
      )
      expect((await call(url, 'update')).status).toBe(201)
    })

    it('answers a 200 with malformed JSON', async () => {
      const sim = setup()
      const url = await start(sim)
      await call(url, 'update')
      sim.inject({ kind: 'malformed', on: 'generate-token' })
      const res = await call(url, 'generate-token')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('application/json')
      await expect(res.json()).rejects.toThrow(SyntaxError)
    })

    it('hits only the given fraction of calls with `rate`, deterministically', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'status', status: 502, rate: 0.5, on: 'update' })
      const statuses = []
      for (let i = 0; i < 6; i++) statuses.push((await call(url, 'update')).status)
      expect(statuses).toEqual([201, 502, 200, 502, 200, 502])
    })

    it('applies a fault only to its route with `on`, and clearFaults removes it', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'status', status: 504, on: 'generate-token' })
      expect((await call(url, 'update')).status).toBe(201)
      expect((await call(url, 'generate-token')).status).toBe(504)
      sim.clearFaults()
      expect((await call(url, 'generate-token')).status).toBe(200)
    })

    it('applies faults before the credentials check, as an upstream proxy would', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'status', status: 502, times: 1 })
      expect((await call(url, 'update', USER, { key: 'wrong' })).status).toBe(502)
    })

    it('closes without waiting for a pending latency fault', async () => {
      const sim = setup()
      const { url, close } = await sim.listen()
      sim.inject({ kind: 'latency', ms: 10_000 })
      const pending = call(url, 'update').catch((err: unknown) => err)
      await new Promise((resolve) => setTimeout(resolve, 50))
      const started = performance.now()
      await close()
      expect(performance.now() - started).toBeLessThan(1000)
      expect(await pending).toBeInstanceOf(TypeError)
    })

    it.each<[string, KonnecFaultSpec]>([
      ['a negative latency', { kind: 'latency', ms: -1 }],
      ['a status outside HTTP', { kind: 'status', status: 700 }],
      ['a rate above 1', { kind: 'reset', rate: 2 }],
      ['zero times', { kind: 'malformed', times: 0 }],
    ])('rejects %s when injecting', (_name, spec) => {
      expect(() => setup().inject(spec)).toThrow(RangeError)
    })
  })
})
