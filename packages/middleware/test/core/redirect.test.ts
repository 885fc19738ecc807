import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSafeRelativePath, SsoError, ssoHandler } from '../../src/index'
import { checkRedirectUrl, compileAllowList, isLoopbackHost } from '../../src/vendor-kit'
import { MAX_PATH_LENGTH, MAX_URL_LENGTH } from '../../src/core/redirect'
import { acme, ADA, byName } from '@sso/fixtures'

const ALLOWED_HOSTS = ['help.acme.com', '*.kustomer.help', 'http://127.0.0.1:4001']
const WHERE = 'kustomer({ allowedHosts })'
const PARAM = 'kustomerRedirectUri'
const allowList = compileAllowList(ALLOWED_HOSTS, WHERE)

/** Pads an allowed URL's path to exactly `length` characters. */
const urlOfLength = (length: number) => 'https://acme.kustomer.help/'.padEnd(length, 'a')

const REASONS = [
  'is missing.',
  `is longer than ${MAX_URL_LENGTH} characters.`,
  'holds characters a URL may not hold.',
  'is not an absolute http(s) URL with a plain host.',
  'is not a valid URL.',
  'holds credentials.',
  'is not on the allow-list.',
]

/** Returns the error `fn` throws (failing the test when it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw, got none')
}

describe('checkRedirectUrl: legitimate targets still receive the token', () => {
  const LEGITIMATE: [string, string, string][] = [
    ['exact host', 'https://help.acme.com/', 'help.acme.com'],
    [
      'exact host with path, query and fragment',
      'https://help.acme.com/kb/login?x=1&y=2#top',
      'help.acme.com',
    ],
    ['exact host without a path', 'https://help.acme.com', 'help.acme.com'],
    [
      'exact host with the default port spelled out',
      'https://help.acme.com:443/x',
      'help.acme.com',
    ],
    [
      'exact host in upper case (hosts are case-insensitive)',
      'https://HELP.ACME.COM/',
      'help.acme.com',
    ],
    ['upper-case scheme', 'HTTPS://help.acme.com/', 'help.acme.com'],
    ['*.suffix with one label', 'https://acme.kustomer.help/login', 'acme.kustomer.help'],
    [
      '*.suffix with several labels',
      'https://eu.west.acme.kustomer.help/x',
      'eu.west.acme.kustomer.help',
    ],
    [
      '*.suffix with a punycode label',
      'https://xn--caf-dma.kustomer.help/',
      'xn--caf-dma.kustomer.help',
    ],
    ['*.suffix with digits and dashes', 'https://acme-2.kustomer.help/', 'acme-2.kustomer.help'],
    [
      'configured loopback http origin with port',
      'http://127.0.0.1:4001/callback?x=1',
      '127.0.0.1',
    ],
    ['configured loopback origin without a path', 'http://127.0.0.1:4001', '127.0.0.1'],
    [
      'encoded separators in the path only',
      'https://acme.kustomer.help/%2F%2Fevil.com%5C%40',
      'acme.kustomer.help',
    ],
    [
      'an @ after the path starts',
      'https://acme.kustomer.help/user@evil.com',
      'acme.kustomer.help',
    ],
    ['an @ in the fragment', 'https://acme.kustomer.help#@evil.com', 'acme.kustomer.help'],
    [`exactly ${MAX_URL_LENGTH} characters`, urlOfLength(MAX_URL_LENGTH), 'acme.kustomer.help'],
  ]

  it.each(LEGITIMATE)('accepts %s', (_name, raw, host) => {
    const url = checkRedirectUrl(raw, allowList, PARAM)
    expect(url).toBeInstanceOf(URL)
    expect(url.hostname).toBe(host)
  })

  const ORIGIN_ENTRIES: [string, string[], string][] = [
    ['an https origin with a port', ['https://acme.example:8443'], 'https://acme.example:8443/sso'],
    ['a localhost origin', ['http://localhost:3000'], 'http://localhost:3000/cb'],
    ['a *.localhost origin', ['http://app.localhost:3000'], 'http://app.localhost:3000/cb'],
    ['an [::1] origin', ['http://[::1]:4001'], 'http://[::1]:4001/cb'],
    [
      'an origin written with a trailing slash',
      ['http://127.0.0.1:4001/'],
      'http://127.0.0.1:4001/x',
    ],
    ['an entry written in upper case', ['ACME.Example'], 'https://acme.example/'],
  ]

  it.each(ORIGIN_ENTRIES)('accepts a target matching %s', (_name, entries, raw) => {
    const list = compileAllowList(entries, WHERE)
    expect(checkRedirectUrl(raw, list, PARAM).href).toBe(new URL(raw).href)
  })
})

interface AttackClass {
  name: string
  cases: string[]
  /** The exact reason when the class has one. */
  reason?: string
}

