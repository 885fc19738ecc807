import type { IncomingMessage } from 'node:http'
import {
  bettermode,
  comm100,
  type GetUser,
  komo,
  konnec,
  kustomer,
  type SsoEvent,
  type SsoUser,
  ssoMiddleware,
  type Vendor,
} from '../../src/index'
import { listen } from '../helpers/listen'
import { KONNEC_API_KEY, KONNEC_ORG, type KonnecUpstream } from './upstream'

/** Fixture secrets, distinct per vendor; none may ever show up in a page, message or event. */
export const SECRETS = {
  komo: 'komo-security-secret-7c1d0e9f8a2b3c4d5e6f',
  kustomer: 'kustomer-security-secret-1a2b3c4d5e6f7a8b9c',
  comm100: 'comm100-security-secret-9f8e7d6c5b4a39281706',
  bettermode: 'bettermode-security-secret-0f1e2d3c4b5a6978',
} as const

/** Every allow-list entry kind: an exact host, a `*.suffix`, a loopback origin. */
export const KUSTOMER_HOSTS = ['help.acme.com', '*.kustomer.help', 'http://127.0.0.1:4001']
export const COMM100_HOSTS = ['chat.acme.com', '*.comm100.io', 'http://localhost:4002']
export const COMMUNITY_URL = 'https://community.acme.com'
export const KONNEC_APP_URL = 'https://app.konnec.example/home'

export const ALICE: SsoUser = {
  id: 'user-alice-42',
  email: 'alice.sec@example.com',
  emailVerified: true,
  firstName: 'Alice',
  lastName: 'Liddell',
}

export interface SecurityApp {
  url: string
  port: number
  /** Every audit event the middleware emitted. */
  events: SsoEvent[]
  /** Errors handed to the app's error handler (`onError: 'next'`). */
  errors: unknown[]
  /** What `getUser` does; change it between requests. (default: returns ALICE) */
  getUser: (req: IncomingMessage) => unknown
  close(): Promise<void>
}

export interface SecurityAppOptions {
  upstream: KonnecUpstream
  basePath?: string
  onError?: 'respond' | 'next'
  exposeErrors?: boolean
  /** Konnec's per-call timeout. (default: `300`) */
  konnecTimeoutMs?: number
  /** No `loginUrl`: logged-out browsers get a 401 page. */
  noLoginUrl?: boolean
}

/** The five vendors with the fixture configuration. */
export function fixtureVendors(upstream: KonnecUpstream, konnecTimeoutMs = 300): Vendor[] {
  return [
    komo({ secret: SECRETS.komo }),
    kustomer({ secret: SECRETS.kustomer, allowedHosts: KUSTOMER_HOSTS }),
    konnec({
      apiBaseUrl: upstream.url,
      orgId: KONNEC_ORG,
      apiKey: KONNEC_API_KEY,
      appUrl: KONNEC_APP_URL,
      timeoutMs: konnecTimeoutMs,
      retryDelayMs: 10,
    }),
    comm100({ secret: SECRETS.comm100, allowedHosts: COMM100_HOSTS }),
    bettermode({ secret: SECRETS.bettermode, communityUrl: COMMUNITY_URL }),
  ]
}

/**
 * A bare `node:http` app with every vendor mounted, on 127.0.0.1. Requests the middleware hands
 * on answer 404 `x-app: not-found`; errors handed to `next(err)` answer 500 `x-app: error`.
 */
export async function startSecurityApp(options: SecurityAppOptions): Promise<SecurityApp> {
  const events: SsoEvent[] = []
  const errors: unknown[] = []
  const app = {
    getUser: (() => ALICE) as SecurityApp['getUser'],
  }
  const middleware = ssoMiddleware<IncomingMessage>({
    getUser: ((req: IncomingMessage) => app.getUser(req)) as GetUser<IncomingMessage>,
    vendors: fixtureVendors(options.upstream, options.konnecTimeoutMs),
    ...(options.noLoginUrl ? {} : { loginUrl: '/login' }),
    ...(options.basePath ? { basePath: options.basePath } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.exposeErrors === undefined ? {} : { exposeErrors: options.exposeErrors }),
    onEvent: (event) => events.push(event),
  })
  await middleware.ready
  const server = await listen((req, res) => {
    middleware(req, res, (err) => {
      if (err) errors.push(err)
      res.statusCode = err ? 500 : 404
      res.setHeader('x-app', err ? 'error' : 'not-found')
      res.end(err ? 'app error handler' : 'app')
    })
  })
  return {
    url: server.url,
    port: server.port,
    events,
    errors,
    get getUser() {
      return app.getUser
    },
    set getUser(fn) {
      app.getUser = fn
    },
    close: () => server.close(),
  }
}
