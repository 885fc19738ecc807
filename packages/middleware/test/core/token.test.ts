import { generateKeyPairSync } from 'node:crypto'
import { decodeProtectedHeader, importJWK, importSPKI, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type SigningAlgorithm, SsoError } from '../../src/index'
import { createSigner, type SigningKeyOptions } from '../../src/vendor-kit'
import { checkLifetime } from '../../src/core/options'
import {
  ASYMMETRIC_KEYS,
  byName,
  EC_PRIVATE_JWK,
  EC_PUBLIC_JWK,
  GARBAGE_PEM,
  HS256_SECRET,
  pinClock,
  PINNED_SECONDS,
  RSA_PKCS1_PEM,
  RSA_PRIVATE_PEM,
  RSA_PUBLIC_PEM,
  SHORT_SECRET,
  unpinClock,
} from '@sso/fixtures'

const WHERE = 'acme()'
const ALL: SigningAlgorithm[] = ['HS256', 'RS256', 'ES256', 'EdDSA']
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const encoder = new TextEncoder()

type VerifyKey = CryptoKey | Uint8Array

interface SignerCase {
  name: string
  alg: SigningAlgorithm
  key: SigningKeyOptions
  verifyKey: () => Promise<VerifyKey>
}

const SIGNERS: SignerCase[] = [
  {
    name: 'HS256 from a secret',
    alg: 'HS256',
    key: { secret: HS256_SECRET },
    verifyKey: async () => encoder.encode(HS256_SECRET),
  },
  ...ASYMMETRIC_KEYS.flatMap(({ alg, privatePem, privateJwk, publicPem }): SignerCase[] => [
    {
      name: `${alg} from a PKCS#8 PEM`,
      alg,
      key: { privateKey: privatePem, algorithm: alg },
      verifyKey: () => importSPKI(publicPem, alg),
    },
    {
      name: `${alg} from a private JWK`,
      alg,
      key: { privateKey: privateJwk, algorithm: alg },
      verifyKey: () => importSPKI(publicPem, alg),
    },
  ]),
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

/** Waits long enough for an unhandled rejection to be reported, and returns those seen. */
async function unhandledRejectionsDuring(run: () => void): Promise<unknown[]> {
  const seen: unknown[] = []
  const record = (reason: unknown) => seen.push(reason)
  process.on('unhandledRejection', record)
  try {
    run()
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  } finally {
    process.off('unhandledRejection', record)
  }
  return seen
}

beforeEach(() => pinClock())
afterEach(() => unpinClock())

describe.each(byName(SIGNERS))('createSigner: %s', (_name, { alg, key, verifyKey }) => {
  it('signs a token whose header is exactly { alg, typ: "JWT" } and whose claims are exact', async () => {
    const signer = createSigner(key, WHERE, ALL)
    expect(signer.algorithm).toBe(alg)
    await expect(signer.ready).resolves.toBeUndefined()

    const signed = await signer.sign(
      { sub: 'user-1', name: 'Ada Lovelace' },
      { expiresIn: 300, notBefore: true, jti: true },
    )

    expect(decodeProtectedHeader(signed.token)).toEqual({ alg, typ: 'JWT' })
    const { payload, protectedHeader } = await jwtVerify(signed.token, await verifyKey(), {
      algorithms: [alg],
    })
    expect(protectedHeader).toEqual({ alg, typ: 'JWT' })
    expect(payload).toEqual({
      sub: 'user-1',
      name: 'Ada Lovelace',
      iat: PINNED_SECONDS,
      nbf: PINNED_SECONDS,
      exp: PINNED_SECONDS + 300,
      jti: expect.stringMatching(UUID_V4),
    })
    expect(signed).toEqual({
      token: signed.token,
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 300,
      jti: payload.jti,
    })
  })

  it('sets no exp, nbf or jti unless asked', async () => {
    const signer = createSigner(key, WHERE, ALL)
    const signed = await signer.sign({ sub: 'user-1' })
    const { payload } = await jwtVerify(signed.token, await verifyKey(), { algorithms: [alg] })
    expect(payload).toEqual({ sub: 'user-1', iat: PINNED_SECONDS })
    expect(signed).toMatchObject({ iat: PINNED_SECONDS, exp: undefined, jti: undefined })
  })

  it('keeps the pinned algorithm whatever the claims say (alg cannot be changed through claims)', async () => {
    const signer = createSigner(key, WHERE, ALL)
    const { token } = await signer.sign(
      { sub: 'user-1', alg: 'none', typ: 'JOSE', kid: 'attacker', header: { alg: 'none' } },
      { expiresIn: 60 },
    )
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'JWT' })
    await expect(jwtVerify(token, await verifyKey(), { algorithms: [alg] })).resolves.toBeTruthy()
  })

  it('replaces iat, exp, nbf and jti given as claims with its own', async () => {
    const signer = createSigner(key, WHERE, ALL)
    const forged = { sub: 'user-1', iat: 1, exp: 4_102_444_800, nbf: 0, jti: 'chosen-by-hook' }

    const withOptions = await signer.sign(forged, { expiresIn: 60, jti: true })
    const a = await jwtVerify(withOptions.token, await verifyKey(), { algorithms: [alg] })
    expect(a.payload).toEqual({
      sub: 'user-1',
      iat: PINNED_SECONDS,
      exp: PINNED_SECONDS + 60,
      jti: expect.stringMatching(UUID_V4),
    })
    expect(a.payload.jti).not.toBe('chosen-by-hook')

    const withoutOptions = await signer.sign(forged)
    const b = await jwtVerify(withoutOptions.token, await verifyKey(), { algorithms: [alg] })
    expect(b.payload).toEqual({ sub: 'user-1', iat: PINNED_SECONDS })
  })

  it('gives every token a different random UUID jti', async () => {
    const signer = createSigner(key, WHERE, ALL)
    const jtis = new Set<string | undefined>()
    for (let i = 0; i < 20; i++) jtis.add((await signer.sign({ sub: 'u' }, { jti: true })).jti)
    expect(jtis.size).toBe(20)
    for (const jti of jtis) expect(jti).toMatch(UUID_V4)
  })

  it('signs tokens that stop verifying once exp has passed', async () => {
    const signer = createSigner(key, WHERE, ALL)
    const { token } = await signer.sign({ sub: 'u' }, { expiresIn: 60 })
    pinClock(new Date((PINNED_SECONDS + 61) * 1000))
    await expect(jwtVerify(token, await verifyKey(), { algorithms: [alg] })).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    })
  })
})

