// What differs between the adapters: the raw request line `node:http` accepts, how Connect-style
// hosts report misuse, and the Fetch handler's own contract (`null`, throws, Response bodies).
import { EventEmitter } from 'node:events'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isSafeRelativePath, SsoError, ssoHandler, ssoMiddleware } from '../../src/index'
import {
  acme,
  ADA,
  APP_HEADER,
  byName,
  type ConnectStyle,
  FRAMEWORKS,
  listen,
  type Listening,
  rawRequest,
} from '@sso/fixtures'

const MISUSE =
  'ssoMiddleware was passed to app.use() without being called. Use app.use(ssoMiddleware({ getUser, vendors: [...] })).'

function returnToOf(location: string | undefined | null): string | null {
  return new URL(location ?? '', 'http://base.invalid').searchParams.get('returnTo')
}

describe.each(byName(FRAMEWORKS))('ssoMiddleware on %s', (_name, framework) => {
  let server: Listening | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  describe('absolute-form request targets (GET http://host/path HTTP/1.1)', () => {
    it.each([
      ['http://evil.example/sso/acme/login?x=1', '/sso/acme/login?x=1'],
      ['https://evil.example:8443/sso/acme/login', '/sso/acme/login'],
      ['http://evil.example/sso/acme/login?next=//evil.com', '/sso/acme/login?next=//evil.com'],
      ['http://user@evil.example/sso/acme/login', '/sso/acme/login'],
    ])('still builds a relative returnTo from %s', async (target, expected) => {
      const middleware = ssoMiddleware({
        getUser: () => null,
        vendors: [acme()],
        loginUrl: '/login',
      })
      server = await listen(framework.app(middleware))
      const response = await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nHost: evil.example`)
      expect(response.status).toBe(302)
      expect(response.headers.location?.startsWith('/login?returnTo=')).toBe(true)
      const returnTo = returnToOf(response.headers.location)
      expect(returnTo).toBe(expected)
      expect(isSafeRelativePath(returnTo)).toBe(true)
      expect(response.headers.location).not.toContain('evil.example')
    })

    it('signs the user in to the configured vendor, not to the host in the request line', async () => {
      const middleware = ssoMiddleware({ getUser: () => ADA, vendors: [acme()] })
      server = await listen(framework.app(middleware))
      const response = await rawRequest(
        server.port,
        'GET http://evil.example/sso/acme/login HTTP/1.1\r\nHost: evil.example',
      )
      expect(response.status).toBe(302)
      expect(new URL(response.headers.location ?? '').host).toBe('acme.example')
    })

    it('hands an absolute-form target outside basePath to the app', async () => {
      const middleware = ssoMiddleware({ getUser: () => ADA, vendors: [acme()] })
      server = await listen(framework.app(middleware))
      const response = await rawRequest(
        server.port,
        'GET http://evil.example/other HTTP/1.1\r\nHost: evil.example',
      )
      expect(response.status).toBe(404)
      expect(response.headers[APP_HEADER]).toBe('not-found')
    })
  })

  it('serves a route renamed with the vendor paths option, and not its old path', async () => {
    const middleware = ssoMiddleware({
      getUser: () => null,
      vendors: [acme({ paths: { login: '/kb/login' } })],
      loginUrl: '/login',
    })
    server = await listen(framework.app(middleware))
    const renamed = await fetch(`${server.url}/sso/kb/login`, { redirect: 'manual' })
    expect(renamed.status).toBe(302)
    const old = await fetch(`${server.url}/sso/acme/login`, { redirect: 'manual' })
    expect(old.headers.get(APP_HEADER)).toBe('not-found')
  })
})

// Frameworks with app.use(): they call whatever they are given as (req, res, next) and send a
// synchronous throw to their error handler.
describe.each(byName(FRAMEWORKS.filter((f) => f.mounts)))(
  'app.use(ssoMiddleware) on %s',
  (_name, framework) => {
    let server: Listening | undefined
    afterEach(async () => {
      await server?.close()
      server = undefined
    })

    it('reports the missing call to the app with the fix', async () => {
      const errors: unknown[] = []
      server = await listen(framework.app(ssoMiddleware as unknown as ConnectStyle, { errors }))
      const response = await fetch(`${server.url}/sso/acme/login`)
      expect(response.headers.get(APP_HEADER)).toBe('error-handler')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toBeInstanceOf(SsoError)
      expect(errors[0]).toMatchObject({ code: 'ERR_SSO_CONFIG', message: MISUSE })
    })
  },
)

describe('ssoMiddleware called the way app.use(ssoMiddleware) would call it', () => {
  it('throws ERR_SSO_CONFIG with the fix when given (req, res, next)', () => {
    const req = new IncomingMessage(new Socket())
    req.method = 'GET'
    req.url = '/sso/acme/login'
    const res = new ServerResponse(req)
    const next = vi.fn()
    let error: unknown
    try {
      ;(ssoMiddleware as unknown as ConnectStyle)(req, res, next)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message: MISUSE })
    expect(next).not.toHaveBeenCalled()
  })

  it('exposes ready on the middleware it returns', async () => {
    const middleware = ssoMiddleware({ getUser: () => null, vendors: [acme()] })
    await expect(middleware.ready).resolves.toBeUndefined()
  })
})

describe('ssoHandler (Fetch)', () => {
  it.each([
    'http://app.example/',
    'http://app.example/login?returnTo=%2Fsso',
    'http://app.example/ssox/acme/login',
    'http://app.example/sso/acme/unknown',
    'http://app.example/SSO-not/acme/login',
  ])('returns null for %s, which is not ours', async (url) => {
    const getUser = vi.fn(() => ADA)
    const handler = ssoHandler({ getUser, vendors: [acme()] })
    expect(await handler(new Request(url))).toBeNull()
    expect(getUser).not.toHaveBeenCalled()
  })

  it('builds a relative returnTo whatever origin the Request names', async () => {
    const handler = ssoHandler({ getUser: () => null, vendors: [acme()], loginUrl: '/login' })
    const response = await handler(new Request('https://evil.example:8443/sso/acme/login?x=1'))
    expect(response?.status).toBe(302)
    expect(returnToOf(response?.headers.get('location'))).toBe('/sso/acme/login?x=1')
    expect(response?.headers.get('location')).not.toContain('evil.example')
  })

  it('answers a redirect with an empty body', async () => {
    const handler = ssoHandler({ getUser: () => ADA, vendors: [acme()] })
    const response = await handler(new Request('http://app.example/sso/acme/login'))
    expect(response?.status).toBe(302)
    expect(response?.body).toBeNull()
  })

  it('passes the Fetch Request to getUser', async () => {
    const getUser = vi.fn((req: Request) => (req.headers.get('x-user') === 'ada' ? ADA : null))
    const handler = ssoHandler({ getUser, vendors: [acme()] })
    const request = new Request('http://app.example/sso/acme/login', {
      headers: { 'x-user': 'ada' },
    })
    const response = await handler(request)
    expect(getUser).toHaveBeenCalledWith(request, undefined)
    expect(response?.status).toBe(302)
  })

  it("throws the SsoError for the framework's handler with onError: 'next'", async () => {
    const cause = new Error('session store down')
    const handler = ssoHandler({
      getUser: () => {
        throw cause
      },
      vendors: [acme()],
      onError: 'next',
    })
    const error = await handler(new Request('http://app.example/sso/acme/login')).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({
      code: 'ERR_SSO_GET_USER_FAILED',
      message: 'getUser threw.',
      cause,
    })
  })

  it('answers a query string over 16 KiB with a 400 ERR_SSO_BAD_REQUEST', async () => {
    const handler = ssoHandler({ getUser: () => ADA, vendors: [acme()] })
    const response = await handler(
      new Request(`http://app.example/sso/acme/login?pad=${'a'.repeat(17_000)}`),
    )
    expect(response?.status).toBe(400)
    expect(response?.headers.get('location')).toBeNull()
    expect(await response?.text()).toContain('ERR_SSO_BAD_REQUEST')
  })

  it('exposes ready on the handler it returns', async () => {
    const handler = ssoHandler({ getUser: () => null, vendors: [acme()] })
    await expect(handler.ready).resolves.toBeUndefined()
  })
})

describe('the returnTo built for loginUrl is a safe relative path whatever the request target', () => {
  interface Answer {
    status: number
    location: string | undefined
  }

  /** Calls the middleware with a request object as a host might build it (no HTTP parser in front). */
  function invoke(middleware: ConnectStyle, url: string): Promise<Answer> {
    return new Promise((resolve) => {
      const headers: Record<string, string> = {}
      const req = Object.assign(new EventEmitter(), { url, method: 'GET', headers: {} })
      const res = {
        statusCode: 200,
        headersSent: false,
        setHeader(name: string, value: string) {
          headers[name.toLowerCase()] = value
        },
        end() {
          resolve({ status: res.statusCode, location: headers.location })
        },
      }
      middleware(req as unknown as IncomingMessage, res as unknown as ServerResponse, (err) =>
        resolve({ status: err ? 500 : 404, location: undefined }),
      )
    })
  }

  const defaultBase = ssoMiddleware({ getUser: () => null, vendors: [acme()], loginUrl: '/login' })
  const tenantBase = ssoMiddleware({
    getUser: () => null,
    vendors: [acme()],
    loginUrl: '/login',
    basePath: '/t/:tenant/sso',
  })

  it.each([
    [
      'a control character in the query',
      defaultBase,
      '/sso/acme/login?q=\r\nSet-Cookie:x',
      '/sso/acme/login',
    ],
    [
      'a tab before // in the query',
      defaultBase,
      '/sso/acme/login?next=\t//evil.com',
      '/sso/acme/login',
    ],
    ['non-ASCII in the query', defaultBase, '/sso/acme/login?q=caf\u00e9', '/sso/acme/login'],
    ['non-ASCII in a path parameter', tenantBase, '/t/caf\u00e9/sso/acme/login?x=1', '/'],
    ['a backslash in a path parameter', tenantBase, '/t/\\evil.com/sso/acme/login', '/'],
  ])('drops what is unsafe: %s', async (_name, middleware, url, expected) => {
    const answer = await invoke(middleware, url)
    expect(answer.status).toBe(302)
    expect(returnToOf(answer.location)).toBe(expected)
  })

  it('holds for generated targets, origin-form and absolute-form', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 })
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('', 'http://evil.example', 'https://a@evil.example:8443', '//evil.example'),
        text,
        text,
        fc.boolean(),
        async (origin, segment, query, tenant) => {
          const url = tenant
            ? `${origin}/t/${segment}/sso/acme/login?${query}`
            : `${origin}/sso/acme/login${segment.replace(/[/?#]/g, '')}?${query}`
          const answer = await invoke(tenant ? tenantBase : defaultBase, url)
          if (answer.status === 302) {
            const returnTo = returnToOf(answer.location)
            expect(isSafeRelativePath(returnTo), JSON.stringify(url)).toBe(true)
            expect(answer.location?.startsWith('/login?returnTo=')).toBe(true)
          } else {
            expect([400, 404]).toContain(answer.status)
          }
        },
      ),
      { numRuns: 500 },
    )
  })
})
