import {
  ALICE,
  appPerTest,
  DISCOURSE_NONCE,
  DISCOURSE_SECRET,
  discourseAnswer,
  discourseFixture,
  discourseRequest,
  discourseSig,
  FORUM_RETURN_URL,
  type TestApp,
} from '@sso/fixtures'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type DiscourseOptions, discourse, type SsoError } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(discourseFixture)

const apps = appPerTest()
let app: TestApp

const vendor = (extra: Partial<DiscourseOptions> = {}) =>
  discourse({ secret: DISCOURSE_SECRET, discourseUrl: 'https://forum.acme.com', ...extra })
const VALID = { nonce: DISCOURSE_NONCE, return_sso_url: FORUM_RETURN_URL }
/** A request Discourse would send: `fields` signed with `secret`. */
const signed = (a: TestApp, fields: Record<string, string> | string = VALID, secret?: string) =>
  a.get(`/sso/discourse/login?${discourseRequest(fields, secret).query}`)
/** A request with `sso` and `sig` exactly as given (percent-encoded). */
const raw = (a: TestApp, sso: string, sig: string) =>
  a.get(`/sso/discourse/login?sso=${encodeURIComponent(sso)}&sig=${encodeURIComponent(sig)}`)
const b64 = (text: string | Buffer) =>
  (typeof text === 'string' ? Buffer.from(text, 'utf8') : text).toString('base64')
const fieldsOf = (response: Response, secret?: string, returnUrl?: string) =>
  discourseAnswer(response, secret, returnUrl).fields

/** A refusal: the status, the stable code and (exposed) message, no Location, no payload. */
async function expectRefused(response: Response, code: string, message: RegExp, status = 400) {
  expect(response.status).toBe(status)
  expect(response.headers.get('location')).toBeNull()
  const html = await response.text()
  expect(html).toContain(code)
  expect(html).toMatch(message)
  expect(html).not.toContain(ALICE.email)
  expect(html).not.toContain('sig=')
  return html
}

const { sso: SSO, sig: SIG } = discourseRequest()
/** One hex digit changed: the last, 0 ↔ 1. */
const offByOne = SIG.replace(/.$/, (c) => (c === '0' ? '1' : '0'))
const wrapped = (every: number, eol: string) =>
  SSO.replace(new RegExp(`(.{${every}})`, 'g'), `$1${eol}`)

