// Configuration is checked once, at construction: a bad config throws ERR_SSO_CONFIG there,
// naming the option and the fix.
import { describe, expect, it } from 'vitest'
import {
  defineVendor,
  type SsoOptions,
  SsoError,
  ssoHandler,
  ssoMiddleware,
  type Vendor,
  type VendorRoute,
} from '../../src/index'
import { acme } from '@sso/fixtures'

const WHERE = 'ssoMiddleware()'
const getUser = () => null

/** Returns the error `fn` throws (failing the test when it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw, got none')
}

function route(overrides: Partial<VendorRoute> = {}): VendorRoute {
  return {
    name: 'login',
    method: 'GET',
    path: '/other/login',
    kind: 'browser',
    handle: () => ({ kind: 'html', body: '' }),
    ...overrides,
  }
}

function vendor(id: string, routes: VendorRoute[]): Vendor {
  return defineVendor({ id, routes })
}

/** A vendor factory, as a user might forget to call it. */
function beta(): Vendor {
  return vendor('beta', [route({ path: '/beta/login' })])
}

const notCalled = (i: number, name: string) =>
  `\`vendors[${i}]\` is the factory \`${name}\` itself; call it with its options: ${name}({ ... }).`
const getUserMessage =
  '`getUser` must be a function returning the signed-in user or null, e.g. (req) => req.session?.user ?? null.'
const vendorsMessage = '`vendors` must be a non-empty array, e.g. [komo({ secret })].'
const notAVendor = (i: number) =>
  `\`vendors[${i}]\` is not a vendor; build one with defineVendor().`
const loginUrlMessage =
  '`loginUrl` must be a path such as "/login", an absolute http(s) URL, or a function (returnTo, req) => string.'
const basePathMessage = (got: string) =>
  `ssoMiddleware({ basePath }): must be a path starting with one "/", such as "/sso"; got ${got}.`
const duplicateRoute = (method: string, path: string) =>
  `ssoMiddleware({ vendors }): two routes answer ${method} ${path}; rename one with the vendor's \`paths\` option, or mount each vendor once.`
const KNOWN =
  'getUser, vendors, loginUrl, basePath, onLogout, onEvent, onError, exposeErrors, inspector, tenants'