describe('createSigner: algorithms are pinned', () => {
  it('signs HS256 tokens that a verifier pinned to another algorithm refuses', async () => {
    const { token } = await createSigner({ secret: HS256_SECRET }, WHERE).sign({ sub: 'u' })
    await expect(
      jwtVerify(token, encoder.encode(HS256_SECRET), { algorithms: ['HS512'] }),
    ).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' })
  })

  it('signs with the private key given, verifiable only with its public half', async () => {
    const signer = createSigner({ privateKey: EC_PRIVATE_JWK, algorithm: 'ES256' }, WHERE, ALL)
    const { token } = await signer.sign({ sub: 'u' })
    await expect(
      jwtVerify(token, await importJWK(EC_PUBLIC_JWK, 'ES256'), { algorithms: ['ES256'] }),
    ).resolves.toBeTruthy()
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    await expect(jwtVerify(token, stranger, { algorithms: ['ES256'] })).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    })
  })
})

describe('createSigner: HMAC secrets of at least 32 bytes', () => {
  const shortMessage = (bytes: number) =>
    `${WHERE}: \`secret\` is ${bytes} bytes; HMAC secrets must be at least 32 bytes. ` +
    'Use the full secret the vendor issued, or set `dangerouslyAllowShortSecret: true` if the vendor really issues shorter ones.'

  it.each([
    ['31 ASCII characters', SHORT_SECRET, 31],
    ['a one-character secret', 'x', 1],
    ['16 characters that are 31 bytes of UTF-8', `${'é'.repeat(15)}a`, 31],
  ])('refuses %s, naming the fix', (_name, secret, bytes) => {
    const error = thrown(() => createSigner({ secret }, WHERE))
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message: shortMessage(bytes) })
    expect((error as Error).message).not.toContain(secret)
  })

  it('counts bytes, not characters (16 two-byte characters are enough)', async () => {
    const secret = 'é'.repeat(16)
    const signer = createSigner({ secret }, WHERE)
    const { token } = await signer.sign({ sub: 'u' })
    await expect(
      jwtVerify(token, encoder.encode(secret), { algorithms: ['HS256'] }),
    ).resolves.toBeTruthy()
  })

  it('accepts a short secret with dangerouslyAllowShortSecret: true, and signs with it', async () => {
    const signer = createSigner({ secret: 'short', dangerouslyAllowShortSecret: true }, WHERE)
    await expect(signer.ready).resolves.toBeUndefined()
    const { token } = await signer.sign({ sub: 'u' })
    const { payload } = await jwtVerify(token, encoder.encode('short'), { algorithms: ['HS256'] })
    expect(payload).toEqual({ sub: 'u', iat: PINNED_SECONDS })
  })

  it('takes only the literal true as the escape hatch', () => {
    const key = {
      secret: 'short',
      dangerouslyAllowShortSecret: 'yes',
    } as unknown as SigningKeyOptions
    expect(thrown(() => createSigner(key, WHERE))).toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message: shortMessage(5),
    })
  })

  it('refuses an empty secret even with the escape hatch', () => {
    expect(
      thrown(() => createSigner({ secret: '', dangerouslyAllowShortSecret: true }, WHERE)),
    ).toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message: `${WHERE}: ${missing}: it is empty (is its environment variable set?).`,
    })
  })
})

