// DESIGN rule 7 end to end: every flow of the demo, success and failure, with every log line
// (console, stdout, stderr), every audit event, every error page and every error message
// captured — none may hold a token, a secret, an API key or an email.
import type { Server } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import {
  bettermode,
  comm100,
  komo,
  kustomer,
  type SsoEvent,
  type SsoUser,
  ssoMiddleware,
} from '@sso/middleware'
import express, { type NextFunction, type Request, type Response } from 'express'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { type RunningDemo, startDemo } from '../../src/demo'
import { Client } from '../client'

// Every random secret the demo and its simulators create (signing secrets, the Konnec API key,
// the session secret, refresh tokens, relay states) goes through randomBytes: record them all.
const random = vi.hoisted(() => ({ values: [] as string[] }))
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  const randomBytes = ((size: number, callback?: unknown) => {
    if (callback !== undefined)
      return (actual.randomBytes as (...a: unknown[]) => unknown)(size, callback)
    const bytes = actual.randomBytes(size)
    if (size >= 12) {
      random.values.push(
        bytes.toString('base64url'),
        bytes.toString('hex'),
        bytes.toString('base64'),
      )
    }
    return bytes
  }) as typeof actual.randomBytes
  return { ...actual, randomBytes, default: { ...actual, randomBytes } }
})

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.?/
const ADA = { email: 'ada.leak@example.com', name: 'Ada Lovelace' }

/** What the strict app (controlled getUser, `onError: 'next'`, a logging error handler) signs with. */
const STRICT_SECRETS = {
  komo: 'strict-komo-secret-0123456789abcdef-0123',
  kustomer: 'strict-kustomer-secret-0123456789abcdef-0',
  comm100: 'strict-comm100-secret-0123456789abcdef-01',
  bettermode: 'strict-bettermode-secret-0123456789abcdef',
}
const UNVERIFIED: SsoUser = {
  id: 'u-unverified',
  email: 'unverified.leak@example.com',
  emailVerified: false,
  name: 'Una',
}
const LONG_EMAIL: SsoUser = { id: 'u-long', email: `${'x'.repeat(205)}@example.com`, name: 'Lo' }

// ---------------------------------------------------------------------------------------------
// Capture

const captured = { logs: [] as string[], events: [] as SsoEvent[], pages: [] as string[] }
const refreshTokens = new Set<string>()

function installCapture() {
  const spies = [
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        captured.logs.push(
          args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 8 }))).join(' '),
        )
      }),
    ),
    ...([process.stdout, process.stderr] as const).map((stream) =>
      vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
        captured.logs.push(String(chunk))
        return true
      }) as typeof stream.write),
    ),
  ]
  return () => {
    for (const spy of spies) spy.mockRestore()
  }
}

function leaksIn(text: string): string[] {
  const found: string[] = []
  const jwt = JWT.exec(text)?.[0]
  if (jwt) found.push(`a JWT ${jwt.slice(0, 24)}…`)
  const secrets = [...random.values, ...refreshTokens, ...Object.values(STRICT_SECRETS)]
  for (const s of secrets)
    if (s.length >= 12 && text.includes(s)) found.push(`a secret ${s.slice(0, 8)}…`)
  for (const email of [ADA.email, UNVERIFIED.email, LONG_EMAIL.email]) {
    if (text.toLowerCase().includes(email.toLowerCase()))
      found.push(`the email ${email.slice(0, 30)}`)
  }
  return [...new Set(found)]
}

/** Everything captured since the last reset, scanned. */
function expectNothingLeaked() {
  expect(leaksIn(captured.logs.join('\n')), 'log lines').toEqual([])
  expect(leaksIn(JSON.stringify(captured.events)), 'events').toEqual([])
  expect(leaksIn(captured.pages.join('\n')), 'error pages').toEqual([])
}

// ---------------------------------------------------------------------------------------------
// The apps: the demo twice (events to onEvent; events to its default console logger), and a
// strict app whose getUser the tests control.

let withEvents: RunningDemo
let withConsole: RunningDemo
let strict: { url: string; server: Server; user: () => SsoUser | null }
let restore: () => void

