import { afterEach, describe, expect, it } from 'vitest'
import { defineVendor, ssoHandler, ssoMiddleware, type Vendor } from '../../src/index'
import { listen, type Listening } from '@sso/fixtures'

// One vendor whose every route answers `{ route, params }`, so a response names the route that
// matched. Routes: GET /echo/login (browser), POST /echo/token (api), GET /echo/items/:id.
const echo: Vendor = defineVendor({
  id: 'echo',
  routes: (
    [
      ['login', 'GET', '/echo/login', 'browser'],
      ['token', 'POST', '/echo/token', 'api'],
      ['item', 'GET', '/echo/items/:id', 'browser'],
    ] as const
  ).map(([name, method, path, kind]) => ({
    name,
    method,
    path,
    kind,
    handle: (ctx) => ({ kind: 'json', body: { route: ctx.route, params: ctx.params } }),
  })),
})

type Expected =
  | { route: string; params: Record<string, string> }
  | { passedOn: true }
  | { status: 405; allow: string }
  | { status: 400; code: 'ERR_SSO_BAD_REQUEST' }

interface Row {
  title: string
  basePath: string | undefined
  method: string
  target: string
  expected: Expected
}

const PASSED_ON = { passedOn: true } as const
const login = (params: Record<string, string> = {}) => ({ route: 'login', params })
const badEncoding = { status: 400, code: 'ERR_SSO_BAD_REQUEST' } as const

function outcome(expected: Expected): string {
  if ('passedOn' in expected) return 'is passed on to next()'
  if ('route' in expected) {
    const params = Object.keys(expected.params).length
      ? ` with ${JSON.stringify(expected.params)}`
      : ''
    return `matches route ${expected.route}${params}`
  }
  if (expected.status === 405) return `is a 405 with Allow: ${expected.allow}`
  return `is a 400 ${expected.code}`
}

const row = (
  basePath: string | undefined,
  method: string,
  target: string,
  expected: Expected,
): Row => ({
  title: `${method} ${target}${basePath === undefined ? '' : ` (basePath "${basePath}")`} ${outcome(expected)}`,
  basePath,
  method,
  target,
  expected,
})

const DEFAULT_BASE_PATH: Row[] = [
  row(undefined, 'GET', '/sso/echo/login', login()),
  row(undefined, 'GET', '/sso/echo/login?x=1&y=2', login()),
  row(undefined, 'GET', '/sso/echo/login/', login()),
  row(undefined, 'POST', '/sso/echo/token', { route: 'token', params: {} }),
  row(undefined, 'GET', '/sso/echo/items/42', { route: 'item', params: { id: '42' } }),
  row(undefined, 'GET', '/sso/echo/items/a%20b', { route: 'item', params: { id: 'a b' } }),
  row(undefined, 'GET', '/sso/echo/items/caf%C3%A9', { route: 'item', params: { id: 'café' } }),
  row(undefined, 'GET', '/sso/echo/items/42/', { route: 'item', params: { id: '42' } }),
]

const PASSED_ON_UNDER_PREFIX: Row[] = [
  row(undefined, 'GET', '/sso', PASSED_ON),
  row(undefined, 'GET', '/sso/', PASSED_ON),
  row(undefined, 'GET', '/sso/echo', PASSED_ON),
  row(undefined, 'GET', '/sso/echo/nothing', PASSED_ON),
  row(undefined, 'GET', '/sso/echo/login//', PASSED_ON),
  row(undefined, 'GET', '/sso/echo/login.json', PASSED_ON),
  row(undefined, 'GET', '/sso/echo/login/extra', PASSED_ON),
  row(undefined, 'GET', '/sso/echo/log%69n', PASSED_ON),
  row(undefined, 'GET', '/sso/echo/items/', PASSED_ON),
  row(undefined, 'GET', '/sso/echo/items/a/b', PASSED_ON),
  row(undefined, 'GET', '/ssoecho/login', PASSED_ON),
  row(undefined, 'GET', '/sso-admin/echo/login', PASSED_ON),
  row(undefined, 'GET', '/sso/%ZZ', PASSED_ON),
]

