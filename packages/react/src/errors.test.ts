// @vitest-environment node
import { readFileSync } from 'node:fs'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  isSsoError,
  SsoError as ServerSsoError,
  type SsoErrorCode as MiddlewareCode,
} from '../../middleware/src/core/errors'
import { SsoError } from './errors'
import type { ClientSsoErrorCode, ServerSsoErrorCode, SsoErrorCode } from './errors'

/** The `'ERR_SSO_…'` names of the `export type <name> = …` union in `file`. */
function codesOf(file: URL, name: string): string[] {
  const source = readFileSync(file, 'utf8')
  const union = source.split(`export type ${name} =`)[1]?.split(/\n\n/)[0] ?? ''
  return [...union.matchAll(/'(ERR_SSO_[A-Z0-9_]+)'/g)].map((match) => match[1] ?? '').sort()
}

const MIDDLEWARE_ERRORS = new URL('../../middleware/src/core/errors.ts', import.meta.url)
const CLIENT_ERRORS = new URL('./errors.ts', import.meta.url)

describe('SsoError, one shape across client and server', () => {
  it("lists exactly @sso/middleware's codes as the server codes", () => {
    expect(codesOf(CLIENT_ERRORS, 'ServerSsoErrorCode')).toEqual(
      codesOf(MIDDLEWARE_ERRORS, 'SsoErrorCode'),
    )
    expect(codesOf(MIDDLEWARE_ERRORS, 'SsoErrorCode')).toContain('ERR_SSO_FORBIDDEN')
    expectTypeOf<ServerSsoErrorCode>().toEqualTypeOf<MiddlewareCode>()
  })

  it('gives the client-only codes names the server does not use', () => {
    const server = codesOf(MIDDLEWARE_ERRORS, 'SsoErrorCode')
    const client = codesOf(CLIENT_ERRORS, 'ClientSsoErrorCode')
    expect(client).toEqual([
      'ERR_SSO_BAD_RESPONSE',
      'ERR_SSO_CANCELLED',
      'ERR_SSO_TIMEOUT',
      'ERR_SSO_TOKEN_FETCH',
    ])
    expect(client.filter((code) => server.includes(code))).toEqual([])
    expectTypeOf<Extract<ClientSsoErrorCode, MiddlewareCode>>().toBeNever()
    expectTypeOf<MiddlewareCode | ClientSsoErrorCode>().toExtend<SsoErrorCode>()
  })

  it("has the server error's name, code, status and cause, and passes its isSsoError", () => {
    const cause = new Error('network')
    const client = new SsoError('ERR_SSO_FORBIDDEN', 'Token endpoint answered 403', {
      status: 403,
      cause,
    })
    const server = new ServerSsoError('ERR_SSO_FORBIDDEN', 'Cross-site request refused.', {
      cause,
    })

    for (const error of [client, server]) {
      expect(error).toBeInstanceOf(Error)
      expect(error).toMatchObject({ name: 'SsoError', code: 'ERR_SSO_FORBIDDEN', status: 403 })
      expect(error.cause).toBe(cause)
    }
    expect(isSsoError(client)).toBe(true)
  })

  it('leaves status undefined for a failure without an HTTP answer', () => {
    const error = new SsoError('ERR_SSO_TIMEOUT', 'No token in 10000 ms')
    expect(error).toMatchObject({ name: 'SsoError', code: 'ERR_SSO_TIMEOUT', status: undefined })
    expect(error.cause).toBeUndefined()
  })
})