/** Every request the checks refuse, in the decided order, each with its code and message. */
const REFUSED: [string, string, RegExp, string][] = [
  ['no sso', `sig=${SIG}`, /parameter sso is required/, 'ERR_SSO_BAD_REQUEST'],
  ['an empty sso', `sso=&sig=${SIG}`, /parameter sso is required/, 'ERR_SSO_BAD_REQUEST'],
  ['no sig', `sso=${encodeURIComponent(SSO)}`, /parameter sig is required/, 'ERR_SSO_BAD_REQUEST'],
  [
    'a repeated sso',
    `sso=${encodeURIComponent(SSO)}&sso=${encodeURIComponent(SSO)}&sig=${SIG}`,
    /parameter sso is repeated/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a repeated sig',
    `sso=${encodeURIComponent(SSO)}&sig=${SIG}&sig=${SIG}`,
    /parameter sig is repeated/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'an sso with a character Base64 has not (an unencoded + read as a space)',
    `sso=${SSO.replace(/=*$/, '')}+&sig=${SIG}`,
    /characters Base64 does not/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'URL-safe Base64',
    `sso=${SSO.replace(/=/g, '').replace(/.$/, '-')}&sig=${SIG}`,
    /characters Base64 does not/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'an sso with a NUL',
    `sso=${encodeURIComponent(SSO)}%00&sig=${SIG}`,
    /characters Base64 does not/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'an sso over 2,048 characters',
    discourseRequest(`nonce=${'n'.repeat(1600)}&return_sso_url=x`).query,
    /parameter sso is longer than 2048/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a sig of 64 characters that are not all hex',
    `sso=${encodeURIComponent(SSO)}&sig=${SIG.replace(/.$/, 'g')}`,
    /not 64 hex digits/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a truncated sig',
    `sso=${encodeURIComponent(SSO)}&sig=${SIG.slice(0, 63)}`,
    /not 64 hex digits/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a sig one digit too long',
    `sso=${encodeURIComponent(SSO)}&sig=${SIG}0`,
    /parameter sig is longer than 64/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a sig differing in one hex digit',
    `sso=${encodeURIComponent(SSO)}&sig=${offByOne}`,
    /does not match/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a payload signed with another secret',
    discourseRequest(VALID, 'another-forum-secret-0123456789abcdef').query,
    /does not match/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a signed payload without padding',
    (() => {
      const sso = SSO.replace(/=+$/, '')
      return `sso=${encodeURIComponent(sso)}&sig=${discourseSig(sso)}`
    })(),
    /not Base64 of UTF-8/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a signed payload that is not UTF-8',
    (() => {
      const sso = b64(Buffer.from([0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x3d, 0xff, 0xfe]))
      return `sso=${encodeURIComponent(sso)}&sig=${discourseSig(sso)}`
    })(),
    /not Base64 of UTF-8/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'no nonce',
    discourseRequest({ return_sso_url: FORUM_RETURN_URL }).query,
    /exactly one non-empty nonce/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'an empty nonce',
    discourseRequest({ nonce: '', return_sso_url: FORUM_RETURN_URL }).query,
    /exactly one non-empty nonce/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'two nonces',
    discourseRequest(`nonce=a&nonce=b&return_sso_url=${encodeURIComponent(FORUM_RETURN_URL)}`)
      .query,
    /exactly one non-empty nonce/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'a nonce over 128 characters',
    discourseRequest({ nonce: 'n'.repeat(129), return_sso_url: FORUM_RETURN_URL }).query,
    /exactly one non-empty nonce/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'no return_sso_url',
    discourseRequest({ nonce: DISCOURSE_NONCE }).query,
    /exactly one return_sso_url/,
    'ERR_SSO_BAD_REQUEST',
  ],
  [
    'two return_sso_url',
    discourseRequest(
      `nonce=a&return_sso_url=${encodeURIComponent(FORUM_RETURN_URL)}&return_sso_url=${encodeURIComponent(FORUM_RETURN_URL)}`,
    ).query,
    /exactly one return_sso_url/,
    'ERR_SSO_BAD_REQUEST',
  ],
  ...(
    [
      ['another host', 'https://evil.example/session/sso_login'],
      ['a look-alike host', 'https://forum.acme.com.evil.example/session/sso_login'],
      ['http', 'http://forum.acme.com/session/sso_login'],
      ['another path on the forum', 'https://forum.acme.com/admin'],
      ['the forum root', 'https://forum.acme.com'],
      ['a query', 'https://forum.acme.com/session/sso_login?next=https://evil.example'],
      ['userinfo', 'https://evil@forum.acme.com/session/sso_login'],
      ['a non-default port', 'https://forum.acme.com:8443/session/sso_login'],
      ['a relative URL', '/session/sso_login'],
      ['no URL at all', 'javascript:alert(1)'],
    ] as const
  ).map(
    ([n, url]) =>
      [
        `a return_sso_url on ${n}`,
        discourseRequest({ nonce: DISCOURSE_NONCE, return_sso_url: url }).query,
        /return_sso_url is not this forum/,
        'ERR_SSO_REDIRECT_NOT_ALLOWED',
      ] as [string, string, RegExp, string],
  ),
]