const ATTACKS: AttackClass[] = [
  {
    name: 'protocol-relative and scheme-less',
    cases: [
      '//evil.com',
      '//acme.kustomer.help/',
      '///evil.com',
      '////evil.com/',
      'https:evil.com',
      'https:/evil.com',
      'https:///evil.com',
      'https:acme.kustomer.help',
      'https:/acme.kustomer.help',
      'evil.com',
      'acme.kustomer.help',
      '/relative/path',
      '',
    ],
  },
  {
    name: 'backslashes',
    cases: [
      'https://acme.kustomer.help\\@evil.com',
      'https:\\\\evil.com',
      'https:/\\evil.com',
      'https://evil.com\\.acme.kustomer.help',
      'https://evil.com\\acme.kustomer.help/',
      '\\\\evil.com',
      '/\\evil.com',
      'https://acme.kustomer.help/\\evil',
    ],
    reason: 'holds characters a URL may not hold.',
  },
  {
    name: 'userinfo',
    cases: [
      'https://user@acme.kustomer.help/',
      'https://user:pass@acme.kustomer.help/',
      'https://:@acme.kustomer.help/',
      'https://acme.kustomer.help@evil.com/',
      'https://acme.kustomer.help:443@evil.com/',
      'https://evil.com@acme.kustomer.help/',
      'https://help.acme.com@evil.com',
      'http://x@127.0.0.1:4001/',
    ],
  },
  {
    name: 'look-alike hosts',
    cases: [
      'https://evilkustomer.help/',
      'https://kustomer.help.evil.com/',
      'https://kustomer.help/',
      'https://acme.kustomer.help.evil.com/',
      'https://acme-kustomer.help/',
      'https://kustomer.helpx/',
      'https://acme.kustomer.hel/',
      'https://acmekustomer.help/',
      'https://xhelp.acme.com/',
      'https://help.acme.com.evil.com/',
      'https://sub.help.acme.com/',
      'https://acme.com/',
      'https://help.acme.co/',
      'https://evil.com/?host=acme.kustomer.help',
      'https://evil.com#.acme.kustomer.help',
      'https://evil.com?.acme.kustomer.help',
    ],
    reason: 'is not on the allow-list.',
  },
  {
    name: 'encoded separators in the host',
    cases: [
      'https://evil.com%2F.acme.kustomer.help/',
      'https://evil.com%2f@acme.kustomer.help/',
      'https://evil.com%5C.acme.kustomer.help/',
      'https://evil.com%5c@acme.kustomer.help/',
      'https://evil.com%40acme.kustomer.help/',
      'https://acme.kustomer.help%40evil.com/',
      'https://acme%2Ekustomer%2Ehelp/',
      'https://acme.kustomer%2ehelp/',
      'https://evil.com%23.acme.kustomer.help/',
      'https://evil.com%3F.acme.kustomer.help/',
      'https://%65vil.com/',
      'https%3A%2F%2Facme.kustomer.help/',
      'https:%2F%2Facme.kustomer.help/',
    ],
  },
  {
    name: 'control characters and CR/LF',
    cases: [
      'https://acme.kustomer.help/\r\nSet-Cookie: a=b',
      'https://acme.kustomer.help/\n',
      'https://acme.kustomer.help\r/',
      'https://acme.kustomer.help/\u0000',
      'https://evil.com\u0000.acme.kustomer.help/',
      '\u0001https://acme.kustomer.help/',
      'https://acme.kustomer.help/\u007f',
      'https://acme.kustomer.help/\u001b[31m',
      'https://acme.kustomer.help/\u0085',
    ],
    reason: 'holds characters a URL may not hold.',
  },
  {
    name: 'tabs and spaces (which URL parsers strip or keep differently)',
    cases: [
      'https://acme.kust\tomer.help/',
      'https://evil\t.com/',
      '\thttps://acme.kustomer.help/',
      'https://acme.kustomer.help/\t',
      'ht\ttps://acme.kustomer.help/',
      'https:/\t/acme.kustomer.help/',
      ' https://acme.kustomer.help/',
      'https://acme.kustomer.help /',
      'https://evil.com /.acme.kustomer.help',
    ],
    reason: 'holds characters a URL may not hold.',
  },
  {
    name: 'schemes other than https',
    cases: [
      'http://acme.kustomer.help/',
      'http://help.acme.com/',
      'ftp://acme.kustomer.help/',
      'ws://acme.kustomer.help/',
      'wss://acme.kustomer.help/',
      'file:///etc/passwd',
      'file://acme.kustomer.help/',
      'https://127.0.0.1:4001/',
      'http://localhost:4001/',
    ],
  },
  {
    name: 'javascript: and data:',
    cases: [
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      'javascript://acme.kustomer.help/%0Aalert(1)',
      'javascript:https://acme.kustomer.help/',
      'data:text/html,<script>alert(1)</script>',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'vbscript:msgbox(1)',
      'blob:https://acme.kustomer.help/0b1c',
    ],
  },
  {
    name: 'IP literals',
    cases: [
      'https://127.0.0.1/',
      'https://10.0.0.1/',
      'https://169.254.169.254/latest/meta-data/',
      'https://2130706433/',
      'https://0x7f000001/',
      'https://0x7f.0.0.1/',
      'https://0177.0.0.1/',
      'https://017700000001/',
      'https://127.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[0:0:0:0:0:0:0:1]/',
      'https://[fe80::1]/',
      'http://[::1]:4001/',
      'http://127.0.0.2:4001/',
    ],
  },
  {
    name: 'non-default ports',
    cases: [
      'https://acme.kustomer.help:8443/',
      'https://help.acme.com:444/',
      'https://acme.kustomer.help:80/',
      'https://acme.kustomer.help:65535/',
      'http://127.0.0.1:4002/',
      'http://127.0.0.1/',
      'http://127.0.0.1:80/',
    ],
    reason: 'is not on the allow-list.',
  },
  {
    name: 'Unicode dots, slashes and look-alike letters',
    cases: [
      'https://acme\u3002kustomer\u3002help/',
      'https://acme\uff0ekustomer\uff0ehelp/',
      'https://acme\uff61kustomer\uff61help/',
      'https://evil.com\u2215.acme.kustomer.help/',
      'https://evil.com\uff0f.acme.kustomer.help/',
      'https://evil.com\u2044acme.kustomer.help',
      'https://evil.com\uff03.acme.kustomer.help',
      'https://\u0430cme.kustomer.help/',
      'https://acme.kustomer.help\u2028/',
      'https://acme.kustomer.help\u00a0/',
      'https://acme.kustomer.help/\ufeff',
    ],
    reason: 'holds characters a URL may not hold.',
  },
  {
    name: `overlong (over ${MAX_URL_LENGTH} characters)`,
    cases: [urlOfLength(MAX_URL_LENGTH + 1), urlOfLength(10_000), urlOfLength(1_000_000)],
    reason: `is longer than ${MAX_URL_LENGTH} characters.`,
  },
  {
    name: 'upper-case look-alike hosts',
    cases: [
      'https://EVIL.COM/',
      'https://ACME.KUSTOMER.HELP.EVIL.COM/',
      'https://EVILKUSTOMER.HELP/',
      'HTTPS://KUSTOMER.HELP/',
      'HTTP://ACME.KUSTOMER.HELP/',
    ],
  },
  {
    // `*.suffix` matches "one or more labels before .suffix" (DESIGN rule 1): a DNS label is
    // letters, digits and inner dashes, never empty, never sub-delimiters or a literal `*`.
    name: 'hosts under a wildcard suffix that are not DNS labels',
    cases: [
      'https://evil.com;.kustomer.help/',
      "https://evil.com'.kustomer.help/",
      'https://evil.com&x=.kustomer.help/',
      'https://evil.com$.kustomer.help/',
      'https://x!.kustomer.help/',
      'https://*.kustomer.help/',
      'https://..kustomer.help/',
      'https://a..kustomer.help/',
      'https://-.kustomer.help/',
      'https://-acme.kustomer.help/',
    ],
    reason: 'is not on the allow-list.',
  },
  {
    name: 'trailing dots',
    cases: [
      'https://acme.kustomer.help./',
      'https://help.acme.com./',
      'https://acme.kustomer.help../',
      'https://kustomer.help./',
      'https://acme.kustomer.help.:443/',
    ],
  },
]

