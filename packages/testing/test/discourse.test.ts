import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { discourseSimulator } from '../src/simulators/discourse'
import type { DiscourseSimulatorOptions } from '../src/simulators/discourse'
import {
  DiscoursePayloadError,
  signDiscoursePayload,
  verifyDiscoursePayload,
} from '../src/simulators/discourse/verify'
import {
  APP,
  CookieJar,
  NOW_MS,
  OTHER_SECRET,
  SECRET,
  heading,
  linkHref,
  pageCode,
  pageState,
  request,
  start,
} from './helpers'

const loginUrl = `${APP}/sso/discourse/login`
const logoutUrl = `${APP}/sso/discourse/logout`

/** A clock the test can move (the nonce lives 10 minutes). */
function clock() {
  let t = NOW_MS
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

function setup(extra: Partial<DiscourseSimulatorOptions> = {}, time = clock()) {
  return discourseSimulator({ secret: SECRET, loginUrl, logoutUrl, now: time.now, ...extra })
}

/** What Discourse sent the app when the browser (jar) clicked "Log in". */
async function begin(url: string, jar: CookieJar, returnPath = '/t/welcome/1') {
  const res = await jar.request(`${url}/session/sso?return_path=${encodeURIComponent(returnPath)}`)
  const to = new URL(res.headers.get('location') ?? 'about:blank')
  const fields = verifyDiscoursePayload(
    to.searchParams.get('sso') ?? '',
    to.searchParams.get('sig') ?? '',
    SECRET,
  )
  return {
    res,
    to,
    nonce: fields.nonce as string,
    returnSsoUrl: fields.return_sso_url as string,
    fields,
  }
}

/** The app's answer: the browser goes back to return_sso_url with a signed payload. */
function finish(
  jar: CookieJar,
  returnSsoUrl: string,
  fields: Record<string, string>,
  secret = SECRET,
) {
  const { sso, sig } = signDiscoursePayload(fields, secret)
  const target = new URL(returnSsoUrl)
  target.searchParams.set('sso', sso)
  target.searchParams.set('sig', sig)
  return jar.request(target.href)
}

function user(nonce: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    nonce,
    external_id: 'u_1',
    email: 'ada@example.com',
    username: 'ada',
    name: 'Ada Lovelace',
    ...extra,
  }
}

/** Signs in through the whole flow; returns the landing page. */
async function signIn(url: string, jar: CookieJar, extra: Record<string, string> = {}) {
  const { nonce, returnSsoUrl } = await begin(url, jar, '/latest')
  return finish(jar, returnSsoUrl, user(nonce, extra))
}