const missing = 'option `secret` is required (the shared secret the vendor issued, as a string)'
const orKey = ', or `privateKey` with `algorithm` (RS256, ES256 or EdDSA)'
const notAKey = 'takes the shared secret the vendor issued as `secret`, not a private key.'

describe('createSigner: key configuration errors at construction', () => {
  const pkcs8 =
    '`privateKey` must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a private JWK. ' +
    'Convert a PKCS#1 key with `openssl pkcs8 -topk8 -nocrypt -in key.pem`.'
  const notJwk = '`privateKey` must be a PKCS#8 PEM string or a private JWK (with "d").'
  const notAllowed = (got: string) =>
    `\`algorithm\` must be one of RS256, ES256, EdDSA; got ${got}.`

  const CASES: [string, unknown, SigningAlgorithm[], string][] = [
    ['no key at all', null, ALL, `${missing}${orKey}.`],
    ['an empty object', {}, ALL, `${missing}${orKey}.`],
    ['an empty object where only the secret is taken', {}, ['HS256'], `${missing}.`],
    [
      'an empty object where only keys are taken',
      {},
      ['RS256'],
      'option `privateKey` is required, with `algorithm` (RS256).',
    ],
    ['an undefined secret', { secret: undefined }, ALL, `${missing}${orKey}.`],
    [
      'a secret that is not a string',
      { secret: 42 },
      ALL,
      `${missing}${orKey}: got number, not a string.`,
    ],
    ['a PEM private key as the secret', { secret: RSA_PRIVATE_PEM }, ['HS256'], notAKey],
    ['a private JWK as the secret', { secret: EC_PRIVATE_JWK }, ['HS256'], notAKey],
    [
      'a PEM private key as the secret where keys are taken too',
      { secret: RSA_PKCS1_PEM },
      ALL,
      '`secret` holds a private key; pass it as `privateKey` with `algorithm` (RS256, ES256 or EdDSA), or pass the shared secret the vendor issued as `secret`.',
    ],
    [
      'a secret where only keys are taken',
      { secret: HS256_SECRET },
      ['RS256'],
      'takes a private key (algorithm RS256), not a secret.',
    ],
    [
      'algorithm none',
      { privateKey: RSA_PRIVATE_PEM, algorithm: 'none' },
      ALL,
      notAllowed('"none"'),
    ],
    [
      'HS256 with a private key',
      { privateKey: RSA_PRIVATE_PEM, algorithm: 'HS256' },
      ALL,
      notAllowed('"HS256"'),
    ],
    [
      'an algorithm the vendor does not pin',
      { privateKey: RSA_PRIVATE_PEM, algorithm: 'PS256' },
      ALL,
      notAllowed('"PS256"'),
    ],
    ['a PKCS#1 PEM', { privateKey: RSA_PKCS1_PEM, algorithm: 'RS256' }, ALL, pkcs8],
    ['a public key PEM', { privateKey: RSA_PUBLIC_PEM, algorithm: 'RS256' }, ALL, pkcs8],
    ['a public JWK (no "d")', { privateKey: EC_PUBLIC_JWK, algorithm: 'ES256' }, ALL, notJwk],
    ['no privateKey', { algorithm: 'ES256' }, ALL, notJwk],
    [
      'both a secret and a private key',
      { secret: HS256_SECRET, privateKey: RSA_PRIVATE_PEM, algorithm: 'RS256' },
      ALL,
      'takes either `secret` or `privateKey`, not both.',
    ],
  ]

  it.each(CASES)('refuses %s', (_name, key, allowed, message) => {
    const error = thrown(() => createSigner(key as SigningKeyOptions, WHERE, allowed))
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message: `${WHERE}: ${message}` })
  })

  it('points a private key at `secret` when the vendor takes HS256 only', () => {
    const error = thrown(() =>
      createSigner({ privateKey: RSA_PRIVATE_PEM, algorithm: 'RS256' }, WHERE, ['HS256']),
    )
    // The fix is to pass the vendor's secret; a message listing no algorithm at all helps no one.
    expect(error).toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message: expect.stringMatching(/^acme\(\): .*`secret`/),
    })
    expect((error as Error).message).not.toContain('one of ;')
  })
})