describe.each(byName(ATTACKS))('checkRedirectUrl refuses %s', (_name, { cases, reason }) => {
  it.each(
    cases.map((raw) => [JSON.stringify(raw.length > 80 ? `${raw.slice(0, 60)}…` : raw), raw]),
  )('%s', (_label, raw) => {
    const error = thrown(() => checkRedirectUrl(raw, allowList, PARAM, 'kustomer'))
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({
      code: 'ERR_SSO_REDIRECT_NOT_ALLOWED',
      status: 400,
      vendor: 'kustomer',
      message: expect.stringMatching(new RegExp(`^${PARAM} `)),
    })
    const { message } = error as SsoError
    if (reason) expect(message).toBe(`${PARAM} ${reason}`)
    else expect(REASONS.map((r) => `${PARAM} ${r}`)).toContain(message)
  })

  it('never sends a token there, whether the vendor checks the target or leaves it to the core', async () => {
    const handler = ssoHandler({
      getUser: () => ADA,
      vendors: [acme({ allowedHosts: ALLOWED_HOSTS })],
    })
    // The login route checks `redirect_url` itself; the forward route leaves it to the core.
    for (const route of ['login?redirect_url=', 'forward?to=']) {
      for (const raw of cases.filter((c) => c.length > 0 && c.length < 10_000)) {
        const response = await handler(
          new Request(`http://app.example/sso/acme/${route}${encodeURIComponent(raw)}`),
        )
        expect(response?.status, `${route}${JSON.stringify(raw)}`).toBe(400)
        expect(response?.headers.get('location')).toBeNull()
        const body = (await response?.text()) ?? ''
        // Over the query reader's 4,096-character limit the parameter is refused as a bad request.
        expect(body).toMatch(/ERR_SSO_REDIRECT_NOT_ALLOWED|ERR_SSO_BAD_REQUEST/)
        expect(body).not.toContain('eyJ')
      }
    }
  })
})