describe('discourseSimulator', () => {
  it('links "Log in" on forum pages and the login page to /session/sso with the page as return_path', async () => {
    const url = await start(setup())
    const home = await request(`${url}/`)
    expect(linkHref(home.text, 'login').href).toBe(`${url}/session/sso?return_path=%2F`)
    const topic = await request(`${url}/t/welcome/1`)
    expect(linkHref(topic.text, 'login').href).toBe(
      `${url}/session/sso?return_path=%2Ft%2Fwelcome%2F1`,
    )
    const login = await request(`${url}/login`)
    expect(heading(login.text)).toBe('Log in')
    expect(linkHref(login.text, 'login').href).toBe(`${url}/session/sso?return_path=%2F`)
  })

  it('redirects /session/sso to discourse_connect_url with a signed nonce and its own return_sso_url', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    const { res, to, fields } = await begin(url, jar)
    expect(res.status).toBe(302)
    expect(`${to.origin}${to.pathname}`).toBe(loginUrl)
    expect([...to.searchParams.keys()]).toEqual(['sso', 'sig'])
    const sso = to.searchParams.get('sso') ?? ''
    expect(to.searchParams.get('sig')).toBe(createHmac('sha256', SECRET).update(sso).digest('hex'))
    expect(Object.keys(fields)).toEqual(['nonce', 'return_sso_url'])
    expect(fields.nonce).toMatch(/^[0-9a-f]{32}$/)
    expect(fields.return_sso_url).toBe(`${url}/session/sso_login`)
    expect(res.headers.get('set-cookie')).toMatch(/^discourse_sim_session=[^;]+; Path=\/; HttpOnly/)
    // Same browser, a new nonce, the session cookie kept.
    const second = await begin(url, jar)
    expect(second.nonce).not.toBe(fields.nonce)
    expect(second.res.headers.get('set-cookie')).toBeNull()
  })

  it('signs the user in, goes back to the return path and shows the forum user', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    const { nonce, returnSsoUrl } = await begin(url, jar, '/t/welcome/1')
    const res = await finish(jar, returnSsoUrl, user(nonce))
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${url}/t/welcome/1`)
    const page = await jar.request(`${url}/t/welcome/1`)
    expect(heading(page.text)).toBe('Signed in to Discourse as ada@example.com')
    expect(pageState(page.text)).toBe('signed-in')
    expect(page.text).toContain('<dd data-username>ada</dd>')
    expect(page.text).toContain('<dd data-external-id>u_1</dd>')
    expect(page.text).toContain('data-admin="false" data-moderator="false">none</dd>')
    expect(sim.users).toEqual([
      {
        id: 1,
        email: 'ada@example.com',
        username: 'ada',
        name: 'Ada Lovelace',
        externalId: 'u_1',
        admin: false,
        moderator: false,
        groups: [],
        active: true,
      },
    ])
    expect(sim.events).toEqual([
      expect.objectContaining({
        type: 'signed-in',
        vendor: 'discourse',
        email: 'ada@example.com',
        sub: 'u_1',
        detail: 'created',
        claims: user(nonce),
      }),
    ])
  })

  it.each([
    ['an absolute URL', 'https://evil.example/'],
    ['a protocol-relative URL', '//evil.example/'],
    ['a path back into /session/sso', '/session/sso'],
  ])('goes back to / for %s as return_path', async (_name, returnPath) => {
    const url = await start(setup())
    const jar = new CookieJar()
    const { nonce, returnSsoUrl } = await begin(url, jar, returnPath)
    const res = await finish(jar, returnSsoUrl, user(nonce))
    expect(res.headers.get('location')).toBe(`${url}/`)
  })

  it('round-trips a name with non-ASCII characters (UTF-8)', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    const name = 'Zoë Ñandú 李雷 🚀 & <co>'
    await signIn(url, jar, { name })
    expect(sim.users[0]?.name).toBe(name)
    const page = await jar.request(`${url}/`)
    expect(page.text).toContain('<dd data-name>Zoë Ñandú 李雷 🚀 &amp; &lt;co&gt;</dd>')
  })

  it.each([
    ['a URL-safe Base64 payload', 'bm9uY2U9YWJj-_'],
    ['a percent sign', 'bm9uY2U9YWJj%'],
    ['a space', 'bm9uY2U9 YWJj'],
  ])('refuses %s with 422 (bad Base64 characters)', async (_name, sso) => {
    const sim = setup()
    const url = await start(sim)
    const sig = createHmac('sha256', SECRET).update(sso).digest('hex')
    const res = await request(`${url}/session/sso_login?sso=${encodeURIComponent(sso)}&sig=${sig}`)
    expect([res.status, pageCode(res.text)]).toEqual([422, 'invalid_base64'])
    expect(sim.events).toEqual([
      expect.objectContaining({ type: 'refused', code: 'invalid_base64' }),
    ])
  })

  it('refuses a wrong signature with 422 without showing the expected one', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    const { nonce, returnSsoUrl } = await begin(url, jar)
    const fields = user(nonce)
    const res = await finish(jar, returnSsoUrl, fields, OTHER_SECRET)
    expect([res.status, pageCode(res.text)]).toEqual([422, 'bad_signature'])
    const expected = signDiscoursePayload(fields, SECRET).sig
    expect(res.text).not.toContain(expected)
    expect(sim.users).toEqual([])
  })

  it('refuses an upper-case sig (Discourse compares the hex digest exactly)', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    const { nonce } = await begin(url, jar)
    const { sso, sig } = signDiscoursePayload(user(nonce), SECRET)
    const res = await jar.request(
      `${url}/session/sso_login?sso=${encodeURIComponent(sso)}&sig=${sig.toUpperCase()}`,
    )
    expect([res.status, pageCode(res.text)]).toEqual([422, 'bad_signature'])
  })

  it('refuses a payload that is not UTF-8 with 422', async () => {
    const url = await start(setup())
    const sso = Buffer.from([0x6e, 0x3d, 0xff, 0xfe]).toString('base64')
    const sig = createHmac('sha256', SECRET).update(sso).digest('hex')
    const res = await request(`${url}/session/sso_login?sso=${encodeURIComponent(sso)}&sig=${sig}`)
    expect([res.status, pageCode(res.text)]).toEqual([422, 'invalid_payload'])
  })

  it('refuses a request without sso or sig with 400', async () => {
    const url = await start(setup())
    const res = await request(`${url}/session/sso_login?sso=abc`)
    expect([res.status, pageCode(res.text)]).toEqual([400, 'missing_parameter'])
  })

  it('refuses an unknown nonce with 419', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    const { returnSsoUrl } = await begin(url, jar)
    const res = await finish(jar, returnSsoUrl, user(randomBytes(16).toString('hex')))
    expect([res.status, pageCode(res.text)]).toEqual([419, 'nonce_unknown'])
  })

  it('refuses a nonce used once already with 419', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    const { nonce, returnSsoUrl } = await begin(url, jar)
    expect((await finish(jar, returnSsoUrl, user(nonce))).status).toBe(302)
    const again = await finish(jar, returnSsoUrl, user(nonce))
    expect([again.status, pageCode(again.text)]).toEqual([419, 'nonce_used'])
  })

  it('refuses a nonce made for another browser session with 419', async () => {
    const sim = setup()
    const url = await start(sim)
    const victim = new CookieJar()
    const { nonce, returnSsoUrl } = await begin(url, victim)
    const attacker = new CookieJar()
    await begin(url, attacker) // has a session of its own, not the victim's
    const res = await finish(attacker, returnSsoUrl, user(nonce))
    expect([res.status, pageCode(res.text)]).toEqual([419, 'nonce_other_session'])
    expect(sim.users).toEqual([])
    // Without any session cookie, too.
    const bare = await finish(new CookieJar(), returnSsoUrl, user(nonce))
    expect(pageCode(bare.text)).toBe('nonce_other_session')
  })

  it('accepts a nonce exactly 10 minutes old and refuses one a millisecond older with 419', async () => {
    const time = clock()
    const url = await start(setup({}, time))
    const jar = new CookieJar()
    const fresh = await begin(url, jar)
    const stale = await begin(url, jar)
    time.advance(10 * 60 * 1000)
    expect((await finish(jar, fresh.returnSsoUrl, user(fresh.nonce))).status).toBe(302)
    time.advance(1)
    const res = await finish(jar, stale.returnSsoUrl, user(stale.nonce))
    expect([res.status, pageCode(res.text)]).toEqual([419, 'nonce_expired'])
  })

  it.each([
    ['an empty external_id', { external_id: '' }, 'blank_external_id'],
    ['a blank external_id', { external_id: '   ' }, 'blank_external_id'],
    ['external_id none', { external_id: 'none' }, 'banned_external_id'],
    ['external_id NIL', { external_id: 'NIL' }, 'banned_external_id'],
    ['external_id Blank', { external_id: 'Blank' }, 'banned_external_id'],
    ['external_id null', { external_id: 'null' }, 'banned_external_id'],
    ['an empty email', { email: '' }, 'no_email'],
    ['an email that is not one', { email: 'ada' }, 'email_error'],
  ])('refuses %s with 500, as Discourse answers', async (_name, extra, code) => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    const { nonce, returnSsoUrl } = await begin(url, jar)
    const res = await finish(jar, returnSsoUrl, user(nonce, extra))
    expect([res.status, pageCode(res.text)]).toEqual([500, code])
    expect(sim.users).toEqual([])
    expect(sim.events).toEqual([expect.objectContaining({ type: 'refused', code })])
  })

  it('refuses a payload without external_id or email', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    const first = await begin(url, jar)
    const noId = await finish(jar, first.returnSsoUrl, {
      nonce: first.nonce,
      email: 'ada@example.com',
    })
    expect(pageCode(noId.text)).toBe('blank_external_id')
    const second = await begin(url, jar)
    const noEmail = await finish(jar, second.returnSsoUrl, {
      nonce: second.nonce,
      external_id: 'u_1',
    })
    expect(pageCode(noEmail.text)).toBe('no_email')
  })

  it('uses the nonce up even when the user is refused', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    const { nonce, returnSsoUrl } = await begin(url, jar)
    await finish(jar, returnSsoUrl, user(nonce, { external_id: 'null' }))
    const retry = await finish(jar, returnSsoUrl, user(nonce))
    expect(pageCode(retry.text)).toBe('nonce_used')
  })

  it('accepts external_id "0" (only none, nil, blank and null are banned)', async () => {
    const url = await start(setup())
    const res = await signIn(url, new CookieJar(), { external_id: '0' })
    expect(res.status).toBe(302)
  })

  it('finds the user by external_id first, then by email, and creates one otherwise', async () => {
    const sim = setup({
      users: [
        { email: 'old@example.com', username: 'ada', externalId: 'u_1' },
        { email: 'grace@example.com', username: 'grace' },
      ],
    })
    const url = await start(sim)
    await signIn(url, new CookieJar())
    await signIn(url, new CookieJar(), {
      external_id: 'u_2',
      email: 'Grace@Example.com',
      username: 'grace',
    })
    await signIn(url, new CookieJar(), {
      external_id: 'u_3',
      email: 'alan@example.com',
      username: 'alan',
    })
    expect(sim.events.map((e) => e.detail)).toEqual([
      'matched by external_id',
      'matched by email',
      'created',
    ])
    expect(sim.users.map(({ id, email, externalId }) => ({ id, email, externalId }))).toEqual([
      { id: 1, email: 'ada@example.com', externalId: 'u_1' },
      { id: 2, email: 'grace@example.com', externalId: 'u_2' },
      { id: 3, email: 'alan@example.com', externalId: 'u_3' },
    ])
  })

  it('with require_activation=true, does not match by email: creates the user inactive and shows "activation pending"', async () => {
    const sim = setup({ users: [{ email: 'ada@example.com', username: 'ada' }] })
    const url = await start(sim)
    const jar = new CookieJar()
    const res = await signIn(url, jar, { require_activation: 'true', username: 'ada2' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${url}/u/account-created`)
    const pending = await jar.request(`${url}/u/account-created`)
    expect(heading(pending.text)).toBe('Activation pending')
    expect(pending.text).toContain('data-activation="pending"')
    expect(sim.users).toHaveLength(2)
    expect(sim.users[1]).toMatchObject({ externalId: 'u_1', username: 'ada2', active: false })
    expect(sim.events.at(-1)).toMatchObject({ type: 'refused', code: 'activation_pending' })
    const forum = await jar.request(`${url}/latest`)
    expect(pageState(forum.text)).toBe('page')
  })

  it('with require_activation=true, signs in a user matched by external_id whose email did not change', async () => {
    const sim = setup({ users: [{ email: 'ada@example.com', username: 'ada', externalId: 'u_1' }] })
    const url = await start(sim)
    const res = await signIn(url, new CookieJar(), { require_activation: 'true' })
    expect(res.headers.get('location')).toBe(`${url}/latest`)
    expect(sim.users[0]).toMatchObject({ active: true })
  })

  it('applies add_groups and remove_groups, ignores groups unless overridesGroups, and shows them', async () => {
    const sim = setup({
      users: [{ email: 'ada@example.com', username: 'ada', externalId: 'u_1', groups: ['old'] }],
    })
    const url = await start(sim)
    const jar = new CookieJar()
    await signIn(url, jar, {
      add_groups: 'Writers,readers',
      remove_groups: 'old',
      groups: 'ignored',
    })
    expect(sim.users[0]?.groups).toEqual(['writers', 'readers'])
    const page = await jar.request(`${url}/`)
    expect(page.text).toContain('<ul data-groups><li>writers</li><li>readers</li></ul>')
  })

  it('replaces the groups with groups when overridesGroups is on', async () => {
    const sim = setup({
      overridesGroups: true,
      users: [{ email: 'ada@example.com', username: 'ada', externalId: 'u_1', groups: ['old'] }],
    })
    const url = await start(sim)
    await signIn(url, new CookieJar(), { groups: 'staff-club,Beta', add_groups: 'ignored' })
    expect(sim.users[0]?.groups).toEqual(['staff-club', 'beta'])
  })

  it('sets admin and moderator from "true"/"false" only and shows them', async () => {
    const sim = setup()
    const url = await start(sim)
    const jar = new CookieJar()
    await signIn(url, jar, {
      admin: 'true',
      moderator: 'True',
      title: 'Founder',
      'custom.plan': 'pro',
    })
    expect(sim.users[0]).toMatchObject({
      admin: true,
      moderator: false,
      title: 'Founder',
      customFields: { plan: 'pro' },
    })
    const page = await jar.request(`${url}/`)
    expect(page.text).toContain('data-admin="true" data-moderator="false">admin</dd>')
    expect(page.text).toContain('<dd data-title>Founder</dd>')
    await signIn(url, jar, { admin: 'yes', moderator: 'true' })
    expect(sim.users[0]).toMatchObject({ admin: true, moderator: true })
    await signIn(url, jar, { admin: 'false' })
    expect(sim.users[0]).toMatchObject({ admin: false, moderator: true })
  })

  it('logs out to logout_redirect and ends the session', async () => {
    const url = await start(setup())
    const jar = new CookieJar()
    await signIn(url, jar)
    const page = await jar.request(`${url}/`)
    const res = await jar.request(linkHref(page.text, 'logout').href)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(logoutUrl)
    expect(res.headers.get('set-cookie')).toContain('Max-Age=0')
    expect(pageState((await jar.request(`${url}/`)).text)).toBe('page')
  })

  it('throws a TypeError at construction without secret or with a relative loginUrl', () => {
    expect(() => discourseSimulator({ secret: '', loginUrl })).toThrow(TypeError)
    expect(() => discourseSimulator({ secret: SECRET, loginUrl: '/sso/discourse/login' })).toThrow(
      TypeError,
    )
  })
})