describe('createSigner: keys that fail to import', () => {
  const importFailure = (alg: string) =>
    `${WHERE}: the ${alg} key could not be imported; check that it is a valid private key.`

  const CASES: [string, SigningKeyOptions, string][] = [
    ['a PEM with garbage inside', { privateKey: GARBAGE_PEM, algorithm: 'RS256' }, 'RS256'],
    ['an RSA key declared as ES256', { privateKey: RSA_PRIVATE_PEM, algorithm: 'ES256' }, 'ES256'],
    ['an EC JWK declared as EdDSA', { privateKey: EC_PRIVATE_JWK, algorithm: 'EdDSA' }, 'EdDSA'],
  ]

  it.each(CASES)(
    'rejects `ready` with ERR_SSO_CONFIG for %s, without an unhandled rejection',
    async (_name, key, alg) => {
      let signer: ReturnType<typeof createSigner> | undefined
      const unhandled = await unhandledRejectionsDuring(() => {
        signer = createSigner(key, WHERE, ALL)
      })
      expect(unhandled).toEqual([])
      const error = await signer?.ready.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(SsoError)
      expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message: importFailure(alg) })
      expect((error as Error).message).not.toContain('PRIVATE KEY')
    },
  )

  it('rejects sign() with the same ERR_SSO_CONFIG', async () => {
    const signer = createSigner({ privateKey: GARBAGE_PEM, algorithm: 'RS256' }, WHERE, ALL)
    await expect(signer.sign({ sub: 'u' })).rejects.toMatchObject({
      code: 'ERR_SSO_CONFIG',
      message: importFailure('RS256'),
    })
  })
})

describe('checkLifetime', () => {
  const where = 'comm100()'

  it.each([
    ['undefined gives the fallback', undefined, 300],
    ['1 second', 1, 1],
    ['exactly the cap', 600, 600],
  ])('accepts %s', (_name, value, expected) => {
    expect(checkLifetime(value, 300, 600, where)).toBe(expected)
  })

  const positive = (got: string) =>
    `${where}: \`expiresIn\` must be a positive whole number of seconds; got ${got}.`
  it.each([
    ['zero', 0, positive('0')],
    ['a negative number', -60, positive('-60')],
    ['a fraction', 1.5, positive('1.5')],
    ['NaN', Number.NaN, positive('NaN')],
    ['Infinity', Number.POSITIVE_INFINITY, positive('Infinity')],
    ['a numeric string', '60', positive('60')],
    [
      'more than the cap',
      601,
      `${where}: \`expiresIn\` is capped at 600 seconds by the vendor; got 601.`,
    ],
  ])('refuses %s', (_name, value, message) => {
    const error = thrown(() => checkLifetime(value as number, 300, 600, where))
    expect(error).toBeInstanceOf(SsoError)
    expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', message })
  })
})

describe('HS256 signed with node:crypto', () => {
  beforeEach(() => pinClock())
  afterEach(() => unpinClock())

  it('produces the very token jose would, byte for byte', async () => {
    const { SignJWT } = await import('jose')
    const signer = createSigner({ secret: HS256_SECRET }, 'test()')
    const claims = { sub: 'user-1', email: 'ünïcödé@example.com', nested: { a: [1, 'b'] }, iat: 1 }
    const ours = await signer.sign(claims, { expiresIn: 60, notBefore: true })
    const expected = await new SignJWT({
      sub: 'user-1',
      email: 'ünïcödé@example.com',
      nested: { a: [1, 'b'] },
      iat: PINNED_SECONDS,
      nbf: PINNED_SECONDS,
      exp: PINNED_SECONDS + 60,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(HS256_SECRET))
    expect(ours.token).toBe(expected)
  })
})