const OUTSIDE_PREFIX: Row[] = [
  row(undefined, 'GET', '/', PASSED_ON),
  row(undefined, 'GET', '/login', PASSED_ON),
  row(undefined, 'GET', '/other/sso/echo/login', PASSED_ON),
  row(undefined, 'POST', '/api/echo/token', PASSED_ON),
]

const CUSTOM_BASE_PATHS: Row[] = [
  row('/auth/sso', 'GET', '/auth/sso/echo/login', login()),
  row('/auth/sso', 'GET', '/sso/echo/login', PASSED_ON),
  row('/auth/sso', 'GET', '/auth/echo/login', PASSED_ON),
  row('/auth/sso/', 'GET', '/auth/sso/echo/login', login()),
  row('/auth/sso/', 'GET', '/auth/sso//echo/login', PASSED_ON),
  row('/', 'GET', '/echo/login', login()),
  row('/', 'GET', '/sso/echo/login', PASSED_ON),
  row('/', 'GET', '/', PASSED_ON),
]

const WITH_PARAMS: Row[] = [
  row('/t/:tenant/sso', 'GET', '/t/acme/sso/echo/login', login({ tenant: 'acme' })),
  row('/t/:tenant/sso', 'GET', '/t/acme/sso/echo/login/', login({ tenant: 'acme' })),
  row('/t/:tenant/sso', 'GET', '/t/acme/sso/echo/items/7', {
    route: 'item',
    params: { tenant: 'acme', id: '7' },
  }),
  row('/t/:tenant/sso', 'GET', '/t/ac%C3%A9/sso/echo/login', login({ tenant: 'acé' })),
  row('/t/:tenant/sso', 'POST', '/t/acme/sso/echo/token', {
    route: 'token',
    params: { tenant: 'acme' },
  }),
  row('/t/:tenant/sso', 'GET', '/t//sso/echo/login', PASSED_ON),
  row('/t/:tenant/sso', 'GET', '/t/a/b/sso/echo/login', PASSED_ON),
  row('/t/:tenant/sso', 'GET', '/t/acme/echo/login', PASSED_ON),
  row('/t/:tenant/sso', 'GET', '/sso/echo/login', PASSED_ON),
  row('/t/:tenant/sso', 'GET', '/tenants/acme/sso/echo/login', PASSED_ON),
]

const METHOD_NOT_ALLOWED: Row[] = [
  row(undefined, 'POST', '/sso/echo/login', { status: 405, allow: 'GET, HEAD' }),
  row(undefined, 'PUT', '/sso/echo/login', { status: 405, allow: 'GET, HEAD' }),
  row(undefined, 'DELETE', '/sso/echo/items/1', { status: 405, allow: 'GET, HEAD' }),
  row(undefined, 'GET', '/sso/echo/token', { status: 405, allow: 'POST' }),
  row(undefined, 'HEAD', '/sso/echo/token', { status: 405, allow: 'POST' }),
  row(undefined, 'PATCH', '/sso/echo/token', { status: 405, allow: 'POST' }),
  row('/t/:tenant/sso', 'POST', '/t/acme/sso/echo/login', { status: 405, allow: 'GET, HEAD' }),
]

const BAD_ENCODING: Row[] = [
  row(undefined, 'GET', '/sso/echo/items/%ZZ', badEncoding),
  row(undefined, 'GET', '/sso/echo/items/%E0%A4%A', badEncoding),
  row(undefined, 'GET', '/sso/echo/items/%C3', badEncoding),
  row(undefined, 'GET', '/sso/echo/items/%FF', badEncoding),
  row('/t/:tenant/sso', 'GET', '/t/%ZZ/sso/echo/login', badEncoding),
  row('/t/:tenant/sso', 'GET', '/t/%ED%A0%80/sso/echo/login', badEncoding),
]