describe('verifyDiscoursePayload', () => {
  it('returns the fields of a payload signDiscoursePayload made, UTF-8 included', () => {
    const { sso, sig } = signDiscoursePayload({ nonce: 'n1', name: 'Zoë 李' }, 'sécret-ü')
    expect(sig).toBe(
      createHmac('sha256', Buffer.from('sécret-ü', 'utf8')).update(sso).digest('hex'),
    )
    expect(verifyDiscoursePayload(sso, sig, 'sécret-ü')).toEqual({ nonce: 'n1', name: 'Zoë 李' })
  })

  it('tolerates line breaks in the Base64, signed as sent', () => {
    const plain = signDiscoursePayload(
      { nonce: 'n1', return_sso_url: 'https://forum.example/session/sso_login' },
      SECRET,
    ).sso
    const wrapped = `${plain.slice(0, 20)}\r\n${plain.slice(20)}`
    const sig = createHmac('sha256', SECRET).update(wrapped).digest('hex')
    expect(verifyDiscoursePayload(wrapped, sig, SECRET).nonce).toBe('n1')
  })

  it.each([
    ['bad characters', () => ['a-b', 'x'.repeat(64)] as const, 'invalid_base64'],
    [
      'another secret',
      () =>
        [
          signDiscoursePayload({ nonce: 'n' }, OTHER_SECRET).sso,
          signDiscoursePayload({ nonce: 'n' }, OTHER_SECRET).sig,
        ] as const,
      'bad_signature',
    ],
    [
      'a short sig',
      () => [signDiscoursePayload({ nonce: 'n' }, SECRET).sso, 'abc'] as const,
      'bad_signature',
    ],
  ])('refuses %s', (_name, make, code) => {
    const [sso, sig] = make()
    const err = (() => {
      try {
        verifyDiscoursePayload(sso, sig, SECRET)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(DiscoursePayloadError)
    expect(err).toMatchObject({ code })
    expect((err as Error).message).not.toContain(
      createHmac('sha256', SECRET).update(sso).digest('hex'),
    )
  })

  it('refuses a field given twice', () => {
    const sso = Buffer.from('nonce=a&nonce=b').toString('base64')
    const sig = createHmac('sha256', SECRET).update(sso).digest('hex')
    expect(() => verifyDiscoursePayload(sso, sig, SECRET)).toThrow(
      expect.objectContaining({ code: 'invalid_payload' }),
    )
  })
})