describe('checkRedirectUrl never echoes the refused value', () => {
  it.each([
    ['a look-alike host', 'https://kustomer.help.evil-marker.com/'],
    ['userinfo', 'https://evil-marker@acme.kustomer.help/'],
    ['a javascript: URL', 'javascript:evil-marker()'],
  ])('leaves %s out of the message', (_name, raw) => {
    const error = thrown(() => checkRedirectUrl(raw, allowList, PARAM))
    expect(String((error as Error).message)).not.toContain('evil-marker')
  })
})

describe('checkRedirectUrl holds its invariants for generated URLs', () => {
  const pieces = fc.constantFrom(
    'https:',
    'http:',
    '//',
    '/',
    '\\',
    '@',
    '.',
    ':',
    '#',
    '?',
    '%2F',
    '%40',
    '%2E',
    '\t',
    '\u3002',
    'acme',
    'kustomer',
    'help',
    'help.acme.com',
    '.kustomer.help',
    'evil.com',
    '127.0.0.1',
    '4001',
    '443',
    '8443',
    '[::1]',
  )

  it('accepts only https URLs on the allow-list (or the configured loopback origin), without credentials', () => {
    fc.assert(
      fc.property(fc.array(pieces, { minLength: 1, maxLength: 10 }), (parts) => {
        const raw = parts.join('')
        let url: URL
        try {
          url = checkRedirectUrl(raw, allowList, PARAM)
        } catch (error) {
          expect(error).toMatchObject({ code: 'ERR_SSO_REDIRECT_NOT_ALLOWED' })
          return
        }
        // What a browser would do with the same string must agree with what was checked.
        const reparsed = new URL(raw)
        expect(reparsed.origin).toBe(url.origin)
        expect(reparsed.username + reparsed.password).toBe('')
        const host = reparsed.hostname
        const ok =
          reparsed.origin === 'http://127.0.0.1:4001' ||
          (reparsed.protocol === 'https:' &&
            reparsed.port === '' &&
            (host === 'help.acme.com' ||
              (host.endsWith('.kustomer.help') && host !== '.kustomer.help')))
        expect(ok, raw).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['app.localhost', true],
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['[::1]', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['0.0.0.0', false],
    ['localhost.evil.com', false],
    ['mylocalhost', false],
    ['[::ffff:127.0.0.1]', false],
    ['acme.example', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected)
  })
})

describe('compileAllowList refuses bad entries at construction', () => {
  const ip = '(IP addresses and ports go in an origin entry such as "http://127.0.0.1:4001").'
  const wildcard = 'a wildcard needs a registrable suffix such as "*.kustomer.help".'
  const bareOrigin = 'must be a bare origin such as "http://127.0.0.1:4001".'
  const httpOnlyLoopback = 'http is allowed only for loopback hosts; use https.'
  const CONFIG_ERRORS: [string, unknown, string][] = [
    ['an empty list', [], 'needs at least one host, e.g. ["acme.example.com"].'],
    [
      'a string instead of a list',
      'acme.example',
      'needs at least one host, e.g. ["acme.example.com"].',
    ],
    ['an empty entry', [''], '"" is not a host name.'],
    ['an entry with a space', [' acme.example'], '" acme.example" is not a host name.'],
    ['an entry with a backslash', ['acme.example\\'], '"acme.example\\\\" is not a host name.'],
    ['a non-string entry', [42], '42 is not a host name.'],
    ['a non-ASCII entry', ['acmé.example'], '"acmé.example" is not a host name.'],
    ['a wildcard over a TLD (*.com)', ['*.com'], `"*.com": ${wildcard}`],
    ['a bare wildcard (*.)', ['*.'], `"*.": ${wildcard}`],
    ['a double wildcard', ['*.*.kustomer.help'], `"*.*.kustomer.help": ${wildcard}`],
    ['a lone *', ['*'], `"*" is not a host name ${ip}`],
    ['a wildcard in the middle', ['acme.*.help'], `"acme.*.help" is not a host name ${ip}`],
    [
      'http for a non-loopback host',
      ['http://acme.example'],
      `"http://acme.example": ${httpOnlyLoopback}`,
    ],
    [
      'http for a non-loopback host with port',
      ['http://acme.example:8080'],
      `"http://acme.example:8080": ${httpOnlyLoopback}`,
    ],
    [
      'http for a private IP',
      ['http://10.0.0.1:4001'],
      `"http://10.0.0.1:4001": ${httpOnlyLoopback}`,
    ],
    [
      'http for a localhost look-alike',
      ['http://localhost.evil.com'],
      `"http://localhost.evil.com": ${httpOnlyLoopback}`,
    ],
    [
      'an origin with a path',
      ['https://acme.example/path'],
      `"https://acme.example/path" ${bareOrigin}`,
    ],
    [
      'an origin with credentials',
      ['https://user@acme.example'],
      `"https://user@acme.example" ${bareOrigin}`,
    ],
    [
      'an origin with a query',
      ['https://acme.example?x'],
      `"https://acme.example?x" ${bareOrigin}`,
    ],
    ['an ftp origin', ['ftp://files.example'], '"ftp://files.example" must be an http(s) origin.'],
    ['a ws origin', ['ws://127.0.0.1:4001'], '"ws://127.0.0.1:4001" must be an http(s) origin.'],
    ['an unparsable origin', ['https://'], '"https://" is not a valid origin.'],
    ['a host with a port', ['acme.example:8443'], `"acme.example:8443" is not a host name ${ip}`],
    ['an IPv4 address', ['127.0.0.1'], `"127.0.0.1" is not a host name ${ip}`],
    ['an IPv6 address', ['[::1]'], `"[::1]" is not a host name ${ip}`],
    ['a trailing dot', ['acme.example.'], `"acme.example." is not a host name ${ip}`],
    ['a label starting with a dash', ['-acme.example'], `"-acme.example" is not a host name ${ip}`],
    ['an underscore', ['acme_x.example'], `"acme_x.example" is not a host name ${ip}`],
    ['a host with a path', ['acme.example/path'], `"acme.example/path" is not a host name ${ip}`],
  ]

  it.each(CONFIG_ERRORS)('refuses %s', (_name, entries, message) => {
    const error = thrown(() => compileAllowList(entries as string[], WHERE))
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message: `${WHERE}: ${message}` })
  })

  it('names every kind of entry it takes in the compiled list', () => {
    expect(compileAllowList(ALLOWED_HOSTS, WHERE).entries).toEqual(ALLOWED_HOSTS)
  })
})

describe('isSafeRelativePath', () => {
  const SAFE = [
    '/',
    '/a',
    '/sso/acme/login?x=1&y=2',
    '/path#frag',
    '/a//b',
    '/a/%2F/b',
    '/?returnTo=//evil.com',
    '/'.padEnd(MAX_PATH_LENGTH, 'a'),
    // Malformed escapes are left as they are, and legitimate ones still pass.
    '/100%25',
    '/search?q=a%20b',
    '/x%',
    '/%zz/a',
    '/%C0%AF',
    // Dots inside a segment, and dot segments after the query, are no dot segments of the path.
    '/v1.2/docs',
    '/a.b/..c/c../',
    '/x?next=../y',
    '/x#./y',
  ]
  it.each(SAFE.map((p) => [p.length > 60 ? `${p.slice(0, 20)}… (${p.length} chars)` : p, p]))(
    'accepts %s',
    (_label, path) => {
      expect(isSafeRelativePath(path)).toBe(true)
    },
  )

  const UNSAFE: [string, unknown[]][] = [
    [
      'not starting with /',
      ['', 'a', 'evil.com/', 'https://evil.com', 'javascript:alert(1)', './/evil.com', ' /a'],
    ],
    [
      'protocol-relative',
      [
        '//evil.com',
        '///evil.com',
        '//',
        '/\\evil.com',
        '\\\\evil.com',
        '/\\/evil.com',
        '\\/evil.com',
      ],
    ],
    [
      'encoded slash or backslash after the first /',
      ['/%2F/evil.com', '/%2fevil.com', '/%5C/evil.com', '/%5cevil.com', '/%2F'],
    ],
    [
      'control characters and CR/LF',
      [
        '/a\r\nSet-Cookie: x=y',
        '/\t/evil.com',
        '/\n/evil.com',
        '/a\u0000',
        '/a\u007f',
        '/\r/evil.com',
      ],
    ],
    [
      // Lenient decoding, as WHATWG URL and servers do: a malformed escape anywhere must not end
      // the check, so `%`, `%zz` or a broken UTF-8 sequence cannot shield the rest.
      'a protocol-relative path behind a malformed escape',
      [
        '/%09/evil.com/%',
        '/%5C/evil.com?%',
        '/%252F/evil.com#%zz',
        '/%2F/evil.com%',
        '/%09/evil.com%C0',
        '/%0A%2Fevil.com?%E2%82',
        '/%25252F/evil.com/%',
      ],
    ],
    [
      // Dot segments normalise away: `/.//evil.com` is `//evil.com` to whoever rebuilds from
      // `pathname`. WHATWG URL reads `%2e` as a dot and `\\` as a slash.
      'dot segments',
      [
        '/.//evil.com',
        '/./%2F/evil.com',
        '/..//evil.com',
        '/%2e%2e/x',
        '/%2e//evil.com',
        '/.%2E//evil.com',
        '/a/../b',
        '/a/.',
        '/a/%252e%252e/%252F/evil.com',
        '/.%09//evil.com',
        '/x/%5C..%5C..%5C/evil.com',
      ],
    ],
    [
      'spaces and non-ASCII',
      ['/a b', '/caf\u00e9', '/\u3002evil.com', '/\uff0fevil.com', '/\u2215evil.com'],
    ],
    [
      `over ${MAX_PATH_LENGTH} characters`,
      ['/'.padEnd(MAX_PATH_LENGTH + 1, 'a'), '/'.padEnd(100_000, 'a')],
    ],
    ['not a string', [null, undefined, 42, ['/a'], { toString: () => '/a' }, new String('/a')]],
  ]
  describe.each(UNSAFE)('refuses %s', (_name, values) => {
    it.each(
      values.map((v) => [
        typeof v === 'string' && v.length > 60
          ? `${v.slice(0, 20)}…`
          : (JSON.stringify(v) ?? String(v)),
        v,
      ]),
    )('%s', (_label, value) => {
      expect(isSafeRelativePath(value)).toBe(false)
    })
  })

  it('is what the core enforces on relative redirects a vendor returns', async () => {
    const handler = ssoHandler({ getUser: () => null, vendors: [acme()] })
    for (const path of [
      '//evil.com',
      '/\\evil.com',
      '/%2F/evil.com',
      '/\t/evil.com',
      'https://evil.com',
    ]) {
      const response = await handler(
        new Request(`http://app.example/sso/acme/back?referrer_uri=${encodeURIComponent(path)}`),
      )
      expect(response?.status, JSON.stringify(path)).toBe(400)
      expect(response?.headers.get('location')).toBeNull()
      expect(await response?.text()).toContain('ERR_SSO_REDIRECT_NOT_ALLOWED')
    }
    const ok = await handler(
      new Request('http://app.example/sso/acme/back?referrer_uri=%2Fhome%3Fx%3D1'),
    )
    expect(ok?.status).toBe(302)
    expect(ok?.headers.get('location')).toBe('/home?x=1')
  })
})
