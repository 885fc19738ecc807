// The HMAC seam for inbound signed requests (Discourse), and its Base64/UTF-8 codecs.
import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createHmacKey, decodeBase64Utf8, encodeBase64Utf8 } from '../../src/vendor-kit'

const SECRET = 'discourse-connect-secret-0123456789abcdef'
const MESSAGE = 'bm9uY2U9Y2I2ODI1MWVlZmI1MjExZTU4YzAwZmYxMzk1ZjBjMGI='
const SIG = createHmac('sha256', SECRET).update(MESSAGE).digest('hex')

describe('createHmacKey', () => {
  afterEach(() => vi.restoreAllMocks())
  const key = createHmacKey({ secret: SECRET }, 'test()')

  it('signs as lower-case hex HMAC-SHA256 of the UTF-8 secret', async () => {
    expect(await key.signHex(MESSAGE)).toBe(SIG)
  })

  it('verifies the signature, in upper case too', async () => {
    expect(await key.verifyHex(MESSAGE, SIG)).toBe(true)
    expect(await key.verifyHex(MESSAGE, SIG.toUpperCase())).toBe(true)
  })

  it.each([
    ['one hex digit off', SIG.replace(/.$/, (c) => (c === '0' ? '1' : '0'))],
    ['truncated', SIG.slice(0, 63)],
    ['too long', `${SIG}0`],
    ['not hex', `${SIG.slice(0, 63)}g`],
    ['empty', ''],
  ])('refuses a signature %s', async (_n, sig) => {
    expect(await key.verifyHex(MESSAGE, sig)).toBe(false)
  })

  it('compares with timingSafeEqual (constant-time) on Node, never by string equality', async () => {
    const crypto = process.getBuiltinModule('node:crypto') as typeof import('node:crypto')
    const safeEqual = vi.spyOn(crypto, 'timingSafeEqual')
    expect(await key.verifyHex(MESSAGE, SIG)).toBe(true)
    expect(
      await key.verifyHex(
        MESSAGE,
        SIG.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
      ),
    ).toBe(false)
    expect(safeEqual).toHaveBeenCalledTimes(2)
  })

  it('refuses a short secret unless the escape hatch is set', () => {
    expect(() => createHmacKey({ secret: 'short' }, 'discourse()')).toThrow(
      expect.objectContaining({
        code: 'ERR_SSO_CONFIG',
        message: expect.stringMatching(/^discourse\(\): `secret` is 5 bytes/),
      }),
    )
    expect(
      createHmacKey({ secret: 'short', dangerouslyAllowShortSecret: true }, 'x()'),
    ).toBeTruthy()
  })
})

describe('Base64 of UTF-8', () => {
  it('round-trips non-ASCII text with padding and no line breaks', () => {
    const text = 'name=Zoë Ångström 山田&nonce=1'
    const encoded = encodeBase64Utf8(text)
    expect(encoded).toBe(Buffer.from(text, 'utf8').toString('base64'))
    expect(encoded).not.toMatch(/\s/)
    expect(decodeBase64Utf8(encoded)).toBe(text)
  })

  it('tolerates the \\r\\n and \\n line breaks Ruby writes', () => {
    const encoded = Buffer.from('x'.repeat(100)).toString('base64')
    const wrapped = encoded.replace(/(.{60})/g, '$1\n')
    expect(decodeBase64Utf8(wrapped)).toBe('x'.repeat(100))
    expect(decodeBase64Utf8(wrapped.replaceAll('\n', '\r\n'))).toBe('x'.repeat(100))
  })

  it.each([
    ['a character outside Base64', 'bm9uY2U9M*=='],
    ['URL-safe Base64', 'bm9u-2U9_w=='],
    ['missing padding', 'bm9uY2U9MQ'],
    ['a space', 'bm9u Y2U9MQ=='],
    ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x41]).toString('base64')],
  ])('refuses %s', (_n, value) => {
    expect(decodeBase64Utf8(value)).toBeUndefined()
  })
})