describe('discourse login: the request is checked before anything else', () => {
  it.each(REFUSED)('refuses %s with a 400', async (_n, query, message, code) => {
    app = await apps.start({ vendors: [vendor()] })
    await expectRefused(await app.get(`/sso/discourse/login?${query}`), code, message)
    expect(app.events).toEqual([
      { type: 'request.refused', vendor: 'discourse', route: 'login', code },
    ])
  })

  it.each(REFUSED)(
    'refuses %s the same way when logged out (never sent to the login page)',
    async (_n, query, message, code) => {
      app = await apps.start({ vendors: [vendor()], loginUrl: '/login' })
      const loggedIn = await expectRefused(
        await app.get(`/sso/discourse/login?${query}`),
        code,
        message,
      )
      app.user = null
      const loggedOut = await expectRefused(
        await app.get(`/sso/discourse/login?${query}`),
        code,
        message,
      )
      expect(loggedOut).toBe(loggedIn)
    },
  )

  it('checks in the decided order: characters, then sig shape, then signature, then payload', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const evil = discourseRequest({ nonce: 'n', return_sso_url: 'https://evil.example/x' })
    // Bad characters win over a bad sig.
    await expectRefused(await raw(app, `${evil.sso}-`, 'zz'), 'ERR_SSO_BAD_REQUEST', /characters/)
    // A malformed sig wins over a wrong signature.
    await expectRefused(await raw(app, evil.sso, 'z'.repeat(64)), 'ERR_SSO_BAD_REQUEST', /64 hex/)
    // A wrong signature wins over a foreign return_sso_url: an unsigned payload is never read.
    await expectRefused(await raw(app, evil.sso, offByOne), 'ERR_SSO_BAD_REQUEST', /does not match/)
    // Signed, the same payload meets the allow-list.
    await expectRefused(await raw(app, evil.sso, evil.sig), 'ERR_SSO_REDIRECT_NOT_ALLOWED', /forum/)
  })

  it('accepts the sig in upper-case hex', async () => {
    app = await apps.start({ vendors: [vendor()] })
    expect(fieldsOf(await raw(app, SSO, SIG.toUpperCase())).nonce).toBe(DISCOURSE_NONCE)
  })

  it.each([
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
  ])('accepts Base64 with %s line breaks, signed as sent', async (_n, eol) => {
    const sso = wrapped(20, eol)
    expect(sso).toContain(eol)
    app = await apps.start({ vendors: [vendor()] })
    expect(fieldsOf(await raw(app, sso, discourseSig(sso))).nonce).toBe(DISCOURSE_NONCE)
  })

  it('accepts a nonce of 128 characters and an sso of exactly 2,048', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const nonce = 'n'.repeat(128)
    expect(fieldsOf(await signed(app, { nonce, return_sso_url: FORUM_RETURN_URL })).nonce).toBe(
      nonce,
    )
    // 1,536 bytes of payload are 2,048 Base64 characters.
    const padding =
      1536 -
      `nonce=${DISCOURSE_NONCE}&return_sso_url=${encodeURIComponent(FORUM_RETURN_URL)}&x=`.length
    const fields = { ...VALID, x: 'p'.repeat(padding) }
    expect(discourseRequest(fields).sso).toHaveLength(2048)
    expect(fieldsOf(await signed(app, fields)).nonce).toBe(DISCOURSE_NONCE)
  })

  it('accepts the forum URL however it is spelled, and posts back to the configured one', async () => {
    app = await apps.start({ vendors: [vendor()] })
    for (const url of [
      'https://FORUM.acme.com/session/sso_login',
      'https://forum.acme.com:443/session/sso_login',
    ]) {
      const response = await signed(app, { nonce: DISCOURSE_NONCE, return_sso_url: url })
      expect(discourseAnswer(response).location.origin).toBe('https://forum.acme.com')
    }
  })

  it('takes several forums through allowedReturnUrls, and only those', async () => {
    const forum2 = 'https://forum2.acme.com/session/sso_login'
    app = await apps.start({ vendors: [vendor({ allowedReturnUrls: [forum2] })] })
    const response = await signed(app, { nonce: DISCOURSE_NONCE, return_sso_url: forum2 })
    expect(fieldsOf(response, DISCOURSE_SECRET, forum2).nonce).toBe(DISCOURSE_NONCE)
    await expectRefused(await signed(app), 'ERR_SSO_REDIRECT_NOT_ALLOWED', /forum/)
  })

  it('keeps the original sso and sig, line breaks included, through the login page', async () => {
    app = await apps.start({ vendors: [vendor()], loginUrl: '/login' })
    app.user = null
    const sso = wrapped(40, '\r\n')
    const target = `/sso/discourse/login?sso=${encodeURIComponent(sso)}&sig=${discourseSig(sso)}`
    const first = await app.get(target)
    expect(first.status).toBe(302)
    const login = new URL(first.headers.get('location') ?? '', app.url)
    expect(login.pathname).toBe('/login')
    const returnTo = login.searchParams.get('returnTo') ?? ''
    expect(returnTo).toBe(target)
    app.user = ALICE
    expect(fieldsOf(await app.get(returnTo)).nonce).toBe(DISCOURSE_NONCE)
  })

  describe('the comparison', () => {
    afterEach(() => vi.restoreAllMocks())

    it('goes through timingSafeEqual (constant-time) on Node, for a good and a bad sig alike', async () => {
      // WebCrypto-only runtimes verify with crypto.subtle.verify: test/core/webcrypto-runtime.test.ts.
      app = await apps.start({ vendors: [vendor()] })
      const crypto = process.getBuiltinModule('node:crypto') as typeof import('node:crypto')
      const safeEqual = vi.spyOn(crypto, 'timingSafeEqual')
      await raw(app, SSO, offByOne)
      expect(safeEqual).toHaveBeenCalledTimes(1)
      await raw(app, SSO, SIG)
      expect(safeEqual).toHaveBeenCalledTimes(2)
    })
  })
})

