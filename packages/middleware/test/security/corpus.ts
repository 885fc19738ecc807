// Generates open-redirect attack corpora by class, for any allow-list. Each class is a family
// of tricks crossed with every host kind the configuration names, so a new entry kind or a new
// trick adds a whole family of cases, not one example.

/** What the middleware must do with a value: refuse it, send the token there, or either. */
export type Expect = 'refuse' | 'allow' | 'either'

export interface Case {
  /** The decoded parameter value (for display and, unless `query` is set, for sending). */
  value: string
  expect: Expect
  /** The raw query string to send instead of `param=encodeURIComponent(value)`. */
  query?: string
}

export interface AttackClass<C = Case> {
  name: string
  cases: C[]
}

/** The allow-list a corpus attacks: one entry of each kind. */
export interface Target {
  /** An exact host entry, e.g. `help.acme.com`. */
  exact: string
  /** The suffix of a `*.suffix` entry, e.g. `kustomer.help`. */
  suffix: string
  /** A legitimate host under the suffix, e.g. `acme.kustomer.help`. */
  sub: string
  /** A configured loopback origin, e.g. `http://127.0.0.1:4001`. */
  loopback: string
}

export const EVIL = 'evil.com'

const c =
  (expect: Expect) =>
  (value: string): Case => ({ value, expect })
const refuse = c('refuse')
const allow = c('allow')
const either = c('either')

