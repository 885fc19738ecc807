import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  SsoError,
  type SsoEvent,
  type SsoOptions,
  type SsoUser,
  ssoMiddleware,
} from '../../src/index'

/** The fixed instant every vendor test signs at: 2026-01-01T00:00:00Z. */
export const NOW = new Date('2026-01-01T00:00:00Z')
export const NOW_S = Math.floor(NOW.getTime() / 1000)

/** Fixture secrets: long enough, and distinct per vendor so a mix-up fails. */
export const SECRETS = {
  komo: 'komo-fixture-secret-0123456789-abcdefghij',
  kustomer: 'kustomer-fixture-secret-0123456789-abcdefg',
  comm100: 'comm100-fixture-secret-0123456789-abcdefgh',
  bettermode: 'bettermode-fixture-secret-0123456789-abcdef',
} as const

export const ALICE: SsoUser = {
  id: 'user-1',
  email: 'alice@example.com',
  emailVerified: true,
  firstName: 'Alice',
  lastName: 'Liddell',
}

export interface TestApp {
  url: string
  /** The user `getUser` returns; `null` is logged out. */
  user: SsoUser | null
  events: SsoEvent[]
  logouts: number
  close(): Promise<void>
  /** A request with redirects not followed. */
  get(path: string, init?: RequestInit): Promise<Response>
}

/**
 * A bare `node:http` app with the middleware mounted and a mutable user, listening on
 * 127.0.0.1. Paths the middleware hands on answer 404 "app".
 */
export async function startApp(
  options: Omit<SsoOptions<IncomingMessage>, 'getUser' | 'onEvent'> &
    Partial<Pick<SsoOptions<IncomingMessage>, 'getUser'>>,
): Promise<TestApp> {
  const state = { user: ALICE as SsoUser | null, events: [] as SsoEvent[], logouts: 0 }
  const middleware = ssoMiddleware<IncomingMessage>({
    getUser: () => state.user,
    onEvent: (event) => state.events.push(event),
    onLogout: () => {
      state.logouts++
    },
    ...options,
  })
  const server: Server = createServer((req, res) => {
    middleware(req, res, (err) => {
      res.statusCode = err ? 500 : 404
      res.end(err ? 'app error handler' : 'app')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const app: TestApp = {
    url,
    get user() {
      return state.user
    },
    set user(value) {
      state.user = value
    },
    events: state.events,
    get logouts() {
      return state.logouts
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    get: (path, init) => fetch(`${url}${path}`, { redirect: 'manual', ...init }),
  }
  return app
}

/** The headers DESIGN rule 3 asks of every token-bearing response. */
export function expectNoStoreHeaders(response: Response): void {
  const h = response.headers
  if (h.get('cache-control') !== 'no-store')
    throw new Error(`cache-control: ${h.get('cache-control')}`)
  if (h.get('pragma') !== 'no-cache') throw new Error(`pragma: ${h.get('pragma')}`)
  if (h.get('referrer-policy') !== 'no-referrer')
    throw new Error(`referrer-policy: ${h.get('referrer-policy')}`)
}

/** Runs a factory that must refuse its options; returns the SsoError after checking its code and message. */
export function configErrorOf(build: () => unknown, message: RegExp): SsoError {
  let caught: unknown
  try {
    build()
  } catch (error) {
    caught = error
  }
  if (!(caught instanceof SsoError)) throw new Error(`expected an SsoError, got ${String(caught)}`)
  if (caught.code !== 'ERR_SSO_CONFIG')
    throw new Error(`expected ERR_SSO_CONFIG, got ${caught.code}`)
  if (!message.test(caught.message))
    throw new Error(`message ${JSON.stringify(caught.message)} !~ ${message}`)
  return caught
}
