// The development inspector's tests the Fastify, Hono and Next.js examples share, over real HTTP
// against the running example: the front page's link, every mounted vendor's routes (HTML, and
// JSON with `Accept: application/json`), signed out and signed in, and never a usable token on
// the page (every JWT-looking substring tried against every vendor secret the example holds).
import { createHmac, timingSafeEqual } from 'node:crypto'
import { networkInterfaces } from 'node:os'
import { expect, it } from 'vitest'
import { Client, linkHref } from '../../express/test/client'
import { DEMO_VENDORS } from '../../vendors/src/index'
import { EMAIL, type ExampleUnderTest, NAME, secretsOf } from '../../vendors/test/flows'

/** The example under test, as the inspector's checks need it. */
export interface InspectedExample {
  readonly url: string
  /** Every vendor the example mounts, by id. */
  readonly vendorIds: readonly string[]
  /** Every vendor secret the example holds. */
  readonly secrets: readonly string[]
  /** The email `logIn` signs in with. */
  readonly email: string
  /** Signs `client` in through the example's own login form. */
  logIn(client: Client): Promise<void>
}

/**
 * The Hono or Next.js example (the vendors of `@sso/example-vendors`), whose login form posts to
 * `loginPath` and comes back to the front page saying who is signed in.
 */
export function sharedVendorsExample(app: ExampleUnderTest, loginPath: string): InspectedExample {
  return {
    url: app.url,
    vendorIds: DEMO_VENDORS.map((v) => v.id),
    secrets: secretsOf(app),
    email: EMAIL,
    async logIn(client) {
      const fields = { email: EMAIL, name: NAME, returnTo: '/' }
      const done = await client.submit(`${app.url}${loginPath}`, fields)
      expect(done.text).toContain(`Signed in as <strong>${NAME}</strong>`)
    },
  }
}

/** What the JSON answer holds, as far as these tests read it. */
interface InspectionJson {
  basePath: string
  user: { id: string } | null
  routes: {
    vendor: string
    route: string
    method: string
    path: string
    outcome: string
    tokens: { in: string; header: Record<string, unknown>; claims: Record<string, unknown> }[]
  }[]
}

const JSON_ACCEPT = { accept: 'application/json' }
const JWT_LIKE = /[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]+/g

/** Whether `jwt` carries a valid HMAC signature (HS256, HS384 or HS512) made with `secret`. */
export function signedWith(jwt: string, secret: string): boolean {
  const dot = jwt.lastIndexOf('.')
  const signature = Buffer.from(jwt.slice(dot + 1), 'base64url')
  return ['sha256', 'sha384', 'sha512'].some((hash) => {
    const expected = createHmac(hash, secret).update(jwt.slice(0, dot)).digest()
    return expected.length === signature.length && timingSafeEqual(expected, signature)
  })
}

/** The inspector's HTML page and its JSON, for `client`. */
async function inspect(example: InspectedExample, client: Client) {
  const url = `${example.url}/sso/_inspect`
  const page = await client.request(url)
  const html = await page.text()
  const answer = await client.request(url, { headers: JSON_ACCEPT })
  const text = await answer.text()
  return { page, html, answer, text, json: JSON.parse(text) as InspectionJson }
}

