import { randomUUID } from 'node:crypto'
import { CompactSign } from 'jose'
import { describe, expect, it } from 'vitest'
import { VendorTokenError, importVendorKey, verifyVendorToken } from '../src/verify'
import { NOW, NOW_MS, SECRET, sign } from './helpers'

async function rejection(promise: Promise<unknown>): Promise<VendorTokenError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(VendorTokenError)
  return error as VendorTokenError
}

describe('verifyVendorToken', () => {
  it('resolves to the claims of a valid token', async () => {
    const token = await sign({ email: 'ada@example.com', iat: NOW })
    await expect(verifyVendorToken('kustomer', token, SECRET, { now: NOW_MS })).resolves.toEqual({
      email: 'ada@example.com',
      iat: NOW,
    })
  })

  it('uses the secret as UTF-8 bytes, not base64', async () => {
    const secret = 'c2VjcmV0LXRoYXQtbG9va3MtbGlrZS1iYXNlNjQtMDEyMzQ1Njc4OQ=='
    const token = await sign({ email: 'ada@example.com', iat: NOW }, secret)
    await expect(
      verifyVendorToken('kustomer', token, secret, { now: NOW_MS }),
    ).resolves.toMatchObject({
      email: 'ada@example.com',
    })
    const decoded = Buffer.from(secret, 'base64')
    const error = await rejection(verifyVendorToken('kustomer', token, decoded, { now: NOW_MS }))
    expect(error.code).toBe('bad_signature')
  })

  it('throws a VendorTokenError with code, vendor, claim and a message naming the claim', async () => {
    const token = await sign({
      sub: 'x'.repeat(51),
      name: 'Ada',
      email: 'ada@example.com',
      exp: NOW + 60,
    })
    const error = await rejection(verifyVendorToken('bettermode', token, SECRET, { now: NOW_MS }))
    expect({
      code: error.code,
      vendor: error.vendor,
      claim: error.claim,
      name: error.name,
    }).toEqual({
      code: 'claim_too_long',
      vendor: 'bettermode',
      claim: 'sub',
      name: 'VendorTokenError',
    })
    expect(error.message).toBe(
      'Bettermode could not log you in with the SSO token: the "sub" claim must be 50 characters or less.',
    )
  })

  it('records a Comm100 jti in seenJti and refuses it the second time', async () => {
    const seenJti = new Set<string>()
    const jti = randomUUID()
    const token = await sign({
      email: 'a@example.com',
      jti,
      iat: NOW,
      nbf: NOW,
      exp: NOW + 300,
      aud: 'Comm100',
    })
    await verifyVendorToken('comm100', token, SECRET, { now: NOW_MS, seenJti })
    expect([...seenJti]).toEqual([jti])
    const error = await rejection(
      verifyVendorToken('comm100', token, SECRET, { now: NOW_MS, seenJti }),
    )
    expect([error.code, error.claim]).toEqual(['replayed_jti', 'jti'])
  })

  it('accepts a Date for now and honours maxAgeSeconds and clockToleranceSeconds', async () => {
    const token = await sign({ email: 'ada@example.com', iat: NOW - 61 })
    const opts = { now: new Date(NOW_MS), maxAgeSeconds: 60 }
    expect(
      (
        await rejection(
          verifyVendorToken('kustomer', token, SECRET, { ...opts, clockToleranceSeconds: 0 }),
        )
      ).code,
    ).toBe('too_old')
    await expect(verifyVendorToken('kustomer', token, SECRET, opts)).resolves.toMatchObject({
      iat: NOW - 61,
    })
  })

  it('verifies with a key imported once by importVendorKey', async () => {
    const key = await importVendorKey('komo', SECRET)
    const token = await sign({ sub: 'u', email: 'a@example.com', exp: NOW + 60 })
    await expect(verifyVendorToken('komo', token, key, { now: NOW_MS })).resolves.toMatchObject({
      sub: 'u',
    })
  })

  it('refuses an algorithm Komo does not support at all', async () => {
    await expect(
      verifyVendorToken('komo', 'a.b.c', SECRET, { algorithm: 'PS256' as 'RS256' }),
    ).rejects.toThrow(new TypeError('Komo accepts HS256, RS256 or ES256, not "PS256"'))
  })

  it('reports a signed payload that is not JSON, and garbage, as malformed', async () => {
    const notJson = await new CompactSign(new TextEncoder().encode('not-json'))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET))
    expect((await rejection(verifyVendorToken('kustomer', notJson, SECRET))).code).toBe('malformed')
    expect((await rejection(verifyVendorToken('kustomer', '%%%.%%%.%%%', SECRET))).code).toBe(
      'malformed',
    )
    expect((await rejection(verifyVendorToken('kustomer', 'only.two', SECRET))).code).toBe(
      'malformed',
    )
  })
})