async function startStrict(demo: RunningDemo) {
  const sims = demo.simulators
  const app = express()
  const state = { user: (() => null) as () => SsoUser | null }
  app.use(
    ssoMiddleware<Request>({
      getUser: () => state.user(),
      loginUrl: '/login',
      onError: 'next',
      vendors: [
        komo({ secret: STRICT_SECRETS.komo }),
        kustomer({ secret: STRICT_SECRETS.kustomer, allowedHosts: [sims.kustomer as string] }),
        comm100({ secret: STRICT_SECRETS.comm100, allowedHosts: [sims.comm100 as string] }),
        bettermode({ secret: STRICT_SECRETS.bettermode, communityUrl: sims.bettermode as string }),
      ],
      onEvent: (event) => console.log('[sso]', JSON.stringify(event)),
    }),
  )
  // The error handler most apps have: log the whole error, answer a generic page.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    console.error('request failed:', err)
    res.status(500).type('text').send('Something went wrong')
  })
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    get user() {
      return state.user
    },
    set user(fn) {
      state.user = fn
    },
  }
}

beforeAll(async () => {
  withEvents = await startDemo({ port: 0, real: {}, onEvent: (e) => captured.events.push(e) })
  withConsole = await startDemo({ port: 0, real: {} })
  strict = await startStrict(withEvents)
  restore = installCapture()
})
afterAll(async () => {
  restore()
  strict.server.closeAllConnections()
  await new Promise<void>((resolve) => strict.server.close(() => resolve()))
  await Promise.all([withEvents.close(), withConsole.close()])
})
beforeEach(() => {
  captured.logs.length = 0
  captured.events.length = 0
  captured.pages.length = 0
})
afterEach(() => {
  withEvents.sims.konnec?.clearFaults()
  withConsole.sims.konnec?.clearFaults()
})

const DEMOS = () =>
  [
    ['events to onEvent', withEvents],
    ['events to the console', withConsole],
  ] as const

/** A browser that has logged in to the demo. */
async function loggedIn(demo: RunningDemo): Promise<Client> {
  const client = new Client()
  const done = await client.submit(`${demo.url}/login`, { ...ADA, returnTo: '/' })
  expect(done.response.status).toBe(200)
  return client
}

/** One request to the app; an error answer's body is kept as an error page. */
async function hit(client: Client, url: string, init?: RequestInit) {
  const response = await client.request(url, init)
  const text = await response.text()
  if (response.status >= 400) captured.pages.push(text)
  return { status: response.status, location: response.headers.get('location'), text }
}

/** Follows a redirect chain and records any refresh token it carries. */
async function follow(client: Client, url: string) {
  const result = await client.go(url)
  for (const visited of client.visited) {
    const token = new URL(visited).searchParams.get('refresh-token')
    if (token) refreshTokens.add(token)
  }
  return result
}