function klass<C extends { value: string; query?: string }>(
  name: string,
  cases: C[],
): AttackClass<C> {
  const seen = new Set<string>()
  const unique = cases.filter((x) => {
    const key = x.query ?? x.value
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  return { name, cases: unique }
}

/** Parses like a browser; `undefined` when the browser would not navigate at all. */
function parse(value: string): URL | undefined {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

/** `either` when the value is, once parsed, exactly the configured loopback origin; else `refuse`. */
const sameOriginAs = (origin: string) => (value: string) =>
  parse(value)?.origin === new URL(origin).origin ? either(value) : refuse(value)

/** `either` when the parsed host sits inside the wildcard's zone (only the vendor resolves it). */
const inZone = (suffix: string) => (value: string) => {
  const url = parse(value)
  const host = url?.hostname ?? ''
  return url?.protocol === 'https:' &&
    url.port === '' &&
    host.endsWith(`.${suffix}`) &&
    !url.username &&
    !url.password
    ? either(value)
    : refuse(value)
}

const HOMOGLYPHS: Record<string, string[]> = {
  a: ['\u0430', '\u03b1'],
  c: ['\u0441', '\u03f2'],
  e: ['\u0435'],
  o: ['\u043e', '\u03bf', '0'],
  p: ['\u0440'],
  i: ['\u0456', '1'],
  l: ['\u04cf', '1', 'I'],
  s: ['\u0455'],
  h: ['\u04bb'],
  m: ['rn'],
  u: ['\u03c5'],
  k: ['\u03ba'],
  t: ['\u0442'],
}

const toFullwidth = (s: string) =>
  s.replace(/[!-~]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0))

const pad = (prefix: string, length: number) => prefix.padEnd(length, 'a')

function goods(t: Target): string[] {
  return [t.exact, t.sub]
}

/** Targets the configuration allows, spelled every legitimate way. */
function legitimate(t: Target): AttackClass {
  const { exact, sub, suffix, loopback } = t
  return klass('legitimate targets still get the token', [
    ...[
      `https://${exact}/`,
      `https://${exact}`,
      `https://${exact}/kb/login?x=1&y=2#top`,
      `https://${exact}:443/x`,
      `https://${exact.toUpperCase()}/`,
      `https://a.${suffix}/`,
      `https://${sub}/login?referralUrl=${encodeURIComponent(`https://${sub}/`)}`,
      `https://eu.west.${sub}/`,
      `https://a.b.c.d.${suffix}/x`,
      `https://xn--caf-dma.${suffix}/`,
      `https://a-1.${suffix}/`,
      `https://1a.${suffix}/`,
      `${loopback}/callback?x=1`,
      loopback,
      `${loopback}/`,
      `https://${sub}/%2F%2F${EVIL}`,
      `https://${sub}/@${EVIL}`,
      `https://${sub}/?next=https://${EVIL}/`,
      `https://${sub}/#@${EVIL}`,
      `https://${sub}/${EVIL}`,
      `https://${sub}/?externalToken=attacker&jwt=attacker&refresh-token=attacker`,
      pad(`https://${sub}/`, 3500),
    ].map(allow),
  ])
}

function schemes(t: Target): AttackClass {
  return klass(
    'scheme tricks',
    goods(t).flatMap((h) => [
      ...[
        `javascript:alert(1)//${h}`,
        `javascript://${h}/%0Aalert(document.cookie)`,
        'JaVaScRiPt:alert(1)',
        `javascript:https://${h}/`,
        `data:text/html,<script>location='https://${EVIL}/'</script>`,
        'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
        `data://${h}/`,
        'vbscript:msgbox(1)',
        `blob:https://${h}/0b1c`,
        `view-source:https://${h}/`,
        `jar:https://${h}/!/`,
        `filesystem:https://${h}/temporary/x`,
        `intent://${h}/#Intent;scheme=https;end`,
        `http://${h}/`,
        `HTTP://${h}/`,
        `hTtP://${h}/`,
        `ftp://${h}/`,
        `ws://${h}/`,
        `wss://${h}/`,
        `file://${h}/etc/passwd`,
        `gopher://${h}/`,
        `https:/${h}/`,
        `https:${h}/`,
        `https:///${h}/`,
        `https:////${h}/`,
        `https//${h}/`,
        `https:://${h}/`,
        `https:/%2F${h}/`,
        `https%3A//${h}/`,
        `ht%74ps://${h}/`,
        `https ://${h}/`,
        ` https://${h}/`,
        `https:%2F%2F${h}/`,
        `https+://${h}/`,
        `xhttps://${h}/`,
      ].map(refuse),
      ...[`HTTPS://${h}/`, `Https://${h}/`, `hTTPS://${h}/x`].map(allow),
    ]),
  )
}

function authority(t: Target): AttackClass {
  const loop = new URL(t.loopback)
  return klass('authority and userinfo confusion', [
    ...goods(t).flatMap((g) => [
      ...[
        `https://user@${g}/`,
        `https://user:pass@${g}/`,
        `https://:@${g}/`,
        `https://@${g}/`,
        `https://${g}@${g}/`,
        `https://${EVIL}@${g}/`,
        `https://${EVIL}:${g}@${g}/`,
        `https://${g}@${EVIL}/`,
        `https://${g}:443@${EVIL}/`,
        `https://${g}:pass@${EVIL}/`,
        `https://${g}%40${EVIL}/`,
        `https://${EVIL}%40${g}/`,
        `https://${g}%2540${EVIL}/`,
        `https://${g}\\@${EVIL}/`,
        `https://${g};@${EVIL}/`,
        `https://${g}&@${EVIL}/`,
        `https://${g}@@${EVIL}/`,
        `https://${EVIL}@@${g}/`,
        `https://${g}%00@${EVIL}/`,
        `https://${g}%20@${EVIL}/`,
        `https://${EVIL}#@${g}/`,
        `https://${EVIL}?@${g}/`,
        `https://${EVIL}/@${g}/`,
        `https://@${EVIL}/`,
        `https://${g}:@${EVIL}/`,
        `https://${g}:443:@${EVIL}/`,
      ].map(refuse),
      // The `@` is in the fragment, query or path: the host really is the allowed one.
      ...[`https://${g}#@${EVIL}/`, `https://${g}?@${EVIL}/`, `https://${g}/@${EVIL}/`].map(either),
    ]),
    ...[
      `http://x@${loop.host}/`,
      `http://${EVIL}@${loop.host}/`,
      `http://${loop.host}@${EVIL}/`,
      `http://user:pass@${loop.host}/cb`,
    ].map(refuse),
  ])
}

function lookalikes(t: Target): AttackClass {
  const { exact, suffix, sub } = t
  const label = sub.slice(0, -(suffix.length + 1))
  const zone = inZone(suffix)
  const homoglyphs: Case[] = []
  for (const [host, zoneLabelEnd] of [
    [exact, -1],
    [sub, label.length],
  ] as const) {
    for (let i = 0; i < host.length; i++) {
      for (const glyph of HOMOGLYPHS[host[i] as string] ?? []) {
        const spoof = `${host.slice(0, i)}${glyph}${host.slice(i + 1)}`
        const unicode = `https://${spoof}/`
        // biome-ignore lint/suspicious/noControlCharactersInRegex: an ASCII range check
        if (!/^[\x00-\x7f]*$/.test(spoof)) homoglyphs.push(refuse(unicode))
        // The punycode form a browser would send; inside the wildcard's own zone it is the
        // vendor's name, anywhere else a look-alike.
        const puny = parse(unicode)
        if (puny && puny.hostname !== host) {
          homoglyphs.push(i < zoneLabelEnd ? zone(puny.href) : refuse(puny.href))
        }
      }
    }
  }
  return klass('look-alike, suffix and IDN hosts', [
    ...[
      `https://${suffix}/`,
      `https://${suffix.toUpperCase()}/`,
      `https://${suffix}./`,
      `https://evil${suffix}/`,
      `https://${label}${suffix}/`,
      `https://${label}-${suffix}/`,
      `https://${sub.replaceAll('.', '-')}/`,
      `https://${sub.replaceAll('.', '')}/`,
      `https://${suffix}.${EVIL}/`,
      `https://${sub}.${EVIL}/`,
      `https://${sub}-${EVIL}/`,
      `https://${sub}${EVIL}/`,
      `https://${sub}x/`,
      `https://${sub.slice(0, -1)}/`,
      `https://${exact}.${EVIL}/`,
      `https://x${exact}/`,
      `https://x-${exact}/`,
      `https://${exact}x/`,
      `https://${exact}-x/`,
      `https://sub.${exact}/`,
      `https://www.${exact}/`,
      `https://${exact.split('.').slice(1).join('.')}/`,
      `https://${exact.replace(/\.[a-z]+$/, '.co')}/`,
      `https://${exact.replace('.', '')}/`,
      `https://${exact}./`,
      `https://${exact}../`,
      `https://${sub}./`,
      `https://${sub}../`,
      `https://${exact}.:443/`,
      `https://${EVIL}/${sub}`,
      `https://${EVIL}/?${sub}`,
      `https://${EVIL}#${sub}`,
      `https://${EVIL}?.${sub}`,
      `https://${EVIL}/.${sub}`,
      `https://${EVIL}:443/${exact}`,
      `https://${EVIL.toUpperCase()}/`,
      `https://${sub.toUpperCase()}.${EVIL.toUpperCase()}/`,
      `https://${'a'.repeat(300)}.${EVIL}/`,
    ].map(refuse),
    // Under the suffix, but not DNS labels: a wildcard matches real labels only.
    ...[
      `https://.${sub}/`,
      `https://${label}..${suffix}/`,
      `https://*.${suffix}/`,
      `https://${EVIL}&.${suffix}/`,
      `https://${EVIL}!.${suffix}/`,
      `https://${EVIL}$.${suffix}/`,
      `https://a_b.${suffix}/`,
      `https://-a.${suffix}/`,
      `https://a-.${suffix}/`,
      `https://${'a'.repeat(64)}.${suffix}/`,
    ].map(refuse),
    // Real DNS labels inside the wildcard's zone: only the vendor's DNS answers for them.
    ...[`https://127.0.0.1.${suffix}/`, `https://${'a'.repeat(63)}.${suffix}/`].map(zone),
    ...homoglyphs,
  ])
}

function backslashes(t: Target): AttackClass {
  return klass(
    'backslashes',
    goods(t).flatMap((g) =>
      [
        `https://${g}\\@${EVIL}/`,
        `https:\\\\${g}/`,
        `https:/\\${g}/`,
        `https:\\/${g}/`,
        `https://${EVIL}\\.${g}/`,
        `https://${EVIL}\\${g}/`,
        `https://${g}\\${EVIL}/`,
        `\\\\${EVIL}/`,
        `/\\${EVIL}/`,
        `\\/${EVIL}/`,
        `https://${g}/\\${EVIL}`,
        `https://${g}/path\\..\\..\\${EVIL}`,
        `https://${g}\\`,
        `https:\\${g}`,
      ].map(refuse),
    ),
  )
}

const SEPARATORS = [
  '%2F',
  '%2f',
  '%5C',
  '%5c',
  '%2E',
  '%2e',
  '%40',
  '%23',
  '%3F',
  '%3A',
  '%3a',
  '%00',
  '%09',
  '%0A',
  '%0D',
  '%20',
  '%25',
  '%252F',
  '%255C',
  '%252E',
  '%2540',
  '%u002F',
  '%C0%AF',
  '%E3%80%82',
  '%EF%BC%8F',
]

function percentEncoded(t: Target): AttackClass {
  return klass('percent-encoded separators', [
    ...goods(t).flatMap((g) => [
      ...SEPARATORS.flatMap((sep) =>
        [
          `https://${EVIL}${sep}${g}/`,
          `https://${EVIL}${sep}.${g}/`,
          `https://${g}${sep}${EVIL}/`,
          `https://${g}${sep}@${EVIL}/`,
          `https:${sep}${sep}${g}/`,
          `https${sep}//${g}/`,
        ].map(refuse),
      ),
      // In the path they are only path characters: the host stays the allowed one.
      ...SEPARATORS.map((sep) => allow(`https://${g}/${sep}${sep}${EVIL}`)),
      ...[
        `https://${g.replaceAll('.', '%2E')}/`,
        `https://${[...g].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join('')}/`,
        `https%3A%2F%2F${g}/`,
        `https%253A%252F%252F${g}/`,
      ].map(refuse),
    ]),
    refuse(`https://%65vil.com/`),
  ])
}

/** The same values sent percent-encoded twice: decoded once, none is an absolute URL. */
function doubleEncoded(t: Target, param: string): AttackClass {
  const values = [
    `https://${t.exact}/`,
    `https://${t.sub}/login`,
    `${t.loopback}/`,
    `https://${EVIL}/`,
    `//${EVIL}/`,
    `https://${t.sub}@${EVIL}/`,
    `https://${EVIL}%2F.${t.sub}/`,
    `https:\\\\${EVIL}`,
  ]
  return klass(
    'double percent-encoding of the whole value',
    values.map((value) => ({
      value,
      expect: 'refuse' as const,
      query: `${param}=${encodeURIComponent(encodeURIComponent(value))}`,
    })),
  )
}

const CONTROLS = [
  '\r',
  '\n',
  '\r\n',
  '\t',
  '\0',
  '\x01',
  '\x08',
  '\x0b',
  '\x0c',
  '\x1b',
  '\x1f',
  '\x7f',
  '\x85',
  ' ',
  '\u00a0',
  '\u2028',
  '\u2029',
]

function controls(t: Target): AttackClass {
  return klass(
    'control characters, CR/LF, tab, NUL and spaces',
    goods(t).flatMap((g) =>
      CONTROLS.flatMap((ch) =>
        [
          `${ch}https://${g}/`,
          `https://${g}/${ch}`,
          `ht${ch}tps://${g}/`,
          `https:${ch}//${g}/`,
          `https:/${ch}/${g}/`,
          `https://${ch}${g}/`,
          `https://${g.slice(0, 2)}${ch}${g.slice(2)}/`,
          `https://${g}${ch}/`,
          `https://${g}${ch}.${EVIL}/`,
          `https://${EVIL}${ch}.${g}/`,
          `https://${EVIL}${ch}@${g}/`,
          `https://${g}/x${ch}Set-Cookie:a=b`,
          `https://${g}/?a=${ch}`,
        ].map(refuse),
      ),
    ),
  )
}

const UNICODE_DOTS = ['\u3002', '\uff0e', '\uff61', '\ufe52', '\u2024', '\u00b7']
const UNICODE_SLASHES = ['\uff0f', '\u2044', '\u2215', '\u29f8', '\uff3c', '\u2216', '\u2571']
const UNICODE_OTHER = [
  '\uff20',
  '\uff1a',
  '\uff03',
  '\uff1f',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u034f',
  '\u180e',
]

function unicode(t: Target): AttackClass {
  return klass(
    'Unicode dots, slashes, fullwidth and invisible characters',
    goods(t).flatMap((g) =>
      [
        ...UNICODE_DOTS.flatMap((d) => [
          `https://${g.replaceAll('.', d)}/`,
          `https://${EVIL}${d}${g}/`,
          `https://${g}${d}${EVIL}/`,
        ]),
        ...UNICODE_SLASHES.flatMap((s) => [
          `https://${EVIL}${s}.${g}/`,
          `https://${EVIL}${s}${g}/`,
          `https:${s}${s}${g}/`,
          `https://${g}${s}${EVIL}/`,
        ]),
        ...UNICODE_OTHER.flatMap((o) => [
          `https://${g.slice(0, 3)}${o}${g.slice(3)}/`,
          `https://${EVIL}${o}${g}/`,
          `https://${g}${o}@${EVIL}/`,
        ]),
        `https://${toFullwidth(g)}/`,
        `${toFullwidth('https')}://${g}/`,
        `https${toFullwidth('://')}${g}/`,
        toFullwidth(`https://${g}/`),
      ].map(refuse),
    ),
  )
}

function v4Forms([a, b, c, d]: readonly [number, number, number, number]): string[] {
  const n = a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d
  const hex = (x: number) => `0x${x.toString(16)}`
  const oct = (x: number) => `0${x.toString(8)}`
  return [
    `${a}.${b}.${c}.${d}`,
    `${n}`,
    hex(n),
    oct(n),
    `${hex(a)}.${b}.${c}.${d}`,
    `${oct(a)}.${b}.${c}.${d}`,
    `${hex(a)}.${hex(b)}.${hex(c)}.${hex(d)}`,
    `${a}.${b * 2 ** 16 + c * 2 ** 8 + d}`,
    `${a}.${b}.${c * 2 ** 8 + d}`,
    `${a}.${b}.${c}.${d}.`,
    `${a}.${b}.${c}.${d}.${EVIL}`,
  ]
}

const V4 = [
  [127, 0, 0, 1],
  [10, 0, 0, 1],
  [169, 254, 169, 254],
  [192, 168, 1, 1],
  [0, 0, 0, 0],
] as const

const V6 = [
  '[::1]',
  '[::]',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[0:0:0:0:0:0:0:1]',
  '[::ffff:169.254.169.254]',
  '[fe80::1]',
  '[fe80::1%25eth0]',
  '[2001:db8::1]',
  '[::127.0.0.1]',
]

function ipLiterals(t: Target): AttackClass {
  const loop = new URL(t.loopback)
  const same = sameOriginAs(t.loopback)
  const hosts = [...V4.flatMap(v4Forms), ...V6, 'localhost', 'LOCALHOST', 'localhost.']
  return klass(
    'IP literals (v4, v6, decimal, hex, octal) and loopback spellings',
    hosts.flatMap((h) =>
      [
        `https://${h}/`,
        `http://${h}/`,
        `https://${h}:443/`,
        `http://${h}:${loop.port}/x`,
        `https://${h}:${loop.port}/x`,
      ].map(same),
    ),
  )
}

function ports(t: Target): AttackClass {
  const loop = new URL(t.loopback)
  const port = Number(loop.port)
  const same = sameOriginAs(t.loopback)
  return klass('non-default and malformed ports', [
    ...goods(t).flatMap((g) => [
      ...[1, 80, 81, 444, 1443, 4001, 8080, 8443, 65535].map((p) => refuse(`https://${g}:${p}/`)),
      ...[
        `https://${g}:65536/`,
        `https://${g}:-1/`,
        `https://${g}:443abc/`,
        `https://${g}:0x1bb/`,
        `https://${g}:443:443/`,
        `https://${g}: 443/`,
        `http://${g}:443/`,
      ].map(refuse),
      // Spellings of the default port: still the allowed origin.
      ...[`https://${g}:0443/`, `https://${g}:/`, `https://${g}:00000443/`].map(either),
    ]),
    ...[
      `http://${loop.hostname}:${port + 1}/`,
      `http://${loop.hostname}:${port - 1}/`,
      `http://${loop.hostname}/`,
      `http://${loop.hostname}:${port}0/`,
      `https://${loop.hostname}:${port}/`,
      `http://${loop.hostname}:0${port}/`,
    ].map(same),
  ])
}

function overlong(t: Target): AttackClass {
  return klass('overlong values', [
    allow(pad(`https://${t.sub}/`, 3500)),
    ...[4097, 8192, 12_000].map((n) => refuse(pad(`https://${t.sub}/`, n))),
    refuse(pad(`https://${EVIL}/`, 4097)),
  ])
}

function schemeless(t: Target): AttackClass {
  return klass(
    'relative, scheme-less and empty values',
    [
      '',
      ' ',
      '/',
      '/x',
      `//${EVIL}`,
      `///${EVIL}`,
      `////${EVIL}`,
      EVIL,
      '.',
      ':',
      'https:',
      'https://',
      'https:///',
      'https://?',
      'https://#',
      ...goods(t).flatMap((g) => [
        g,
        `${g}/x`,
        `./${g}`,
        `?${g}`,
        `#${g}`,
        `//${g}/`,
        `//${g}@${EVIL}`,
        `:${g}`,
        `@${g}`,
      ]),
    ].map(refuse),
  )
}

/** Every value class for an absolute redirect parameter (`kustomerRedirectUri`, `redirect_url`). */
export function redirectCorpus(t: Target, param: string): AttackClass[] {
  return [
    legitimate(t),
    schemes(t),
    authority(t),
    lookalikes(t),
    backslashes(t),
    percentEncoded(t),
    doubleEncoded(t, param),
    controls(t),
    unicode(t),
    ipLiterals(t),
    ports(t),
    overlong(t),
    schemeless(t),
    repeated(t, param),
  ]
}

/** Repeated parameters and broken encodings: raw query strings around `param`. */
function repeated(t: Target, param: string): AttackClass {
  const e = encodeURIComponent
  const good = `https://${t.sub}/`
  const evil = `https://${EVIL}/`
  const upper = param.toUpperCase() === param ? param.toLowerCase() : param.toUpperCase()
  const spelled = [...param].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join('')
  const q = (expect: Expect, query: string): Case => ({ value: query, expect, query })
  return klass('repeated parameters and broken encodings', [
    q('refuse', `${param}=${e(good)}&${param}=${e(evil)}`),
    q('refuse', `${param}=${e(evil)}&${param}=${e(good)}`),
    q('refuse', `${param}=${e(good)}&${param}=${e(good)}`),
    q('refuse', `${param}=${e(good)}&${param}=`),
    q('refuse', `${param}=&${param}=${e(good)}`),
    q('refuse', `${param}=${e(good)}&${param}`),
    q('refuse', `${param}[]=${e(evil)}`),
    q('refuse', `${param}[]=${e(good)}`),
    q('refuse', `${upper}=${e(evil)}`),
    q('refuse', `${param}%3D${e(evil)}`),
    q('refuse', `${spelled}=${e(evil)}`),
    q('refuse', `${spelled}=${e(good)}&${param}=${e(evil)}`),
    q('refuse', `${param}=${e(good)}&${param}=${e(good)}&${param}=${e(evil)}`),
    q('either', `${param}[0]=${e(evil)}&${param}=${e(good)}`),
    q('either', `${param}=${e(good)}&${upper}=${e(evil)}`),
    q('either', `${param}=${e(good)};${param}=${e(evil)}`),
    q('either', `${param}=${e(`${good}?a=1&${param}=${evil}`)}`),
    q('either', `${param}=${e(good)}&&&`),
    q('refuse', `${param}=%`),
    q('refuse', `${param}=%ZZ`),
    q('refuse', `${param}=%E0%A4%A`),
    q('refuse', `${param}=%C0%AF`),
    q('refuse', `${param}=%ED%A0%80`),
    q('refuse', `${param}=${e(good)}%FF`),
    q('refuse', `%FF=1&${param}=${e(good)}`),
    q('refuse', `${param}=${e(good)}&x=%`),
    q('refuse', `${param}=https://${t.sub}/+@${EVIL}`),
    q('refuse', `${param}=https:%2F%2F${EVIL}`),
    q('refuse', `${param}=${'%41'.repeat(5000)}`),
    // An unrelated huge parameter is bounded by the whole query's limit, not refused for itself.
    q('either', `${'a'.repeat(100)}=${'b'.repeat(14_000)}&${param}=${e(good)}`),
    // Over Node's 16 KiB header limit: refused (431) before the middleware runs.
    q('refuse', `${'a'.repeat(100)}=${'b'.repeat(17_000)}&${param}=${e(good)}`),
  ])
}

// ---------------------------------------------------------------------------------------------
// Relative return paths (`referrer_uri`), which are dropped when unsafe, never refused.

export type RelativeExpect = 'keep' | 'drop' | 'refuse'

export interface RelativeCase {
  value: string
  expect: RelativeExpect
  query?: string
}

const keep = (value: string): RelativeCase => ({ value, expect: 'keep' })
const drop = (value: string): RelativeCase => ({ value, expect: 'drop' })

/** Every class of relative-path trick, for a parameter whose unsafe values are dropped. */
export function relativeCorpus(
  param: string,
  absolute: AttackClass[],
): AttackClass<RelativeCase>[] {
  const e = encodeURIComponent
  return [
    klass('relative paths that stay on the site are kept', [
      ...[
        '/',
        '/spaces/general',
        '/spaces/general?tab=new#top',
        '/a//b',
        `/@${EVIL}`,
        `/.${EVIL}`,
        `/:${EVIL}`,
        `/a/%2F%2F${EVIL}`,
        `/x?next=//${EVIL}`,
        `/x#//${EVIL}`,
        pad('/', 2048),
      ].map(keep),
    ]),
    klass('protocol-relative and backslash paths are dropped', [
      ...[
        `//${EVIL}`,
        `///${EVIL}`,
        `////${EVIL}`,
        `//${EVIL}/spaces`,
        '//community.acme.com/x',
        `/\\${EVIL}`,
        `/\\\\${EVIL}`,
        `/\\/${EVIL}`,
        `\\\\${EVIL}`,
        `\\/${EVIL}`,
        `/x\\..\\..\\${EVIL}`,
      ].map(drop),
    ]),
    klass('encoded slash or backslash after the leading slash is dropped', [
      ...['%2F', '%2f', '%5C', '%5c', '%2F%2F', '%5C%5C', '%2f%5c'].map((sep) =>
        drop(`/${sep}${EVIL}`),
      ),
      ...['%2F', '%5C'].map((sep) => drop(`/${sep}/${EVIL}`)),
      // Double-encoded: a receiver that decodes twice (a vendor, then a login page) sees `//`.
      ...['%252F', '%255C', '%25252F'].map((sep) => drop(`/${sep}/${EVIL}`)),
    ]),
    // WHATWG URL parsing removes tab, LF and CR anywhere: decoded once, each is `//evil.com`.
    klass('encoded tab, LF or CR that decode to a protocol-relative path are dropped', [
      ...['%09', '%0A', '%0a', '%0D', '%0d', '%0D%0A', '%09%09'].map((ch) =>
        drop(`/${ch}/${EVIL}`),
      ),
      ...['%09', '%0A', '%0D'].map((ch) => drop(`/${ch}%2F${EVIL}`)),
      ...['%09', '%0A', '%0D'].map((ch) => drop(`/${ch}%5C${EVIL}`)),
    ]),
    // A malformed escape must not end the decoding: lenient decoders downstream keep going.
    klass('a protocol-relative path behind a malformed escape is dropped', [
      ...['%', '%zz', '%C0', '%E2%82', '%%', '%2', '%G0'].flatMap((bad) => [
        drop(`/%09/${EVIL}/${bad}`),
        drop(`/%5C/${EVIL}?${bad}`),
        drop(`/%252F/${EVIL}#${bad}`),
        drop(`/%2F${EVIL}/${bad}`),
      ]),
      ...['/100%25', '/search?q=a%20b', '/x%', '/a%zz', '/50%off'].map(keep),
    ]),
    // Dot segments normalise away: to whoever rebuilds a URL from `pathname`, `/.//evil.com`
    // is `//evil.com`. WHATWG URL reads `%2e` as a dot and `\\` as a slash.
    klass('dot segments are dropped', [
      ...['.', '..', '%2e', '%2E', '%2e%2e', '.%2e', '%2e.', '%252e', '%252e%252e'].flatMap(
        (dot) => [
          drop(`/${dot}//${EVIL}`),
          drop(`/${dot}/%2F/${EVIL}`),
          drop(`/${dot}/x`),
          drop(`/a/${dot}/b`),
        ],
      ),
      drop(`/.%09//${EVIL}`),
      drop(`/x/%5C..%5C..%5C/${EVIL}`),
      ...['/v1.2/docs', '/a.b/..c/c../', '/x?next=../y', '/x#./y', '/...'].map(keep),
    ]),
    klass('control characters and spaces are dropped', [
      ...CONTROLS.flatMap((ch) => [`/${ch}/${EVIL}`, `${ch}//${EVIL}`, `/x${ch}y`, `/${ch}`]).map(
        drop,
      ),
      drop('/x\r\nSet-Cookie: a=b'),
    ]),
    klass(
      'Unicode slashes, dots and non-ASCII are dropped',
      [
        ...[...UNICODE_SLASHES, ...UNICODE_DOTS, ...UNICODE_OTHER].flatMap((u) => [
          `/${u}${EVIL}`,
          `${u}${u}${EVIL}`,
          `/x${u}`,
        ]),
        '/caf\u00e9',
      ].map(drop),
    ),
    klass(
      'absolute URLs of every redirect class are dropped',
      absolute
        .flatMap((cls) => cls.cases)
        .filter((x) => x.query === undefined && x.value.length > 0 && x.value[0] !== '/')
        .filter((x) => x.value.length <= 4096)
        .map((x) => drop(x.value)),
    ),
    klass('overlong paths', [
      keep(pad('/', 2048)),
      drop(pad('/', 2049)),
      drop(pad('/', 4096)),
      { value: pad('/', 4097), expect: 'refuse' },
    ]),
    klass('repeated and malformed parameters', [
      { value: 'repeated', expect: 'refuse', query: `${param}=%2Fa&${param}=%2F%2F${EVIL}` },
      { value: 'repeated, same', expect: 'refuse', query: `${param}=%2Fa&${param}=%2Fa` },
      { value: 'bad encoding', expect: 'refuse', query: `${param}=%` },
      { value: 'overlong UTF-8', expect: 'refuse', query: `${param}=%C0%AF${EVIL}` },
      { value: 'array syntax', expect: 'drop', query: `${param}[]=${e(`//${EVIL}`)}` },
      { value: 'other case', expect: 'drop', query: `${param.toUpperCase()}=${e(`//${EVIL}`)}` },
      { value: 'empty', expect: 'drop', query: `${param}=` },
      { value: 'no value', expect: 'drop', query: param },
      { value: 'plus as space', expect: 'drop', query: `${param}=/+/${EVIL}` },
      keep('/x?jwt=attacker&a=1'),
    ]),
  ]
}

// ---------------------------------------------------------------------------------------------
// Request targets: the path itself, and absolute-form targets over a raw socket.

export interface PathCase {
  /** The request target as sent. */
  value: string
  /** When logged out, `returnTo` must be exactly this target. */
  roundTrip?: boolean
}

/** Request targets against `/sso` routes that try to bend where the login redirect points. */
export function pathCorpus(routes: readonly string[]): AttackClass<PathCase>[] {
  const tricks = (route: string): PathCase[] => {
    const [path = '', query = ''] = route.split('?')
    const q = query ? `?${query}` : ''
    const rest = path.replace(/^\/sso/, '')
    return [
      { value: route, roundTrip: true },
      { value: `//${EVIL}${path}${q}` },
      { value: `///${EVIL}${path}${q}` },
      { value: `/\\${EVIL}${path}${q}` },
      { value: `/sso//${EVIL}${rest}${q}` },
      { value: `${path}//${EVIL}${q}` },
      { value: `${path}/${q}` },
      { value: `${path}/..${q}` },
      { value: `${path}/../../${EVIL}${q}` },
      { value: `/sso/.${rest}${q}` },
      { value: `/sso/%2e%2e${rest}${q}` },
      { value: `${path}%2F..%2F..%2F%2F${EVIL}${q}` },
      { value: `${path}%00${q}` },
      { value: `${path}%ZZ${q}` },
      { value: `${path};${EVIL}${q}` },
      { value: `/sso${rest.toUpperCase()}${q}` },
      { value: `/SSO${rest}${q}` },
      { value: `/sso${rest.replaceAll('/', '%2F')}${q}` },
      { value: `/sso${rest.replaceAll('/', '\\')}${q}` },
      { value: `${path}${q}#//${EVIL}` },
      {
        value: `${path}${q}${q ? '&' : '?'}returnTo=${encodeURIComponent(`//${EVIL}`)}`,
        roundTrip: true,
      },
      { value: `${path}${q}${q ? '&' : '?'}x=%0D%0ALocation:%20https://${EVIL}`, roundTrip: true },
      { value: `${path}${q}${q ? '&' : '?'}x=${'a'.repeat(3000)}` },
    ]
  }
  return [klass('request paths on every browser route', routes.flatMap(tricks))]
}

/** Request paths for a `basePath` with a parameter in front (`/:tenant/sso`). */
export function tenantPathCorpus(routes: readonly string[]): AttackClass<PathCase>[] {
  const heads = [
    `/${EVIL}`,
    `/@${EVIL}`,
    `/%40${EVIL}`,
    `/%2F%2F${EVIL}`,
    `/%2f${EVIL}`,
    `/%5C%5C${EVIL}`,
    `/%5c${EVIL}`,
    `/..%2F${EVIL}`,
    '/%09',
    '/%0A',
    '/%0D',
    `/%09%2F${EVIL}`,
    `/%0A%2F${EVIL}`,
    `/%0D%5C${EVIL}`,
  ]
  return [
    klass(
      'request paths whose tenant segment is an attack',
      routes.flatMap((route) => [
        { value: `/acme${route}`, roundTrip: true },
        ...heads.map((head) => ({ value: `${head}${route}` })),
      ]),
    ),
  ]
}

/** Absolute-form request targets (`GET http://evil.com/sso/x HTTP/1.1`). */
export function absoluteFormCorpus(route: string): AttackClass<PathCase> {
  return klass('absolute-form request targets over a raw socket', [
    ...[
      `http://${EVIL}${route}`,
      `https://${EVIL}${route}`,
      `http://${EVIL}:8080${route}`,
      `HTTP://${EVIL.toUpperCase()}${route}`,
      `http://user:pass@${EVIL}${route}`,
      `http://${EVIL}/${route}`,
      `http://${EVIL}//${EVIL}${route}`,
      `http://${EVIL}/%2F%2F${EVIL}${route}`,
      `http://${EVIL}/\\${EVIL}${route}`,
      `http://${EVIL}?${route}`,
      `http://${EVIL}#${route}`,
      `//${EVIL}${route}`,
      `${EVIL}${route}`,
      `http://127.0.0.1${route}`,
      `http://[::1]${route}`,
      `javascript://${EVIL}${route}`,
    ].map((value) => ({ value })),
  ])
}
