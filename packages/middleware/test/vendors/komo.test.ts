import { generateKeyPairSync } from 'node:crypto'
import { importSPKI, jwtVerify } from 'jose'
import {
  ALICE,
  configErrorOf,
  komoFixture,
  PINNED_DATE,
  PINNED_SECONDS,
  pinClock,
  SECRETS,
  startApp,
  type TestApp,
  unpinClock,
} from '@sso/fixtures'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { komo } from '../../src/index'
import { runVendorContract } from './contract'

runVendorContract(komoFixture)

const post = (app: TestApp, init: RequestInit = {}) =>
  app.get('/sso/komo/token', { method: 'POST', ...init })

describe('komo token endpoint', () => {
  let app: TestApp
  beforeEach(async () => {
    pinClock()
    app = await startApp({ vendors: [komo({ secret: SECRETS.komo })], loginUrl: '/login' })
  })
  afterEach(async () => {
    unpinClock()
    await app.close()
  })

  it('serves same-origin browsers and server-side callers', async () => {
    const host = new URL(app.url).host
    expect(
      (await post(app, { headers: { 'sec-fetch-site': 'same-origin', origin: app.url } })).status,
    ).toBe(200)
    expect((await post(app)).status).toBe(200)
    expect((await post(app, { headers: { origin: `http://${host}` } })).status).toBe(200)
  })

  it.each([
    ['cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['same-site', { 'sec-fetch-site': 'same-site' }],
    ['none', { 'sec-fetch-site': 'none' }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['a null Origin', { origin: 'null' }],
    ['a look-alike Origin port', { origin: 'http://127.0.0.1:1' }],
  ])('refuses a request with %s with a 403 and no token', async (_, headers) => {
    const response = await post(app, { headers })
    expect(response.status).toBe(403)
    const body = await response.json()
    expect(body).toEqual({ error: expect.objectContaining({ code: 'ERR_SSO_FORBIDDEN' }) })
    expect(JSON.stringify(body)).not.toContain('eyJ')
  })

  it('is POST-only and keeps CORS closed', async () => {
    const get = await app.get('/sso/komo/token')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const preflight = await app.get('/sso/komo/token', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(405)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    expect((await post(app)).headers.get('access-control-allow-origin')).toBeNull()
  })

  it('takes identity from the session only, never from the body', async () => {
    const response = await post(app, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'admin', email: 'admin@example.com', sub: 'admin' }),
    })
    const { token } = (await response.json()) as { token: string }
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRETS.komo), {
      currentDate: PINNED_DATE,
    })
    expect(payload.sub).toBe(ALICE.id)
    expect(payload.email).toBe(ALICE.email)
  })

  it('accepts extra origins named in allowedOrigins', async () => {
    const proxied = await startApp({
      vendors: [komo({ secret: SECRETS.komo, allowedOrigins: ['https://app.example.com'] })],
    })
    try {
      expect((await post(proxied, { headers: { origin: 'https://app.example.com' } })).status).toBe(
        200,
      )
      expect(
        (await post(proxied, { headers: { origin: 'https://other.example.com' } })).status,
      ).toBe(403)
    } finally {
      await proxied.close()
    }
  })

  it.each(['RS256', 'ES256'] as const)(
    'signs with %s and a private key the portal verifies with the public key',
    async (algorithm) => {
      const pair =
        algorithm === 'RS256'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
      const publicKey = await importSPKI(
        pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        algorithm,
      )
      const keyed = await startApp({ vendors: [komo({ privateKey, algorithm, expiresIn: 600 })] })
      try {
        const { token, expiresAt } = (await (await post(keyed)).json()) as {
          token: string
          expiresAt: number
        }
        const { payload, protectedHeader } = await jwtVerify(token, publicKey, {
          algorithms: [algorithm],
          currentDate: PINNED_DATE,
        })
        expect(protectedHeader).toEqual({ alg: algorithm, typ: 'JWT' })
        expect(payload).toEqual({
          sub: ALICE.id,
          email: ALICE.email,
          first_name: 'Alice',
          last_name: 'Liddell',
          iat: PINNED_SECONDS,
          exp: PINNED_SECONDS + 600,
        })
        expect(expiresAt).toBe(PINNED_SECONDS + 600)
      } finally {
        await keyed.close()
      }
    },
  )

  it('maps a single `name` to first and last name', async () => {
    app.user = { id: 'u9', email: 'bo@example.com', name: 'Bo Van Dyke' }
    const { token } = (await (await post(app)).json()) as { token: string }
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRETS.komo), {
      currentDate: PINNED_DATE,
    })
    expect(payload.first_name).toBe('Bo')
    expect(payload.last_name).toBe('Van Dyke')
  })
})

describe('komo key rotation: the kid header', () => {
  afterEach(() => unpinClock())
  it.each([
    ['HS256', () => ({ secret: SECRETS.komo })],
    [
      'ES256',
      () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        return {
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
          algorithm: 'ES256' as const,
        }
      },
    ],
  ])('names the key in the header (%s), and only when configured', async (_alg, key) => {
    pinClock()
    const withKid = await startApp({ vendors: [komo({ ...key(), kid: 'komo-2026-12' })] })
    const without = await startApp({ vendors: [komo(key())] })
    try {
      const header = async (app: TestApp) => {
        const { token } = (await (await post(app)).json()) as { token: string }
        return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())
      }
      expect(await header(withKid)).toEqual({ alg: _alg, typ: 'JWT', kid: 'komo-2026-12' })
      expect(await header(without)).toEqual({ alg: _alg, typ: 'JWT' })
    } finally {
      await withKid.close()
      await without.close()
    }
  })
})

describe('komo configuration', () => {
  it.each([
    [{ secret: 'too-short' }, /at least 32 bytes/],
    [{ secret: SECRETS.komo, expiresIn: 0 }, /`expiresIn` must be a positive whole number/],
    [{ secret: SECRETS.komo, expiresIn: 90_000 }, /capped at 86400 seconds/],
    [
      { secret: SECRETS.komo, privateKey: 'x', algorithm: 'RS256' },
      /either `secret` or `privateKey`/,
    ],
    [{ privateKey: 'not a pem', algorithm: 'RS256' }, /PKCS#8 PEM/],
    [
      { privateKey: '-----BEGIN PRIVATE KEY-----', algorithm: 'HS512' },
      /`algorithm` must be one of RS256, ES256/,
    ],
    [{ secret: SECRETS.komo, issuer: '' }, /`issuer` must be a non-empty string/],
    [{ secret: SECRETS.komo, expiresin: 60 }, /did you mean `expiresIn`/],
    [
      { secret: SECRETS.komo, allowedOrigins: ['app.example.com'] },
      /`allowedOrigins` entries must be origins/,
    ],
    [{ secret: SECRETS.komo, kid: '' }, /`kid` must be 1 to 128 printable ASCII/],
    [{ secret: SECRETS.komo, kid: 'key one' }, /`kid` must be 1 to 128 printable ASCII/],
  ])('refuses %j at construction with the fix', (options, message) => {
    const caught = configErrorOf(() => komo(options as never), message)
    expect(caught.message).toMatch(/^komo\(\)/)
  })

  it('accepts a short secret only with the loudly named escape hatch', () => {
    expect(komo({ secret: 'short-vendor-secret', dangerouslyAllowShortSecret: true }).id).toBe(
      'komo',
    )
  })
})