describe('discourse login: the payload sent back', () => {
  it('echoes the nonce and sends external_id, email and name, signed lower-case hex', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const { sso, sig, fields } = discourseAnswer(await signed(app))
    expect(fields).toEqual({
      nonce: DISCOURSE_NONCE,
      external_id: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
    })
    expect(sig).toMatch(/^[0-9a-f]{64}$/)
    expect(sig).toBe(discourseSig(sso))
    expect(sso).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
    expect(sso).toBe(b64(Buffer.from(sso, 'base64').toString('utf8')))
    expect(app.events).toEqual([
      { type: 'token.issued', vendor: 'discourse', route: 'login', userId: ALICE.id },
    ])
  })

  it('sends username, and avatar_url for an http(s) picture only', async () => {
    app = await apps.start({ vendors: [vendor()] })
    for (const [picture, sent] of [
      ['https://cdn.example/a.png', 'https://cdn.example/a.png'],
      ['http://cdn.example/a.png', 'http://cdn.example/a.png'],
      ['javascript:alert(1)', undefined],
      ['/a.png', undefined],
    ] as const) {
      app.user = { ...ALICE, username: 'alice', picture }
      const fields = fieldsOf(await signed(app))
      expect(fields.username).toBe('alice')
      expect(fields.avatar_url).toBe(sent)
    }
  })

  it('round-trips a name with non-ASCII characters', async () => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, name: 'Zoë Ångström 山田 🦉 & co=1' }
    const { sso, fields } = discourseAnswer(await signed(app))
    expect(fields.name).toBe('Zoë Ångström 山田 🦉 & co=1')
    expect(sso).toMatch(/^[A-Za-z0-9+/=]+$/)
  })

  it('echoes a nonce with non-ASCII and reserved characters exactly as the forum signed it', async () => {
    app = await apps.start({ vendors: [vendor()] })
    const fields = fieldsOf(
      await signed(app, { nonce: 'nonce-ü&=', return_sso_url: FORUM_RETURN_URL }),
    )
    expect(fields.nonce).toBe('nonce-ü&=')
  })

  it.each(['none', 'NONE', 'nil', 'Nil', 'blank', 'BLANK', 'null', 'NuLL', ' null '])(
    'refuses the banned external_id %j with a 422 and no payload',
    async (id) => {
      app = await apps.start({ vendors: [vendor()] })
      app.user = { ...ALICE, id }
      await expectRefused(await signed(app), 'ERR_SSO_USER_INVALID', /banned/, 422)
    },
  )

  it('sends ids that merely contain a banned word', async () => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, id: 'nullable-7' }
    expect(fieldsOf(await signed(app)).external_id).toBe('nullable-7')
  })

  it('sends custom as custom.<key> and booleans as true/false', async () => {
    const claims = () => ({
      custom: { team: 'blue', beta: true, paid: false, seats: 3 },
      suppress_welcome_message: true,
      locale: 'de',
    })
    app = await apps.start({ vendors: [vendor({ claims })] })
    expect(fieldsOf(await signed(app))).toEqual({
      external_id: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      'custom.team': 'blue',
      'custom.beta': 'true',
      'custom.paid': 'false',
      'custom.seats': '3',
      suppress_welcome_message: 'true',
      locale: 'de',
      nonce: DISCOURSE_NONCE,
    })
  })

  it('keeps the nonce and identity fields its own, whatever the claims hook returns', async () => {
    const claims = () => ({ nonce: 'forged', external_id: 'admin-1', email: 'root@acme.com' })
    app = await apps.start({ vendors: [vendor({ claims })] })
    expect(fieldsOf(await signed(app))).toMatchObject({
      nonce: DISCOURSE_NONCE,
      external_id: ALICE.id,
      email: ALICE.email,
    })
  })

  it('removes admin, moderator, groups, add_groups, remove_groups and title, naming them in an event', async () => {
    const claims = () => ({
      admin: true,
      moderator: true,
      groups: ['staff', 'owners'],
      add_groups: 'staff',
      remove_groups: 'trust_level_0',
      title: 'Boss',
      bio: 'Hi',
    })
    app = await apps.start({ vendors: [vendor({ claims })] })
    const fields = fieldsOf(await signed(app))
    for (const name of ['admin', 'moderator', 'groups', 'add_groups', 'remove_groups', 'title'])
      expect(fields).not.toHaveProperty(name)
    expect(fields.bio).toBe('Hi')
    expect(app.events).toContainEqual({
      type: 'claims.removed',
      vendor: 'discourse',
      route: 'login',
      userId: ALICE.id,
      claims: ['admin', 'moderator', 'groups', 'add_groups', 'remove_groups', 'title'],
    })
    const serialized = JSON.stringify(app.events)
    for (const value of ['staff', 'owners', 'Boss', 'trust_level_0'])
      expect(serialized).not.toContain(value)
  })

  it('passes the privileged keys with allowPrivilegeClaims: true', async () => {
    const claims = () => ({
      admin: true,
      moderator: false,
      groups: ['staff', 'owners'],
      title: 'Boss',
    })
    app = await apps.start({ vendors: [vendor({ claims, allowPrivilegeClaims: true })] })
    expect(fieldsOf(await signed(app))).toMatchObject({
      admin: 'true',
      moderator: 'false',
      groups: 'staff,owners',
      title: 'Boss',
    })
    expect(app.events.map((e) => e.type)).not.toContain('claims.removed')
  })

  it('refuses an unverified email with a 403 by default', async () => {
    app = await apps.start({ vendors: [vendor()] })
    app.user = { ...ALICE, emailVerified: false }
    await expectRefused(await signed(app), 'ERR_SSO_EMAIL_UNVERIFIED', /./, 403)
  })

  it("sends require_activation=true for an unverified email with unverifiedEmail: 'requireActivation'", async () => {
    app = await apps.start({ vendors: [vendor({ unverifiedEmail: 'requireActivation' })] })
    app.user = { ...ALICE, emailVerified: false }
    expect(fieldsOf(await signed(app))).toEqual({
      nonce: DISCOURSE_NONCE,
      external_id: ALICE.id,
      email: ALICE.email,
      name: 'Alice Liddell',
      require_activation: 'true',
    })
    app.user = ALICE
    expect(fieldsOf(await signed(app))).not.toHaveProperty('require_activation')
    app.user = { ...ALICE, emailVerified: false, email: undefined as unknown as string }
    await expectRefused(await signed(app), 'ERR_SSO_USER_INVALID', /email/, 422)
  })
})

