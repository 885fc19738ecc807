import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose'
import type { JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { komoEmbedSource } from '../src/komo-embed/embed'
import { komoSimulator } from '../src/simulators/komo'
import { NOW, OTHER_SECRET, SECRET, now, sign, start, unsigned } from './helpers'

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    sub: 'u_1',
    email: 'ada@example.com',
    first_name: 'Ada',
    last_name: 'Lovelace',
    iss: 'acme-app',
    iat: NOW,
    exp: NOW + 3600,
    ...overrides,
  }
}

async function verify(url: string, token: unknown, origin = 'http://127.0.0.1:3000') {
  const res = await fetch(`${url}/api/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ token }),
  })
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  }
}

describe('komoSimulator', () => {
  it('serves the embed SDK as JavaScript at /assets/embed/embed.js', async () => {
    const url = await start(komoSimulator({ secret: SECRET, now }))
    const res = await fetch(`${url}/assets/embed/embed.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await res.text()).toBe(komoEmbedSource)
  })

  it('answers a CORS preflight from any origin', async () => {
    const url = await start(komoSimulator({ secret: SECRET, now }))
    const res = await fetch(`${url}/api/verify`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type')
  })

  it('verifies a valid token and answers the contact, with CORS open', async () => {
    const sim = komoSimulator({ secret: SECRET, now, issuer: 'acme-app' })
    const url = await start(sim)
    const res = await verify(url, await sign(claims()))
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.body).toEqual({
      contact: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
      receipt: expect.stringMatching(
        new RegExp(`^${url.replace(/[.]/g, '\\.')}/received/[A-Za-z0-9_-]{22}$`),
      ),
    })
    expect(sim.contacts.get('ada@example.com')).toEqual({
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
    })
    expect(sim.events).toEqual([
      expect.objectContaining({
        type: 'signed-in',
        vendor: 'komo',
        email: 'ada@example.com',
        sub: 'u_1',
      }),
    ])
  })

  const refusals: [string, () => Promise<string>, string][] = [
    ['another secret', () => sign(claims(), OTHER_SECRET), 'bad_signature'],
    ['HS384', () => sign(claims(), SECRET, 'HS384'), 'wrong_algorithm'],
    ['alg none', async () => unsigned(claims()), 'wrong_algorithm'],
    ['an expired exp', () => sign(claims({ iat: NOW - 7200, exp: NOW - 3600 })), 'expired'],
    ['exp just past the clock tolerance', () => sign(claims({ exp: NOW - 5 })), 'expired'],
    ['no exp', () => sign(claims({ exp: undefined })), 'missing_claim'],
    ['iat in the future', () => sign(claims({ iat: NOW + 120 })), 'issued_in_future'],
    ['no sub', () => sign(claims({ sub: undefined })), 'missing_claim'],
    ['no email', () => sign(claims({ email: undefined })), 'missing_claim'],
    ['another issuer', () => sign(claims({ iss: 'someone-else' })), 'bad_issuer'],
  ]

  it.each(refusals)(
    'refuses a token with %s with a 401 and a code',
    async (_name, makeToken, code) => {
      const sim = komoSimulator({ secret: SECRET, now, issuer: 'acme-app' })
      const url = await start(sim)
      const res = await verify(url, await makeToken())
      expect(res.status).toBe(401)
      expect(res.body).toEqual({
        error: { code, message: expect.stringContaining('Komo could not verify') },
      })
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(sim.events).toEqual([expect.objectContaining({ type: 'refused', code })])
    },
  )

  it('refuses a request without a token with a 400', async () => {
    const url = await start(komoSimulator({ secret: SECRET, now }))
    const res = await verify(url, undefined)
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ error: { code: 'missing_token' } })
  })

  it('verifies RS256 tokens against the configured public key and refuses HS256 signed with it', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
    const pem = await exportSPKI(publicKey)
    const url = await start(komoSimulator({ publicKey: pem, algorithm: 'RS256', now }))
    const good = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)
    expect((await verify(url, good)).status).toBe(200)
    // The classic confusion attack: HMAC with the public key's PEM as the secret.
    const confused = await sign(claims(), pem)
    expect((await verify(url, confused)).body).toMatchObject({ error: { code: 'wrong_algorithm' } })
  })

  it('verifies ES256 tokens against a JWK public key and refuses RS256 ones', async () => {
    const es = await generateKeyPair('ES256', { extractable: true })
    const rs = await generateKeyPair('RS256')
    const url = await start(
      komoSimulator({ publicKey: await exportJWK(es.publicKey), algorithm: 'ES256', now }),
    )
    const good = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256' })
      .sign(es.privateKey)
    expect((await verify(url, good)).body).toMatchObject({ contact: { email: 'ada@example.com' } })
    const wrong = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rs.privateKey)
    expect((await verify(url, wrong)).body).toMatchObject({ error: { code: 'wrong_algorithm' } })
  })
})