describe('the leak scanner', () => {
  it('knows the demo secrets and finds a planted token, secret or email', () => {
    // Per demo: four signing secrets, the Konnec API key, the session secret; three encodings each.
    expect(random.values.length).toBeGreaterThanOrEqual(2 * 6 * 3)
    expect(leaksIn(`signed with ${random.values[0]}`)).toHaveLength(1)
    expect(leaksIn('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toHaveLength(1)
    expect(leaksIn(`user ${ADA.email.toUpperCase()}`)).toHaveLength(1)
    expect(leaksIn('user u_1234 signed in')).toEqual([])
  })
})

describe('the demo: every successful flow leaks nothing', () => {
  it('Kustomer, Comm100, Bettermode and Konnec sign in at their simulators; logs and events stay clean', async () => {
    for (const [, demo] of DEMOS()) {
      const client = await loggedIn(demo)
      const sims = demo.simulators
      const flows: [string, string][] = [
        [
          'Kustomer',
          `/sso/kustomer/login?trackingToken=t&kustomerRedirectUri=${encodeURIComponent(`${sims.kustomer}/login?referralUrl=%2F`)}`,
        ],
        [
          'Comm100',
          `/sso/comm100/login?redirect_url=${encodeURIComponent(`${sims.comm100}/sso/callback`)}`,
        ],
        ['Bettermode', '/sso/bettermode/login?referrer_uri=%2Fspaces%2Fgeneral'],
        ['Konnec', '/sso/konnec/login'],
      ]
      for (const [vendor, path] of flows) {
        const done = await follow(client, `${demo.url}${path}`)
        expect(done.text, vendor).toContain(`Signed in to ${vendor} as ${ADA.email}`)
      }
    }
    expect(refreshTokens.size).toBeGreaterThanOrEqual(2)
    expect(captured.events.filter((e) => e.type === 'token.issued')).toHaveLength(4)
    // The console demo logged its events: the capture is not empty, and still clean.
    expect(
      captured.logs.filter((l) => l.includes('[sso]') && l.includes('token.issued')),
    ).toHaveLength(4)
    expectNothingLeaked()
  })

  it('Komo: the token endpoint answers, the hub verifies, nothing is logged with the token', async () => {
    for (const [, demo] of DEMOS()) {
      const client = await loggedIn(demo)
      const response = await client.request(`${demo.url}/sso/komo/token`, {
        method: 'POST',
        headers: { origin: demo.url, 'sec-fetch-site': 'same-origin' },
      })
      expect(response.status).toBe(200)
      const { token } = (await response.json()) as { token: string }
      const verified = await fetch(`${demo.simulators.komo}/api/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      })
      expect(verified.status).toBe(200)
    }
    expect(captured.logs.some((l) => l.includes('token.issued'))).toBe(true)
    expectNothingLeaked()
  })

  it('Intercom: the token endpoint answers, the Messenger verifies the boot, nothing is logged with the token', async () => {
    for (const [, demo] of DEMOS()) {
      const client = await loggedIn(demo)
      const response = await client.request(`${demo.url}/sso/intercom/token`, {
        method: 'POST',
        headers: { origin: demo.url, 'sec-fetch-site': 'same-origin' },
      })
      expect(response.status).toBe(200)
      const { token } = (await response.json()) as { token: string }
      const booted = await fetch(`${demo.simulators.intercom}/messenger/web/ping`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ app_id: 'demo-app', intercom_user_jwt: token }),
      })
      expect(booted.status).toBe(200)
      const refused = await hit(client, `${demo.url}/sso/intercom/token`, {
        method: 'POST',
        headers: { origin: 'https://evil.example' },
      })
      expect(refused.status).toBe(403)
    }
    expect(captured.logs.some((l) => l.includes('"vendor":"intercom"'))).toBe(true)
    expectNothingLeaked()
  })

  it('Comm100 and Bettermode logout run through the app and leave nothing behind', async () => {
    for (const [, demo] of DEMOS()) {
      const client = await loggedIn(demo)
      for (const path of ['/sso/comm100/logout', '/sso/bettermode/logout']) {
        const result = await hit(client, `${demo.url}${path}`)
        expect(result.status).toBe(302)
      }
    }
    expect(captured.events.filter((e) => e.type === 'logout')).toHaveLength(2)
    expectNothingLeaked()
  })
})

describe('the demo: every failing flow leaks nothing', () => {
  it('logged out: every browser route sends the visitor to /login, the API route answers 401', async () => {
    for (const [, demo] of DEMOS()) {
      const client = new Client()
      for (const path of [
        `/sso/kustomer/login?kustomerRedirectUri=${encodeURIComponent(`${demo.simulators.kustomer}/login`)}`,
        `/sso/comm100/login?redirect_url=${encodeURIComponent(`${demo.simulators.comm100}/sso/callback`)}`,
        '/sso/bettermode/login',
        '/sso/konnec/login',
      ]) {
        const result = await hit(client, `${demo.url}${path}`)
        expect(result.status, path).toBe(302)
        expect(new URL(result.location ?? '', demo.url).pathname).toBe('/login')
      }
      expect((await hit(client, `${demo.url}/sso/komo/token`, { method: 'POST' })).status).toBe(401)
    }
    expect(captured.events.some((e) => e.type === 'login.required')).toBe(true)
    expectNothingLeaked()
  })

  it('bad redirects, malformed and repeated parameters, cross-site and wrong-method calls are refused', async () => {
    const evil = encodeURIComponent(`https://evil.example/?email=${ADA.email}`)
    for (const [, demo] of DEMOS()) {
      const client = await loggedIn(demo)
      const cases: [string, RequestInit | undefined, number][] = [
        [`/sso/kustomer/login?kustomerRedirectUri=${evil}`, undefined, 400],
        [`/sso/comm100/login?redirect_url=${evil}`, undefined, 400],
        [`/sso/comm100/login?redirect_url=${evil}&redirect_url=${evil}`, undefined, 400],
        ['/sso/konnec/login?x=%ZZ', undefined, 400],
        ['/sso/bettermode/login?referrer_uri=%2Fa&referrer_uri=%2Fb', undefined, 400],
        [
          '/sso/komo/token',
          {
            method: 'POST',
            headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
          },
          403,
        ],
        ['/sso/komo/token', undefined, 405],
      ]
      for (const [path, init, status] of cases) {
        expect((await hit(client, `${demo.url}${path}`, init)).status, path).toBe(status)
      }
      // An unsafe referrer_uri is dropped, not refused; the sign-in still completes.
      const dropped = await follow(
        client,
        `${demo.url}/sso/bettermode/login?referrer_uri=${encodeURIComponent('//evil.example')}`,
      )
      expect(dropped.text).toContain('Signed in to Bettermode')
    }
    expect(captured.pages.length).toBeGreaterThanOrEqual(14)
    // Six refusals per demo are audited (a 405 is answered before any vendor runs).
    expect(captured.events.filter((e) => e.type === 'request.refused')).toHaveLength(6)
    expect(captured.logs.filter((l) => l.includes('"request.refused"'))).toHaveLength(6)
    expectNothingLeaked()
  })

  it('Konnec faults (5xx, 503 twice, resets, malformed JSON, a timeout): 502/504 pages leak neither the API key nor the username', async () => {
    const faults: [
      string,
      Parameters<NonNullable<RunningDemo['sims']['konnec']>['inject']>[0],
      number,
    ][] = [
      ['500', { kind: 'status', status: 500, times: 1 }, 502],
      ['503 twice', { kind: 'status', status: 503, times: 2 }, 502],
      ['reset twice', { kind: 'reset', times: 2 }, 502],
      ['malformed JSON', { kind: 'malformed', times: 1, on: 'generate-token' }, 502],
      ['401 from the API', { kind: 'status', status: 401, times: 1 }, 502],
    ]
    for (const [, demo] of DEMOS()) {
      const client = await loggedIn(demo)
      for (const [what, fault, status] of faults) {
        demo.sims.konnec?.inject(fault)
        const result = await hit(client, `${demo.url}/sso/konnec/login`)
        expect(result.status, what).toBe(status)
        expect(result.text, what).toContain('ERR_SSO_VENDOR_UNAVAILABLE')
        demo.sims.konnec?.clearFaults()
      }
    }
    // The demo's Konnec timeout is the default 5 s: one timeout per demo, in parallel.
    await Promise.all(
      DEMOS().map(async ([, demo]) => {
        const client = await loggedIn(demo)
        demo.sims.konnec?.inject({ kind: 'latency', ms: 5500, times: 1 })
        const result = await hit(client, `${demo.url}/sso/konnec/login`)
        expect(result.status).toBe(504)
      }),
    )
    expect(captured.events.filter((e) => e.type === 'error')).toHaveLength(6)
    expect(captured.logs.filter((l) => l.includes('"type":"error"'))).toHaveLength(6)
    expectNothingLeaked()
  }, 30_000)
})

describe('an app with its own getUser and a logging error handler leaks nothing either', () => {
  const sims = () => withEvents.simulators
  const routes = () => [
    `/sso/kustomer/login?kustomerRedirectUri=${encodeURIComponent(`${sims().kustomer}/login`)}`,
    `/sso/comm100/login?redirect_url=${encodeURIComponent(`${sims().comm100}/sso/callback`)}`,
    '/sso/bettermode/login',
  ]

  it('an unverified email is refused (403 ERR_SSO_EMAIL_UNVERIFIED) by every vendor that links by email; the error log holds no email', async () => {
    strict.user = () => UNVERIFIED
    const client = new Client()
    for (const path of routes())
      expect((await hit(client, `${strict.url}${path}`)).status, path).toBe(500)
    expect(
      (
        await hit(client, `${strict.url}/sso/komo/token`, {
          method: 'POST',
          headers: { origin: strict.url, 'sec-fetch-site': 'same-origin' },
        })
      ).status,
    ).toBe(500)
    // onError 'next': the app's handler got each SsoError and logged it whole.
    const logged = captured.logs.filter((l) => l.startsWith('request failed:'))
    expect(logged).toHaveLength(4)
    for (const line of logged) {
      expect(line).toContain("code: 'ERR_SSO_EMAIL_UNVERIFIED'")
      expect(line).toContain('status: 403')
    }
    expectNothingLeaked()
  })

  it('getUser throwing, a user without an email and an email over Bettermode’s limit are logged without the user', async () => {
    const client = new Client()
    const cases: [() => SsoUser | null, string][] = [
      [
        () => {
          throw new Error('session store unavailable')
        },
        'ERR_SSO_GET_USER_FAILED',
      ],
      [() => ({ id: 'u-no-email' }) as SsoUser, 'ERR_SSO_USER_INVALID'],
      [() => LONG_EMAIL, 'ERR_SSO_USER_INVALID'],
    ]
    for (const [user, code] of cases) {
      strict.user = user
      captured.logs.length = 0
      expect((await hit(client, `${strict.url}/sso/bettermode/login`)).status).toBe(500)
      expect(captured.logs.join('\n')).toContain(code)
      expectNothingLeaked()
    }
  })
})