/** [what is wrong, options, the full message] */
const CONFIG_ERRORS: [string, () => unknown, string][] = [
  [
    'no options at all',
    () => undefined,
    `${WHERE}: takes an options object: ssoMiddleware({ getUser, vendors: [...] }).`,
  ],
  [
    'null options',
    () => null,
    `${WHERE}: takes an options object: ssoMiddleware({ getUser, vendors: [...] }).`,
  ],
  ['a missing getUser', () => ({ vendors: [acme()] }), `${WHERE}: ${getUserMessage}`],
  [
    'a getUser that is not a function',
    () => ({ getUser: { id: 'u1' }, vendors: [acme()] }),
    `${WHERE}: ${getUserMessage}`,
  ],
  ['missing vendors', () => ({ getUser }), `${WHERE}: ${vendorsMessage}`],
  ['empty vendors', () => ({ getUser, vendors: [] }), `${WHERE}: ${vendorsMessage}`],
  [
    'a single vendor not in an array',
    () => ({ getUser, vendors: acme() }),
    `${WHERE}: ${vendorsMessage}`,
  ],
  [
    'a factory passed uncalled',
    () => ({ getUser, vendors: [acme] }),
    `${WHERE}: ${notCalled(0, 'acme')}`,
  ],
  [
    'a second factory passed uncalled',
    () => ({ getUser, vendors: [acme(), beta] }),
    `${WHERE}: ${notCalled(1, 'beta')}`,
  ],
  [
    'something that is not a vendor',
    () => ({ getUser, vendors: [{ id: 'acme' }] }),
    `${WHERE}: ${notAVendor(0)}`,
  ],
  ['a null vendor', () => ({ getUser, vendors: [acme(), null] }), `${WHERE}: ${notAVendor(1)}`],
  [
    'a vendor name as a string',
    () => ({ getUser, vendors: ['acme'] }),
    `${WHERE}: ${notAVendor(0)}`,
  ],
  [
    'the same vendor id twice',
    () => ({ getUser, vendors: [acme(), acme()] }),
    `${WHERE}: vendor "acme" is mounted twice; mount it once, or give one a different basePath in another ssoMiddleware().`,
  ],
  [
    'two vendors answering the same route',
    () => ({ getUser, vendors: [acme(), vendor('copy', [route({ path: '/acme/login' })])] }),
    duplicateRoute('GET', '/sso/acme/login'),
  ],
  [
    'a route renamed onto another vendor’s route',
    () => ({ getUser, vendors: [beta(), acme({ paths: { profile: '/beta/login' } })] }),
    duplicateRoute('GET', '/sso/beta/login'),
  ],
  [
    'two routes of one vendor on the same method and path',
    () => ({
      getUser,
      vendors: [
        vendor('twin', [route({ name: 'a', path: '/x' }), route({ name: 'b', path: '/x' })]),
      ],
    }),
    duplicateRoute('GET', '/sso/x'),
  ],
  [
    'a basePath without a leading slash',
    () => ({ getUser, vendors: [acme()], basePath: 'sso' }),
    basePathMessage('"sso"'),
  ],
  [
    'a basePath starting with //',
    () => ({ getUser, vendors: [acme()], basePath: '//sso' }),
    basePathMessage('"//sso"'),
  ],
  [
    'an empty basePath',
    () => ({ getUser, vendors: [acme()], basePath: '' }),
    basePathMessage('""'),
  ],
  [
    'a basePath that is not a string',
    () => ({ getUser, vendors: [acme()], basePath: 42 }),
    basePathMessage('42'),
  ],
  [
    'a basePath path-to-regexp cannot parse',
    () => ({ getUser, vendors: [acme()], basePath: '/t/:/sso' }),
    'ssoMiddleware({ basePath }): "/t/:/sso" is not a valid path-to-regexp path (Missing parameter name at index 4: /t/:/sso; visit https://git.new/pathToRegexpError for info).',
  ],
  [
    'a basePath with an unbalanced group',
    () => ({ getUser, vendors: [acme()], basePath: '/sso{' }),
    'ssoMiddleware({ basePath }): "/sso{" is not a valid path-to-regexp path (Unexpected end at index 5, expected }: /sso{; visit https://git.new/pathToRegexpError for info).',
  ],
  [
    'a route path path-to-regexp cannot parse',
    () => ({ getUser, vendors: [vendor('bad', [route({ path: '/bad/:' })])] }),
    'route path: "/sso/bad/:" is not a valid path-to-regexp path (Missing parameter name at index 10: /sso/bad/:; visit https://git.new/pathToRegexpError for info).',
  ],
  [
    'a relative loginUrl',
    () => ({ getUser, vendors: [acme()], loginUrl: 'login' }),
    `${WHERE}: ${loginUrlMessage}`,
  ],
  [
    'a protocol-relative loginUrl',
    () => ({ getUser, vendors: [acme()], loginUrl: '//evil.com/login' }),
    `${WHERE}: ${loginUrlMessage}`,
  ],
  [
    'a loginUrl starting with /\\',
    () => ({ getUser, vendors: [acme()], loginUrl: '/\\evil.com' }),
    `${WHERE}: ${loginUrlMessage}`,
  ],
  [
    'a javascript: loginUrl',
    () => ({ getUser, vendors: [acme()], loginUrl: 'javascript:alert(1)' }),
    `${WHERE}: ${loginUrlMessage}`,
  ],
  [
    'an ftp: loginUrl',
    () => ({ getUser, vendors: [acme()], loginUrl: 'ftp://files.example/login' }),
    `${WHERE}: ${loginUrlMessage}`,
  ],
  [
    'an empty loginUrl',
    () => ({ getUser, vendors: [acme()], loginUrl: '' }),
    `${WHERE}: ${loginUrlMessage}`,
  ],
  [
    'a loginUrl that is not a string',
    () => ({ getUser, vendors: [acme()], loginUrl: { path: '/login' } }),
    `${WHERE}: ${loginUrlMessage}`,
  ],
  [
    'a misspelt basePath',
    () => ({ getUser, vendors: [acme()], basepath: '/auth' }),
    `${WHERE}: unknown option \`basepath\`; did you mean \`basePath\`?`,
  ],
  [
    'a misspelt loginUrl',
    () => ({ getUser, vendors: [acme()], loginURL: '/login' }),
    `${WHERE}: unknown option \`loginURL\`; did you mean \`loginUrl\`?`,
  ],
  [
    'a misspelt onError',
    () => ({ getUser, vendors: [acme()], onErorr: 'next' }),
    `${WHERE}: unknown option \`onErorr\`; did you mean \`onError\`?`,
  ],
  [
    'a misspelt getUser',
    () => ({ getuser: getUser, vendors: [acme()] }),
    `${WHERE}: unknown option \`getuser\`; did you mean \`getUser\`?`,
  ],
  [
    'a misspelt vendors',
    () => ({ getUser, vendor: [acme()] }),
    `${WHERE}: unknown option \`vendor\`; did you mean \`vendors\`?`,
  ],
  [
    'an unknown option with no near match',
    () => ({ getUser, vendors: [acme()], secret: 'x' }),
    `${WHERE}: unknown option \`secret\`; known options are ${KNOWN}.`,
  ],
  [
    'an onError that is neither "respond" nor "next"',
    () => ({ getUser, vendors: [acme()], onError: 'throw' }),
    `${WHERE}: \`onError\` must be "respond" (the default) or "next".`,
  ],
  [
    'an onError that is a function',
    () => ({ getUser, vendors: [acme()], onError: () => {} }),
    `${WHERE}: \`onError\` must be "respond" (the default) or "next".`,
  ],
  [
    'an onEvent that is not a function',
    () => ({ getUser, vendors: [acme()], onEvent: 'log' }),
    `${WHERE}: \`onEvent\` must be a function.`,
  ],
  [
    'an onLogout that is not a function',
    () => ({ getUser, vendors: [acme()], onLogout: '/logout' }),
    `${WHERE}: \`onLogout\` must be a function.`,
  ],
]