/** The shared tests; call inside a `describe` whose `beforeAll` starts the example. */
export function inspectorChecks(running: () => InspectedExample): void {
  it('the front page links to the inspector; signed out, it lists every vendor and its routes and says nobody is signed in', async () => {
    const example = running()
    const client = new Client()
    const home = await client.go(example.url)
    const href = linkHref(home.text, /^Inspect what each vendor would receive$/, example.url)
    expect(href).toBe(`${example.url}/sso/_inspect`)
    const { page, html, answer, json } = await inspect(example, client)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(html).toContain('<h1>SSO inspector</h1>')
    expect(html).toContain('Nobody is signed in')
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    expect(json.basePath).toBe('/sso')
    expect(json.user).toBeNull()
    // Every mounted vendor, no other, each with its routes as full paths, on the page too.
    expect([...new Set(json.routes.map((r) => r.vendor))].sort()).toEqual(
      [...example.vendorIds].sort(),
    )
    for (const route of json.routes) {
      expect(route.path.startsWith(`/sso/${route.vendor}/`), route.path).toBe(true)
      expect(html).toContain(`<code>${route.method} ${route.path}</code>`)
      expect(['login', 'skipped'], `${route.vendor}/${route.route}`).toContain(route.outcome)
    }
  })

  it("signed in: each vendor's claims decoded with the signature removed; no JWT on the page verifies with any of the example's secrets", async () => {
    const example = running()
    const client = new Client()
    await example.logIn(client)
    const { page, html, text, json } = await inspect(example, client)
    expect(page.status).toBe(200)
    expect(json.user?.id).toMatch(/\S/)
    expect(html).toContain(`Signed in as user <code>${json.user?.id}</code>`)
    const tokens = json.routes.flatMap((r) => r.tokens.map((t) => ({ ...t, route: r })))
    // The user's email as a vendor receives it, in decoded claims, from more than one vendor.
    const withEmail = tokens.filter((t) => Object.values(t.claims).includes(example.email))
    expect(new Set(withEmail.map((t) => t.route.vendor)).size).toBeGreaterThan(1)
    for (const token of withEmail) expect(token.header.alg).toMatch(/^HS(256|384|512)$/)
    expect(html).toContain('SIGNATURE-REMOVED')
    expect(html).toContain('(signature removed):')
    // The check below can fail: a real token (Komo's token route, as the card's page asks it)
    // is signed with one of the example's secrets.
    const issued = await client.request(`${example.url}/sso/komo/token`, {
      method: 'POST',
      headers: { origin: example.url, 'sec-fetch-site': 'same-origin' },
    })
    const { token } = (await issued.json()) as { token: string }
    expect(example.secrets.filter((secret) => signedWith(token, secret))).toHaveLength(1)
    // Every JWT-looking string of both answers: none is signed with a secret the example holds.
    const candidates = [...html.matchAll(JWT_LIKE), ...text.matchAll(JWT_LIKE)].map((m) => m[0])
    expect(candidates.filter((c) => c.endsWith('.SIGNATURE-REMOVED')).length).toBeGreaterThan(1)
    expect(example.secrets.length).toBeGreaterThanOrEqual(example.vendorIds.length - 1)
    for (const candidate of candidates) {
      for (const secret of example.secrets) expect(signedWith(candidate, secret)).toBe(false)
    }
  })
}

/** A request that names a proxy hop is refused with 403, and the page says nothing of the user. */
export function proxyRefused(running: () => InspectedExample): void {
  it('a request naming a proxy hop (x-forwarded-for, forwarded, x-real-ip, via) is refused with 403', async () => {
    const example = running()
    const client = new Client()
    await example.logIn(client)
    const { json } = await inspect(example, client)
    const id = json.user?.id ?? ''
    expect(id).toMatch(/\S/)
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'via']) {
      const res = await client.request(`${example.url}/sso/_inspect`, {
        headers: { [header]: '203.0.113.9', ...JSON_ACCEPT },
      })
      expect(res.status, header).toBe(403)
      const body = await res.text()
      expect(body, header).toContain('ERR_SSO_FORBIDDEN')
      expect(body, header).not.toContain(id)
    }
  })
}

/**
 * This machine's first non-loopback IPv4 address: a client connecting to it has that address as
 * its own, so a server listening on every interface sees a peer that is not loopback.
 */
export function nonLoopbackAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === 'IPv4')?.address
  if (!address) throw new Error('These tests need a network interface other than loopback.')
  return address
}

/**
 * Started on every interface (`0.0.0.0`), the example answers the inspector to a client on
 * 127.0.0.1 and refuses one on this machine's other address: the check reads the socket's peer.
 */
export function nonLoopbackRefused(
  start: (host: string) => Promise<{ url: string; close(): Promise<void> }>,
): void {
  it('listening on every interface: a loopback client gets the page, a client on another address a 403', async () => {
    const address = nonLoopbackAddress()
    const example = await start('0.0.0.0')
    try {
      const port = new URL(example.url).port
      const local = await fetch(`http://127.0.0.1:${port}/sso/_inspect`)
      expect(local.status).toBe(200)
      await local.body?.cancel()
      const remote = await fetch(`http://${address}:${port}/sso/_inspect`)
      expect(remote.status).toBe(403)
      const body = await remote.text()
      expect(body).toContain('ERR_SSO_FORBIDDEN')
      expect(body).not.toContain('SSO inspector')
    } finally {
      await example.close()
    }
  })
}
