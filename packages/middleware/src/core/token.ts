// The only module that signs, and the only one that imports jose: if jose changes, this file
// changes. SECURITY.md rule 5 (algorithms pinned, `none` impossible, 32-byte HMAC secrets) and
// rule 6 (short lifetimes, random `jti`) are enforced here. jose is loaded only when a key needs it
// (`core/jose.ts`): HS256 on Node signs with node:crypto, so most apps never load it (cold start).
import { configError, SsoError } from './errors'

/** jose's signing and key-import functions, loaded once, on first need. */
let jose: Promise<typeof import('./jose')> | undefined
const loadJose = () => {
  jose ??= import('./jose')
  return jose
}

type NodeCrypto = typeof import('node:crypto')
type NodeBuffer = typeof import('node:buffer')
type BuiltinLoader = { getBuiltinModule?: (id: string) => unknown }

/**
 * node:crypto where the runtime has it (Node >= 20.16, Bun, Deno), without a static import, so
 * the Fetch adapter still loads on runtimes that only have WebCrypto.
 */
function loadBuiltin<T>(id: string): T | undefined {
  try {
    const loader = (globalThis as { process?: BuiltinLoader }).process?.getBuiltinModule
    return loader?.(id) as T | undefined
  } catch {
    // A sandbox that forbids `process`: WebCrypto it is.
    return undefined
  }
}
/** node:crypto where the runtime has it; `undefined` on WebCrypto-only runtimes. */
export const nodeCrypto = loadBuiltin<NodeCrypto>('node:crypto')
const nodeBuffer = loadBuiltin<NodeBuffer>('node:buffer')

export type AsymmetricAlgorithm = 'RS256' | 'ES256' | 'EdDSA'
export type SigningAlgorithm = 'HS256' | AsymmetricAlgorithm

/** A shared secret (HS256), as the vendor issued it, used as its UTF-8 bytes. */
export interface SecretKeyOptions {
  secret: string
  /**
   * Accept an HMAC secret shorter than 32 bytes. Only for a vendor that issues shorter secrets:
   * a short secret can be brute-forced from one token. (default: `false`)
   */
  dangerouslyAllowShortSecret?: boolean
}

/**
 * A private key as a JSON Web Key (RFC 7517, as `crypto.KeyObject#export({ format: 'jwk' })` and
 * jose's `exportJWK` give it): `kty`, the private part `d`, and the key's other members. Declared
 * here, not imported from jose, so the CommonJS declarations never import ESM-only types.
 */
export interface PrivateJwk {
  kty?: string
  d?: string
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
  p?: string
  q?: string
  dp?: string
  dq?: string
  qi?: string
  alg?: string
  kid?: string
  use?: string
  key_ops?: string[]
  ext?: boolean
}

/** A private key (PKCS#8 PEM or a private JWK) for an asymmetric algorithm. */
export interface PrivateKeyOptions {
  privateKey: string | PrivateJwk
  algorithm: AsymmetricAlgorithm
}

export type SigningKeyOptions = SecretKeyOptions | PrivateKeyOptions

export interface SignOptions {
  /** Lifetime in seconds; sets `exp` = `iat` + this. */
  expiresIn?: number
  /** Also set `nbf` = `iat`. */
  notBefore?: boolean
  /** Set `jti` to a random UUID. */
  jti?: boolean
}

/** How the signer labels its tokens. */
export interface SignerOptions {
  /**
   * The `kid` header: which of the vendor's configured keys verifies the token, so a new key can
   * be added at the vendor before the app signs with it (zero-downtime rotation). (default: none)
   */
  kid?: string
}

/** The protected header: the pinned algorithm, `typ`, and `kid` when one is configured. */
function headerOf(alg: SigningAlgorithm, kid: string | undefined) {
  return kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid }
}

export interface SignedToken {
  token: string
  iat: number
  exp: number | undefined
  jti: string | undefined
}

export interface TokenSigner {
  readonly algorithm: SigningAlgorithm
  /** Resolves once the key is imported; rejects with ERR_SSO_CONFIG on a bad key. */
  readonly ready: Promise<void>
  /**
   * Signs `claims` with the pinned algorithm. `iat`, `exp`, `nbf` and `jti` are the signer's:
   * values for them in `claims` are replaced, so no hook can stretch a lifetime.
   */
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<SignedToken>
}

export const MIN_SECRET_BYTES = 32
const encoder = new TextEncoder()