describe('ssoMiddleware() refuses a bad configuration at construction', () => {
  it.each(CONFIG_ERRORS)('refuses %s', (_name, options, message) => {
    const error = thrown(() => ssoMiddleware(options() as SsoOptions))
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', status: 500, message })
  })
})

describe('ssoHandler() refuses the same configurations', () => {
  it.each(CONFIG_ERRORS)('refuses %s', (_name, options, message) => {
    const error = thrown(() => ssoHandler(options() as SsoOptions<Request>))
    expect(error).toBeInstanceOf(SsoError)
    // The same message, naming the factory the user called (`ssoHandler({ basePath })`, too).
    const named = message.replaceAll('ssoMiddleware', 'ssoHandler')
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message: named })
  })

  it('names ssoHandler(), the factory the user called, in its messages', () => {
    const error = thrown(() => ssoHandler({ vendors: [acme()] } as unknown as SsoOptions<Request>))
    expect(error).toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message: `ssoHandler(): ${getUserMessage}`,
    })
  })
})

describe('ssoMiddleware() accepts every valid configuration', () => {
  it.each([
    ['the minimum', {}],
    ['a custom basePath', { basePath: '/auth/sso' }],
    ['a basePath with params', { basePath: '/t/:tenant/sso' }],
    ['basePath /', { basePath: '/' }],
    ['a path loginUrl with a query', { loginUrl: '/login?from=sso' }],
    ['an absolute loginUrl', { loginUrl: 'https://accounts.example/login' }],
    ['a loginUrl function', { loginUrl: (returnTo: string) => `/login#${returnTo}` }],
    ['every hook', { onLogout: () => {}, onEvent: () => {}, onError: 'next', exposeErrors: false }],
    ["onError: 'respond'", { onError: 'respond' }],
    ['two vendors', { vendors: [acme(), beta()] }],
    [
      // Routes are case-sensitive, so these are two routes, not one mounted twice.
      'two routes that differ only in case',
      { vendors: [acme(), vendor('copy', [route({ path: '/ACME/Login' })])] },
    ],
    [
      'GET and POST on the same path',
      {
        vendors: [
          vendor('pair', [
            route({ name: 'get', path: '/pair' }),
            route({ name: 'post', method: 'POST', path: '/pair' }),
          ]),
        ],
      },
    ],
  ])('accepts %s', (_name, extra) => {
    const middleware = ssoMiddleware({ getUser, vendors: [acme()], ...extra } as SsoOptions)
    expect(typeof middleware).toBe('function')
    expect(middleware.length).toBe(3)
  })
})

describe('defineVendor() refuses a bad vendor definition', () => {
  const where = 'defineVendor("acme")'
  const CASES: [string, unknown, string][] = [
    ['no definition', null, 'defineVendor(): takes an object `{ id, routes }`.'],
    [
      'an upper-case id',
      { id: 'Acme', routes: [route()] },
      'defineVendor("Acme"): `id` must be lower-case letters, digits and dashes, e.g. "acme".',
    ],
    [
      'an id with a space',
      { id: 'ac me', routes: [route()] },
      'defineVendor("ac me"): `id` must be lower-case letters, digits and dashes, e.g. "acme".',
    ],
    ['no routes', { id: 'acme', routes: [] }, `${where}: \`routes\` must be a non-empty array.`],
    [
      'a route without a name',
      { id: 'acme', routes: [route({ name: '' })] },
      `${where}: every route needs a \`name\`.`,
    ],
    [
      'a route name used twice',
      { id: 'acme', routes: [route(), route({ path: '/b' })] },
      `${where}: route name "login" is used twice.`,
    ],
    [
      'a method other than GET or POST',
      { id: 'acme', routes: [route({ method: 'PUT' as 'GET' })] },
      `${where}: route "login": \`method\` must be "GET" or "POST".`,
    ],
    [
      'an unknown kind',
      { id: 'acme', routes: [route({ kind: 'page' as 'api' })] },
      `${where}: route "login": \`kind\` must be "browser" or "api".`,
    ],
    [
      'a path without a leading slash',
      { id: 'acme', routes: [route({ path: 'acme/login' })] },
      `${where}: route "login": \`path\` must start with "/".`,
    ],
    [
      'a route without handle',
      { id: 'acme', routes: [{ ...route(), handle: undefined }] },
      `${where}: route "login": \`handle\` must be a function.`,
    ],
  ]

  it.each(CASES)('refuses %s', (_name, definition, message) => {
    const error = thrown(() => defineVendor(definition as Parameters<typeof defineVendor>[0]))
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message })
  })

  it.each([
    [
      'an override for a route it does not have',
      { signin: '/x' },
      'acme({ paths }): has no route "signin"; its routes are "login".',
    ],
    [
      'an override without a leading slash',
      { login: 'kb/login' },
      'acme({ paths }): "login" must be a path starting with "/".',
    ],
  ])('refuses %s in paths', (_name, paths, message) => {
    const error = thrown(() => defineVendor({ id: 'acme', routes: [route()] }, paths))
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message })
  })
})
