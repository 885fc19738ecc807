// Inbound signed requests and HMAC payloads (Discourse): HMAC-SHA256 over a raw string with a
// shared secret, verified in constant time: node:crypto's synchronous HMAC and `timingSafeEqual`
// where the runtime has them (as token.ts signs HS256: WebCrypto's async HMAC costs several times
// the CPU), else WebCrypto's `sign` and `verify`. The sibling of token.ts: the only other module
// that handles a secret.
import { configError } from './errors'
import { assertSecret, MIN_SECRET_BYTES, nodeCrypto } from './token'

const encoder = new TextEncoder()

export interface HmacKeyOptions {
  /** The shared secret, used as its UTF-8 bytes. */
  secret: string
  /** Accept a secret shorter than 32 bytes (one the vendor already uses). (default: `false`) */
  dangerouslyAllowShortSecret?: boolean
}

export interface HmacKey {
  /** Resolves once the key is imported. */
  readonly ready: Promise<void>
  /** Lower-case hex HMAC-SHA256 of `message`. */
  signHex(message: string): Promise<string>
  /**
   * Whether `hex` (64 hex digits, any case) is the HMAC-SHA256 of `message`. Constant-time
   * (`timingSafeEqual`, or WebCrypto's `verify`); a malformed `hex` is `false`, never a throw.
   */
  verifyHex(message: string, hex: string): Promise<boolean>
}

/**
 * Checks the secret at construction (SECURITY.md rule 5: at least 32 bytes unless the escape
 * hatch is set) and imports it once.
 *
 * @example
 * const key = createHmacKey({ secret: process.env.DISCOURSE_CONNECT_SECRET! }, 'discourse()')
 * if (!(await key.verifyHex(sso, sig))) throw badSignature()
 */
export function createHmacKey(options: HmacKeyOptions, where: string): HmacKey {
  assertSecret(options?.secret, where)
  const bytes = encoder.encode(options.secret)
  if (bytes.byteLength < MIN_SECRET_BYTES && options.dangerouslyAllowShortSecret !== true) {
    throw configError(
      where,
      `\`secret\` is ${bytes.byteLength} bytes; HMAC secrets must be at least ${MIN_SECRET_BYTES} bytes. ` +
        'Use a longer secret, or set `dangerouslyAllowShortSecret: true` if the vendor already uses a shorter one.',
    )
  }
  if (nodeCrypto) {
    const node = nodeCrypto
    const secretKey = node.createSecretKey(bytes)
    const mac = (message: string) => node.createHmac('sha256', secretKey).update(message).digest()
    return {
      ready: Promise.resolve(),
      signHex: async (message) => mac(message).toString('hex'),
      async verifyHex(message, hex) {
        const given = fromHex(hex)
        // Both are 32 bytes here, as timingSafeEqual needs.
        return given !== undefined && node.timingSafeEqual(mac(message), given)
      },
    }
  }
  const key = globalThis.crypto.subtle.importKey(
    'raw',
    bytes,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  )
  const ready = key.then(() => undefined)
  ready.catch(() => {})
  return {
    ready,
    async signHex(message) {
      const mac = await globalThis.crypto.subtle.sign('HMAC', await key, encoder.encode(message))
      return toHex(new Uint8Array(mac))
    },
    async verifyHex(message, hex) {
      const mac = fromHex(hex)
      if (!mac) return false
      return globalThis.crypto.subtle.verify('HMAC', await key, mac, encoder.encode(message))
    },
  }
}

function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

/** 64 hex digits (any case) → 32 bytes; anything else → undefined. */
function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) return undefined
  const out = new Uint8Array(new ArrayBuffer(32))
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** Standard Base64 (with padding, no line breaks) of a string's UTF-8 bytes. */
export function encodeBase64Utf8(value: string): string {
  let binary = ''
  for (const byte of encoder.encode(value)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * Decodes standard Base64 (padding required when the length needs it; `\r\n` line breaks
 * tolerated, as Ruby's encoder writes them) to UTF-8 text. Anything else — other characters,
 * bad padding, bytes that are not UTF-8 — is `undefined`, never a replacement character.
 */
export function decodeBase64Utf8(value: string): string | undefined {
  const compact = value.replace(/\r?\n/g, '')
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
    return undefined
  }
  let binary: string
  try {
    binary = atob(compact)
  } catch {
    return undefined
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}