/** Whole seconds since the epoch: the clock every token uses (pin it with fake `Date`). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function isSecretOptions(key: SigningKeyOptions): key is SecretKeyOptions {
  return !('privateKey' in key || 'algorithm' in key)
}

const SECRET_IS = 'the shared secret the vendor issued, as a string'
/** A PEM private key (PKCS#8, PKCS#1, SEC1, encrypted): a key file pasted where a secret goes. */
const PRIVATE_PEM = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/

/**
 * Checks an HMAC `secret` option, so a missing one says that it is missing: absent, `undefined`
 * or `''` (an unset environment variable), or not a string (bytes, a number). A private key in
 * its place (a PEM string, a JWK object) is refused as one: as an HMAC secret, a PEM would sign
 * without complaint and every token would fail at the vendor. `orPrivateKey` names the
 * alternative where the vendor also takes a private key. The message names the factory and the
 * option, never the value.
 *
 * @example
 * assertSecret(options.secret, 'discourse()') // throws ERR_SSO_CONFIG unless a non-empty string
 */
export function assertSecret(
  secret: unknown,
  where: string,
  orPrivateKey?: string,
): asserts secret is string {
  if (typeof secret === 'string' ? PRIVATE_PEM.test(secret) : isJwkLike(secret)) {
    throw configError(
      where,
      orPrivateKey
        ? `\`secret\` holds a private key; pass it as \`privateKey\` with \`algorithm\` (${orPrivateKey}), or pass the shared secret the vendor issued as \`secret\`.`
        : 'takes the shared secret the vendor issued as `secret`, not a private key.',
    )
  }
  if (typeof secret === 'string' && secret !== '') return
  const got =
    secret === undefined || secret === null
      ? ''
      : secret === ''
        ? ': it is empty (is its environment variable set?)'
        : `: got ${ArrayBuffer.isView(secret) || secret instanceof ArrayBuffer ? 'bytes' : typeof secret}, not a string`
  const alternative = orPrivateKey ? `, or \`privateKey\` with \`algorithm\` (${orPrivateKey})` : ''
  throw configError(where, `option \`secret\` is required (${SECRET_IS})${alternative}${got}.`)
}

/** An object shaped like a JWK (`kty`, or a private part `d`). */
function isJwkLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (typeof (value as PrivateJwk).kty === 'string' || typeof (value as PrivateJwk).d === 'string')
  )
}

/**
 * Checks the key configuration synchronously and starts importing the key once. `where` names
 * the factory for error messages (e.g. `komo()`); `allowed` pins the algorithms the vendor takes.
 *
 * @example
 * const signer = createSigner({ secret: process.env.KOMO_SSO_SECRET! }, 'komo()', ['HS256', 'RS256'])
 * const { token } = await signer.sign({ sub: 'u1' }, { expiresIn: 3600 })
 */
