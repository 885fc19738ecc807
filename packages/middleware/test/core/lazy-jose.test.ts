// Cold start (#15): an app whose vendors all sign HS256 on Node never loads jose; a private key,
// or HS256 where node:crypto is missing, loads it once, when the key is imported.
import { EC_PRIVATE_PEM, HS256_SECRET } from '@sso/fixtures'
import { decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it, vi } from 'vitest'

const loads = vi.hoisted(() => ({ count: 0 }))
vi.mock('../../src/core/jose', async (importOriginal) => {
  loads.count++
  return importOriginal()
})

describe('jose is loaded only when a key needs it', () => {
  it('HS256 with node:crypto: built, signed and verified without loading it', async () => {
    const { createSigner } = await import('../../src/core/token')
    const { ssoHandler, komo } = await import('../../src/fetch')
    const signer = createSigner({ secret: HS256_SECRET }, 'test()')
    await signer.ready
    const { token } = await signer.sign({ sub: 'u1' }, { expiresIn: 60 })
    await jwtVerify(token, new TextEncoder().encode(HS256_SECRET), { algorithms: ['HS256'] })
    await ssoHandler({ getUser: () => null, vendors: [komo({ secret: HS256_SECRET })] }).ready
    expect(loads.count).toBe(0)
  })

  it('a private key loads it once, with the key, and signs with it', async () => {
    const { createSigner } = await import('../../src/core/token')
    const signer = createSigner({ privateKey: EC_PRIVATE_PEM, algorithm: 'ES256' }, 'test()', [
      'ES256',
    ])
    await signer.ready
    expect(loads.count).toBe(1)
    const { token } = await signer.sign({ sub: 'u1' })
    expect(decodeProtectedHeader(token).alg).toBe('ES256')
    await createSigner({ privateKey: EC_PRIVATE_PEM, algorithm: 'ES256' }, 'test()', ['ES256'])
      .ready
    expect(loads.count).toBe(1)
  })
})