// Routes are case-sensitive, like the literal prefix check that decides in one comparison
// whether a request is ours: a differently-cased path is not an SSO route and is passed on.
const CASE: Row[] = [
  row(undefined, 'GET', '/sso/ECHO/LOGIN', PASSED_ON),
  row(undefined, 'GET', '/SSO/echo/login', PASSED_ON),
  row(undefined, 'GET', '/Sso/Echo/Login', PASSED_ON),
  row('/auth/sso', 'GET', '/AUTH/SSO/echo/login', PASSED_ON),
  row('/t/:tenant/sso', 'GET', '/T/Acme/SSO/echo/login', PASSED_ON),
  row('/t/:tenant/sso', 'GET', '/t/Acme/sso/echo/login', login({ tenant: 'Acme' })),
]

const TABLES: [string, Row[]][] = [
  ['default basePath /sso', DEFAULT_BASE_PATH],
  ['non-matching paths under the prefix (passed on)', PASSED_ON_UNDER_PREFIX],
  ['paths outside the prefix (passed on)', OUTSIDE_PREFIX],
  ['custom basePath', CUSTOM_BASE_PATHS],
  ['basePath with params', WITH_PARAMS],
  ['method not allowed (405 with Allow)', METHOD_NOT_ALLOWED],
  ['bad percent-encoding in a matched segment (400)', BAD_ENCODING],
  ['letter case', CASE],
]

interface Observed {
  status: number
  passedOn: boolean
  allow: string | null
  body: string
}

function check(observed: Observed, expected: Expected): void {
  if ('passedOn' in expected) {
    expect(observed.passedOn).toBe(true)
    return
  }
  expect(observed.passedOn).toBe(false)
  if ('route' in expected) {
    expect(observed.status).toBe(200)
    expect(JSON.parse(observed.body)).toEqual(expected)
  } else if (expected.status === 405) {
    expect(observed.status).toBe(405)
    expect(observed.allow).toBe(expected.allow)
    if (observed.body) {
      expect(JSON.parse(observed.body)).toMatchObject({
        error: { code: 'ERR_SSO_METHOD_NOT_ALLOWED' },
      })
    }
  } else {
    expect(observed.status).toBe(400)
    expect(observed.body).toContain(expected.code)
  }
}

const options = (basePath: string | undefined) => ({
  getUser: () => null,
  vendors: [echo],
  ...(basePath === undefined ? {} : { basePath }),
})

describe.each(TABLES)('route matching: %s', (_name, rows) => {
  describe('through the Fetch adapter', () => {
    it.each(rows.map((r) => [r.title, r] as const))(
      '%s',
      async (_title, { basePath, method, target, expected }) => {
        const handler = ssoHandler(options(basePath))
        const response = await handler(new Request(`http://app.example${target}`, { method }))
        check(
          {
            status: response?.status ?? 0,
            passedOn: response === null,
            allow: response?.headers.get('allow') ?? null,
            body: response ? await response.text() : '',
          },
          expected,
        )
      },
    )
  })

  describe('through the Connect adapter on node:http', () => {
    let server: Listening | undefined
    afterEach(async () => {
      await server?.close()
      server = undefined
    })

    it.each(rows.map((r) => [r.title, r] as const))(
      '%s',
      async (_title, { basePath, method, target, expected }) => {
        const middleware = ssoMiddleware(options(basePath))
        server = await listen((req, res) =>
          middleware(req, res, () => {
            res.statusCode = 404
            res.setHeader('x-passed-on', '1')
            res.end()
          }),
        )
        const response = await fetch(`${server.url}${target}`, { method, redirect: 'manual' })
        check(
          {
            status: response.status,
            passedOn: response.headers.get('x-passed-on') === '1',
            allow: response.headers.get('allow'),
            body: await response.text(),
          },
          expected,
        )
      },
    )
  })
})

describe('route matching: HEAD', () => {
  it('answers HEAD on a GET route like GET, without a body', async () => {
    const handler = ssoHandler(options(undefined))
    const get = await handler(new Request('http://app.example/sso/echo/login'))
    const head = await handler(new Request('http://app.example/sso/echo/login', { method: 'HEAD' }))
    expect(head?.status).toBe(200)
    expect(head?.headers.get('content-type')).toBe(get?.headers.get('content-type'))
    expect(await head?.text()).toBe('')
  })
})
