import { timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** Why Konnec refuses an API call's credentials. */
export interface KonnecCredentialRefusal {
  readonly status: 401 | 403
  readonly code: 'unauthorized' | 'forbidden'
  readonly message: string
}

/**
 * Konnec's rules for an API call (it issues no JWT to verify): `x-api-key` must equal the
 * organisation's key, compared in constant time (else 401), and both `x-org-id` and the path's
 * organisation must be the key's `orgId` (else 403). `undefined` when the call may proceed.
 */
export function checkKonnecCredentials(
  headers: IncomingHttpHeaders,
  pathOrg: string,
  expected: { readonly orgId: string; readonly apiKey: Buffer },
): KonnecCredentialRefusal | undefined {
  const given = headers['x-api-key']
  const givenBuf = Buffer.from(typeof given === 'string' ? given : '')
  if (givenBuf.length !== expected.apiKey.length || !timingSafeEqual(givenBuf, expected.apiKey)) {
    return { status: 401, code: 'unauthorized', message: 'Missing or invalid x-api-key.' }
  }
  if (headers['x-org-id'] !== expected.orgId || pathOrg !== expected.orgId) {
    return {
      status: 403,
      code: 'forbidden',
      message: 'The x-org-id header and the organization in the path must match this API key.',
    }
  }
  return undefined
}