describe('discourse: logout, instances and configuration', () => {
  it('runs onLogout on the logout_redirect route, then redirects to afterLogout', async () => {
    app = await apps.start({ vendors: [vendor({ afterLogout: '/bye' })] })
    const response = await app.get('/sso/discourse/logout')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/bye')
    expect(app.logouts).toBe(1)
    expect((await app.get('/sso/discourse/logout', { method: 'HEAD' })).status).toBe(405)
    const img = await app.get('/sso/discourse/logout', { headers: { 'sec-fetch-dest': 'image' } })
    expect(img.status).toBe(403)
    expect(app.logouts).toBe(1)
  })

  it('serves a second forum under its own id and secret', async () => {
    const other = 'second-forum-connect-secret-0123456789ab'
    app = await apps.start({
      vendors: [
        vendor(),
        vendor({ id: 'discourse-staff', secret: other, discourseUrl: 'https://staff.acme.com' }),
      ],
    })
    const staffReturn = 'https://staff.acme.com/session/sso_login'
    const request = discourseRequest({ nonce: 'n1', return_sso_url: staffReturn }, other)
    const response = await app.get(`/sso/discourse-staff/login?${request.query}`)
    expect(fieldsOf(response, other, staffReturn).nonce).toBe('n1')
    // The first forum's secret does not open the second's route, nor the other way round.
    await expectRefused(
      await app.get(
        `/sso/discourse-staff/login?${discourseRequest({ nonce: 'n1', return_sso_url: staffReturn }).query}`,
      ),
      'ERR_SSO_BAD_REQUEST',
      /does not match/,
    )
    expect(app.events.at(-1)).toEqual({
      type: 'request.refused',
      vendor: 'discourse-staff',
      route: 'login',
      code: 'ERR_SSO_BAD_REQUEST',
    })
  })

  it.each([
    [
      'a short secret',
      { secret: 'short' },
      /`secret` is 5 bytes; HMAC secrets must be at least 32/,
    ],
    [
      'an empty secret',
      { secret: '' },
      /^discourse\(\): option `secret` is required .*: it is empty/,
    ],
    ['an http forum', { discourseUrl: 'http://forum.acme.com' }, /https/],
    ['a forum URL with a query', { discourseUrl: 'https://forum.acme.com/?x=1' }, /query/],
    ['an unknown unverifiedEmail', { unverifiedEmail: 'allow' }, /`unverifiedEmail` must be/],
    ['an id with upper case', { id: 'Forum' }, /`id` must be lower-case/],
    ['a foreign afterLogout', { afterLogout: 'https://evil.example/' }, /afterLogout/],
    [
      'an http return URL',
      { allowedReturnUrls: ['http://forum.acme.com/session/sso_login'] },
      /https/,
    ],
  ])('refuses %s at construction', (_n, extra, message) => {
    expect(() => vendor(extra as Partial<DiscourseOptions>)).toThrow(
      expect.objectContaining({
        code: 'ERR_SSO_CONFIG',
        message: expect.stringMatching(message),
      }) as SsoError,
    )
  })

  it('takes a short secret with dangerouslyAllowShortSecret, and signs with it', async () => {
    app = await apps.start({
      vendors: [vendor({ secret: 'short', dangerouslyAllowShortSecret: true })],
    })
    expect(fieldsOf(await signed(app, VALID, 'short'), 'short').nonce).toBe(DISCOURSE_NONCE)
  })
})
