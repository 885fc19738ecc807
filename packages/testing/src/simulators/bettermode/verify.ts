import { maxAge } from '../../claims'
import type { TokenRules } from '../../claims'

/**
 * Bettermode: `sub` (≤ 50), `name`, `email` (≤ 200), `exp` in the future, `picture` http(s),
 * `spacesOperation` ADD|REPLACE, `spaceIds`/`spaces` arrays.
 */
export const bettermodeToken: TokenRules = {
  refusal: 'Bettermode could not log you in with the SSO token',
  algorithms: ['HS256'],
  check(check, options) {
    check.string('sub', { required: true, max: 50 })
    check.string('name', { required: true })
    check.email({ max: 200 })
    check.string('tagline')
    const picture = check.string('picture')
    if (picture !== undefined && !isHttpUrl(picture)) {
      check.fail(
        'invalid_claim',
        'the "picture" claim must be a full http:// or https:// URL.',
        'picture',
      )
    }
    const op = check.claims.spacesOperation
    if (op !== undefined && op !== 'ADD' && op !== 'REPLACE') {
      check.fail(
        'invalid_claim',
        'the "spacesOperation" claim must be "ADD" or "REPLACE".',
        'spacesOperation',
      )
    }
    const spaceIds = check.claims.spaceIds
    if (
      spaceIds !== undefined &&
      !(Array.isArray(spaceIds) && spaceIds.every((id) => typeof id === 'string'))
    ) {
      check.fail('invalid_claim', 'the "spaceIds" claim must be an array of space IDs.', 'spaceIds')
    }
    const spaces = check.claims.spaces
    if (
      spaces !== undefined &&
      !(
        Array.isArray(spaces) &&
        spaces.every(
          (s: unknown) =>
            typeof s === 'object' &&
            s !== null &&
            typeof (s as { spaceId?: unknown }).spaceId === 'string',
        )
      )
    ) {
      check.fail(
        'invalid_claim',
        'the "spaces" claim must be an array of { spaceId, role, action }.',
        'spaces',
      )
    }
    check.lifetime({ exp: true, iat: false, nbf: false, ...maxAge(options) })
  },
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}