export function createSigner(
  key: SigningKeyOptions,
  where: string,
  allowed: readonly SigningAlgorithm[] = ['HS256'],
  options: SignerOptions = {},
): TokenSigner {
  const { kid } = options
  if (kid !== undefined && (typeof kid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(kid))) {
    throw configError(
      where,
      '`kid` must be 1 to 128 printable ASCII characters, as the vendor shows it.',
    )
  }
  const asymmetric = allowed.filter((a) => a !== 'HS256')
  // 'RS256, ES256 or EdDSA': the other way to configure the vendor, for the messages.
  const keyAlgorithms = asymmetric.join(', ').replace(/, (?=[^,]*$)/, ' or ') || undefined
  if (key === null || typeof key !== 'object') {
    // `intercom()` with no argument: the same words as `intercom({})`.
    assertSecret(undefined, where, keyAlgorithms)
  }
  if ('secret' in key && 'privateKey' in key) {
    throw configError(where, 'takes either `secret` or `privateKey`, not both.')
  }
  let algorithm: SigningAlgorithm
  let load: () => Promise<CryptoKey | Uint8Array>
  if (isSecretOptions(key)) {
    if (!allowed.includes('HS256')) {
      throw configError(
        where,
        'secret' in key
          ? `takes a private key (algorithm ${allowed.join(' or ')}), not a secret.`
          : `option \`privateKey\` is required, with \`algorithm\` (${allowed.join(' or ')}).`,
      )
    }
    assertSecret(key.secret, where, keyAlgorithms)
    const bytes = encoder.encode(key.secret)
    if (bytes.byteLength < MIN_SECRET_BYTES && key.dangerouslyAllowShortSecret !== true) {
      throw configError(
        where,
        `\`secret\` is ${bytes.byteLength} bytes; HMAC secrets must be at least ${MIN_SECRET_BYTES} bytes. ` +
          'Use the full secret the vendor issued, or set `dangerouslyAllowShortSecret: true` if the vendor really issues shorter ones.',
      )
    }
    algorithm = 'HS256'
    load = async () => {
      // WebCrypto-only runtimes sign HS256 through jose: load it with the key.
      await loadJose()
      return globalThis.crypto.subtle.importKey(
        'raw',
        bytes,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      )
    }
  } else {
    const { privateKey, algorithm: alg } = key as PrivateKeyOptions
    if (asymmetric.length === 0) {
      throw configError(
        where,
        'takes the shared secret the vendor issued as `secret`, not a private key.',
      )
    }
    if (!asymmetric.includes(alg)) {
      throw configError(
        where,
        `\`algorithm\` must be one of ${asymmetric.join(', ')}; got ${JSON.stringify(alg)}.`,
      )
    }
    algorithm = alg
    if (typeof privateKey === 'string') {
      if (!privateKey.includes('-----BEGIN PRIVATE KEY-----')) {
        throw configError(
          where,
          '`privateKey` must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a private JWK. ' +
            'Convert a PKCS#1 key with `openssl pkcs8 -topk8 -nocrypt -in key.pem`.',
        )
      }
      load = async () => (await loadJose()).importPKCS8(privateKey, alg)
    } else if (privateKey && typeof privateKey === 'object' && 'd' in privateKey) {
      load = async () =>
        (await loadJose()).importJWK(
          privateKey as Parameters<Awaited<ReturnType<typeof loadJose>>['importJWK']>[0],
          alg,
        ) as Promise<CryptoKey | Uint8Array>
    } else {
      throw configError(
        where,
        '`privateKey` must be a PKCS#8 PEM string or a private JWK (with "d").',
      )
    }
  }

  // HS256 on Node: the same JWS as jose's, byte for byte (the tests verify every token with
  // jose), signed by node:crypto's synchronous HMAC. jose signs HS256 through WebCrypto, an async
  // thread-pool job per token, about ten times the CPU; this is what the token endpoint spends.
  let signSync: ((payload: Record<string, unknown>) => string) | undefined
  if (algorithm === 'HS256' && nodeCrypto && nodeBuffer && isSecretOptions(key)) {
    const { createHmac, createSecretKey } = nodeCrypto
    const { Buffer } = nodeBuffer
    const secretKey = createSecretKey(encoder.encode(key.secret))
    const encodedHeader = Buffer.from(JSON.stringify(headerOf('HS256', kid))).toString('base64url')
    signSync = (payload) => {
      const input = `${encodedHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
      return `${input}.${createHmac('sha256', secretKey).update(input).digest('base64url')}`
    }
    load = async () => new Uint8Array(0)
  }

  const keyPromise = load().catch((cause: unknown) => {
    throw new SsoError(
      'ERR_SSO_CONFIG',
      `${where}: the ${algorithm} key could not be imported; check that it is a valid private key.`,
      { cause },
    )
  })
  const ready = keyPromise.then(() => undefined)
  // Handled here so a bad key never becomes an unhandled rejection; callers still see it.
  ready.catch(() => {})
  const header = headerOf(algorithm, kid)

  return {
    algorithm,
    ready,
    async sign(claims, options = {}) {
      const signingKey = signSync ? undefined : await keyPromise
      const iat = nowSeconds()
      // Object.assign, not a spread: V8 builds (and jose then serialises) the spread's result slowly.
      const payload: Record<string, unknown> = Object.assign({}, claims)
      payload.iat = iat
      let exp: number | undefined
      let jti: string | undefined
      delete payload.exp
      delete payload.nbf
      delete payload.jti
      if (options.notBefore) payload.nbf = iat
      if (options.expiresIn !== undefined) {
        exp = iat + options.expiresIn
        payload.exp = exp
      }
      if (options.jti) {
        jti = globalThis.crypto.randomUUID()
        payload.jti = jti
      }
      const token = signSync
        ? signSync(payload)
        : await new (await loadJose()).SignJWT(payload)
            .setProtectedHeader(header)
            .sign(signingKey as CryptoKey | Uint8Array)
      return { token, iat, exp, jti }
    },
  }
}
