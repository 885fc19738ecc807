import { describe, expect, it } from 'vitest'
import { SsoError } from '../../src/index'
import { EC_PRIVATE_JWK, RSA_PKCS1_PEM, RSA_PRIVATE_PEM, VENDOR_FIXTURES } from '@sso/fixtures'
import type { VendorFixture } from '@sso/fixtures'

// The class: a built-in vendor whose `secret` is missing, empty or not a string says that the
// option is missing, and one given a private key in its place says that it takes the secret,
// not a key; either way the message names the factory and the option and never the value. The
// vendors come from the fixture registry: every vendor with a `secret` option, so a new HMAC
// vendor is covered without a line here.

const SECRET_VENDORS = VENDOR_FIXTURES.filter((fixture) => 'secret' in fixture.options)

/** Intercom's legacy mode checks its secret through the HMAC helper, not the signer. */
const ROWS: [string, VendorFixture, Record<string, unknown>][] = [
  ...SECRET_VENDORS.map((fixture): [string, VendorFixture, Record<string, unknown>] => [
    fixture.id,
    fixture,
    {},
  ]),
  ...SECRET_VENDORS.filter((fixture) => fixture.id === 'intercom').map(
    (fixture): [string, VendorFixture, Record<string, unknown>] => [
      'intercom (mode: userHash)',
      fixture,
      { mode: 'userHash' },
    ],
  ),
]

/** A secret the app holds as bytes: the message must not spell them out either. */
const BYTES = new TextEncoder().encode('bytes-of-a-real-secret-0123456789abcdef')

/**
 * Each value tried as `secret` (`absent`: no `secret` key at all), the end of the message for a
 * missing one (`key` for a private key in its place), and strings the message must not contain.
 */
type Value = { name: string; absent?: true; set?: unknown; tail: string | 'key'; leaks: string[] }
const VALUES: Value[] = [
  { name: 'missing', absent: true, tail: '', leaks: [] },
  { name: 'undefined', set: undefined, tail: '', leaks: [] },
  { name: 'null', set: null, tail: '', leaks: [] },
  { name: "''", set: '', tail: ': it is empty (is its environment variable set?)', leaks: [] },
  {
    name: 'a number',
    set: 8_675_309_123,
    tail: ': got number, not a string',
    leaks: ['8675309123'],
  },
  {
    name: 'bytes',
    set: BYTES,
    tail: ': got bytes, not a string',
    leaks: ['bytes-of-a-real-secret', BYTES.slice(0, 8).join(',')],
  },
  {
    name: 'a JWK object',
    set: EC_PRIVATE_JWK,
    tail: 'key',
    leaks: [EC_PRIVATE_JWK.d as string, EC_PRIVATE_JWK.x as string],
  },
  {
    name: 'a PKCS#8 PEM private key',
    set: RSA_PRIVATE_PEM,
    tail: 'key',
    leaks: ['BEGIN', ...RSA_PRIVATE_PEM.split('\n').slice(1, -1)],
  },
  {
    name: 'a PKCS#1 PEM private key',
    set: RSA_PKCS1_PEM,
    tail: 'key',
    leaks: ['BEGIN', ...RSA_PKCS1_PEM.split('\n').slice(1, -1)],
  },
]

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('a missing or wrong `secret` at every built-in HMAC vendor', () => {
  it('finds the vendors in the registry', () => {
    // Every built-in but Konnec (organisation API key) signs or MACs with a shared secret.
    expect(SECRET_VENDORS.map((fixture) => fixture.id).sort()).toEqual(
      VENDOR_FIXTURES.map((fixture) => fixture.id)
        .filter((id) => id !== 'konnec')
        .sort(),
    )
  })

  describe.each(ROWS)('%s', (_label, fixture, extra) => {
    const where = `${fixture.id}()`
    // Komo also takes a private key: its messages name that way too.
    const takesKeys = 'privateKey' in fixture.options

    it.each(VALUES)(
      '$name: ERR_SSO_CONFIG naming the factory and `secret`, never the value',
      (value) => {
        const { secret, ...rest } = fixture.config() as Record<string, unknown>
        expect(typeof secret).toBe('string')
        const options = value.absent
          ? { ...rest, ...extra }
          : { ...rest, ...extra, secret: value.set }
        const error = thrown(() => fixture.create(options))

        expect(error).toBeInstanceOf(SsoError)
        expect(error).toMatchObject({ code: 'ERR_SSO_CONFIG', status: 500 })
        const { message } = error as SsoError
        const keys = takesKeys ? ' (RS256 or ES256)' : ''
        if (value.tail !== 'key') {
          const alternative = takesKeys ? `, or \`privateKey\` with \`algorithm\`${keys}` : ''
          expect(message).toBe(
            `${where}: option \`secret\` is required (the shared secret the vendor issued, as a string)${alternative}${value.tail}.`,
          )
        } else if (takesKeys) {
          expect(message).toBe(
            `${where}: \`secret\` holds a private key; pass it as \`privateKey\` with \`algorithm\`${keys}, or pass the shared secret the vendor issued as \`secret\`.`,
          )
        } else {
          expect(message).toBe(
            `${where}: takes the shared secret the vendor issued as \`secret\`, not a private key.`,
          )
        }
        for (const leak of [secret as string, ...value.leaks]) expect(message).not.toContain(leak)
      },
    )
  })
})
