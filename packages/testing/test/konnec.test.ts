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
  signal?: AbortSignal
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
    // As the middleware does: an API answer's redirect is looked at, never followed.
    redirect: 'manual',
    headers,
    ...(body === undefined ? {} : { body }),
    ...(options.signal ? { signal: options.signal } : {}),
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

    it('redirects with the injected 3xx and Location, on its route only, `times` times', async () => {
      const sim = setup()
      const url = await start(sim)
      const elsewhere = 'http://127.0.0.1:9/api/organization/acme/user/x/update'
      sim.inject({ kind: 'redirect', status: 307, location: elsewhere, on: 'update', times: 1 })
      const moved = await call(url, 'update')
      expect(moved.status).toBe(307)
      expect(moved.headers.get('location')).toBe(elsewhere)
      expect(await moved.text()).toBe('')
      expect(sim.users.size).toBe(0)
      expect((await call(url, 'update')).status).toBe(201)
      sim.inject({ kind: 'redirect', location: '/moved' })
      const fallback = await call(url, 'generate-token')
      expect([fallback.status, fallback.headers.get('location')]).toEqual([302, '/moved'])
      expect(sim.responses.map((r) => [r.action, r.fault, r.status])).toEqual([
        ['update', 'redirect', 307],
        ['update', undefined, 201],
        ['generate-token', 'redirect', 302],
      ])
    })

    it.each([
      [64 * 1024, true],
      [64 * 1024, false],
      [64 * 1024 + 1, true],
      [64 * 1024 + 1, false],
    ])(
      'answers a body of exactly %i bytes (Content-Length: %s) holding a real token',
      async (bytes, contentLength) => {
        const sim = setup()
        const url = await start(sim)
        await call(url, 'update')
        sim.inject({ kind: 'body-size', bytes, contentLength, on: 'generate-token' })
        const res = await call(url, 'generate-token')
        expect(res.status).toBe(200)
        expect(res.headers.get('content-length')).toBe(contentLength ? String(bytes) : null)
        expect(res.headers.get('transfer-encoding')).toBe(contentLength ? null : 'chunked')
        const body = Buffer.from(await res.arrayBuffer())
        expect(body.length).toBe(bytes)
        const { refreshToken } = JSON.parse(body.toString('utf8')) as { refreshToken: string }
        expect(sim.issued.has(refreshToken)).toBe(true)
        const answer = sim.responses.at(-1)
        await answer?.closed
        expect(answer).toMatchObject({ bytesWritten: bytes, finished: true, closedEarly: false })
        expect((await request(`${url}/?refresh-token=${refreshToken}`)).status).toBe(200)
      },
    )

    it('pads an update answer too, and refuses a size the answer cannot fit in', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'body-size', bytes: 1000, times: 1, on: 'update' })
      const padded = await call(url, 'update')
      expect((await padded.arrayBuffer()).byteLength).toBe(1000)
      sim.inject({ kind: 'body-size', bytes: 10, on: 'update' })
      const small = await call(url, 'update')
      expect(small.status).toBe(500)
      expect(await small.json()).toMatchObject({ error: { code: 'injected_fault_too_small' } })
    })

    it('streams an endless body until the client closes, and records how much it wrote', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'endless', on: 'generate-token' })
      const res = await call(url, 'generate-token')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('application/json')
      expect(res.headers.get('content-length')).toBeNull()
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      let read = 0
      while (read < 1024 * 1024) read += (await reader.read()).value?.length ?? 0
      await reader.cancel()
      const answer = sim.responses.at(-1)
      await answer?.closed
      expect(answer).toMatchObject({ fault: 'endless', finished: false, closedEarly: true })
      expect(answer?.bytesWritten).toBeGreaterThanOrEqual(read)
      expect(answer?.bytesWritten).toBeLessThan(64 * 1024 * 1024)
    })

    it('announces a huge Content-Length, sends no body byte, and waits for the client', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'announce', contentLength: 400 * 1024 * 1024, on: 'generate-token' })
      const abort = new AbortController()
      const res = await call(url, 'generate-token', USER, { signal: abort.signal })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-length')).toBe(String(400 * 1024 * 1024))
      const answer = sim.responses.at(-1)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(answer).toMatchObject({ status: 200, bytesWritten: 0, finished: false })
      abort.abort()
      await answer?.closed
      expect(answer).toMatchObject({ bytesWritten: 0, finished: false, closedEarly: true })
    })

    it('hangs without a status line until the client gives up, then serves the next call', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'hang', times: 1 })
      const error = await call(url, 'update', USER, { signal: AbortSignal.timeout(200) }).catch(
        (err: unknown) => err,
      )
      expect((error as Error).name).toBe('TimeoutError')
      const answer = sim.responses[0]
      await answer?.closed
      expect(answer).toMatchObject({ fault: 'hang', status: undefined, bytesWritten: 0 })
      expect(answer?.closedEarly).toBe(true)
      expect((await call(url, 'update')).status).toBe(201)
      expect(sim.calls.update).toBe(2)
    })

    it('records a reset as closed early with no status', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'reset', times: 1, on: 'update' })
      await call(url, 'update').catch(() => undefined)
      await sim.responses[0]?.closed
      expect(sim.responses[0]).toMatchObject({ status: undefined, closedEarly: true })
    })

    it('answers a bare token mislabelled application/json, short when asked (JSON.parse quotes it)', async () => {
      const sim = setup()
      const url = await start(sim)
      await call(url, 'update')
      sim.inject({ kind: 'plain-token', tokenBytes: 12, times: 1 })
      const res = await call(url, 'generate-token')
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
      const token = await res.text()
      expect(token).toMatch(/^rt_[\w-]{16}$/)
      expect(sim.issued.has(token)).toBe(true)
      expect(() => JSON.parse(token)).toThrow(token)
      expect((await request(`${url}/?refresh-token=${token}`)).status).toBe(200)
    })

    it('answers a bare token as text/plain when told', async () => {
      const sim = setup()
      const url = await start(sim)
      await call(url, 'update')
      sim.inject({ kind: 'plain-token', contentType: 'text/plain; charset=utf-8' })
      const res = await call(url, 'generate-token')
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      const token = await res.text()
      expect(token).toMatch(/^rt_[\w-]{43}$/)
      expect([...sim.issued]).toEqual([token])
    })

    it('answers the token unquoted, which no JSON parser accepts', async () => {
      const sim = setup()
      const url = await start(sim)
      await call(url, 'update')
      sim.inject({ kind: 'unquoted' })
      const res = await call(url, 'generate-token')
      expect(res.headers.get('content-type')).toContain('application/json')
      const [token] = [...sim.issued]
      expect(await res.text()).toBe(`{"refreshToken": ${token}}`)
    })

    it('answers the token under another field', async () => {
      const sim = setup()
      const url = await start(sim)
      await call(url, 'update')
      sim.inject({ kind: 'token-field', field: 'refresh_token' })
      const res = await call(url, 'generate-token')
      expect(await res.json()).toEqual({ refresh_token: [...sim.issued][0] })
    })

    it('leaves a refused generate-token as it is under a token fault, and counts it', async () => {
      const sim = setup()
      const url = await start(sim)
      sim.inject({ kind: 'unquoted', times: 1 })
      const refused = await call(url, 'generate-token')
      expect(refused.status).toBe(404)
      await call(url, 'update')
      expect(await (await call(url, 'generate-token')).json()).toEqual({
        refreshToken: expect.any(String),
      })
      expect(sim.issued.size).toBe(1)
    })

    it.each(['update', 'any'] as const)(
      'refuses a token fault on %s: only generate-token carries a token',
      (on) => {
        expect(() => setup().inject({ kind: 'plain-token', on })).toThrow(
          new TypeError(
            "konnec inject: a plain-token fault shapes the refresh token, which only generate-token answers; use on: 'generate-token'",
          ),
        )
      },
    )

    it.each<[string, KonnecFaultSpec]>([
      ['a negative latency', { kind: 'latency', ms: -1 }],
      ['a status outside HTTP', { kind: 'status', status: 700 }],
      ['a rate above 1', { kind: 'reset', rate: 2 }],
      ['zero times', { kind: 'malformed', times: 0 }],
      ['a redirect with a 2xx', { kind: 'redirect', status: 200, location: '/x' }],
      ['a negative body size', { kind: 'body-size', bytes: -1 }],
      ['an announced length of 0', { kind: 'announce', contentLength: 0 }],
      ['an empty plain token', { kind: 'plain-token', tokenBytes: 0 }],
    ])('rejects %s when injecting', (_name, spec) => {
      expect(() => setup().inject(spec)).toThrow(RangeError)
    })

    it.each<[string, KonnecFaultSpec]>([
      ['a Location with a line break', { kind: 'redirect', location: '/x\r\nSet-Cookie: a=b' }],
      ['an empty token field', { kind: 'token-field', field: '' }],
      ['an unknown kind', { kind: 'teapot' } as unknown as KonnecFaultSpec],
    ])('rejects %s when injecting with a TypeError', (_name, spec) => {
      expect(() => setup().inject(spec)).toThrow(TypeError)
    })
  })
  describe('records', () => {
    it('records every request target that reached it, matched or not', async () => {
      const sim = setup()
      const url = await start(sim)
      await request(`${url}/`)
      await request(`${url}/favicon.ico`)
      await request(`${url}/nowhere?x=1`)
      await call(url, 'update')
      await call(url, 'generate-token', 'a b')
      expect(sim.requests).toEqual([
        '/',
        '/favicon.ico',
        '/nowhere?x=1',
        `/api/organization/${ORG}/user/${encodeURIComponent(USER)}/update`,
        `/api/organization/${ORG}/user/a%20b/generate-token`,
      ])
    })

    it('records each API answer: status, body bytes written, finished', async () => {
      const sim = setup()
      const url = await start(sim)
      const update = await call(url, 'update')
      const updateBytes = (await update.arrayBuffer()).byteLength
      const refused = await call(url, 'generate-token', USER, { key: 'wrong' })
      const refusedBytes = (await refused.arrayBuffer()).byteLength
      await Promise.all(sim.responses.map((r) => r.closed))
      expect(sim.responses).toEqual([
        expect.objectContaining({
          action: 'update',
          target: `/api/organization/${ORG}/user/${encodeURIComponent(USER)}/update`,
          fault: undefined,
          status: 201,
          bytesWritten: updateBytes,
          finished: true,
          closedEarly: false,
        }),
        expect.objectContaining({
          action: 'generate-token',
          status: 401,
          bytesWritten: refusedBytes,
          finished: true,
        }),
      ])
      expect(sim.issued.size).toBe(0)
    })

    it('records every refresh token issued, and clearRecords empties the records only', async () => {
      const sim = setup()
      const url = await start(sim)
      const first = await refreshTokenFor(url)
      const second = await refreshTokenFor(url)
      expect([...sim.issued]).toEqual([first, second])
      sim.inject({ kind: 'status', status: 503 })
      sim.clearRecords()
      expect([sim.requests, sim.responses, [...sim.issued]]).toEqual([[], [], []])
      expect(sim.calls).toEqual({ update: 0, 'generate-token': 0 })
      expect((await call(url, 'update')).status).toBe(503)
      expect(sim.users.has(USER)).toBe(true)
      expect((await request(`${url}/?refresh-token=${second}`)).status).toBe(200)
    })
  })
})
