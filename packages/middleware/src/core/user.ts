import { SsoError } from './errors'
import type { SsoUser } from './types'

const invalid = (vendor: string, message: string) =>
  new SsoError('ERR_SSO_USER_INVALID', message, {
    vendor,
    userMessage: 'Your profile is missing something this service needs.',
  })

/**
 * Checks what `getUser` returned: `null`/`undefined` is logged out; anything else must be an
 * object with a non-empty string `id`, and string `email`/name fields when present. A wrong
 * shape is a 422 naming the field, never a token.
 */
export function validateUser(value: unknown, vendor: string): SsoUser | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(vendor, 'getUser returned something other than a user object or null.')
  }
  const user = value as Record<string, unknown>
  if (typeof user.id !== 'string' || user.id.length === 0) {
    throw invalid(vendor, 'The user has no `id` (a non-empty string).')
  }
  for (const field of [
    'email',
    'name',
    'firstName',
    'lastName',
    'username',
    'picture',
    'tagline',
  ]) {
    if (user[field] !== undefined && user[field] !== null && typeof user[field] !== 'string') {
      throw invalid(vendor, `The user's \`${field}\` must be a string.`)
    }
  }
  if (user.emailVerified !== undefined && typeof user.emailVerified !== 'boolean') {
    throw invalid(vendor, "The user's `emailVerified` must be a boolean.")
  }
  return user as SsoUser
}

/**
 * For vendors that link accounts by email: the email must be present and not known to be
 * unverified (`emailVerified === false`), or anyone who can set an address takes over the
 * vendor account that owns it.
 */
export function requireTrustedEmail(user: SsoUser, vendor: string, maxLength = 320): string {
  const email = user.email
  if (typeof email !== 'string' || email.length === 0 || !email.includes('@')) {
    throw invalid(vendor, 'The user has no `email`, which this vendor needs.')
  }
  if (email.length > maxLength) {
    throw invalid(vendor, `The user's \`email\` is longer than ${maxLength} characters.`)
  }
  if (user.emailVerified === false) {
    throw new SsoError(
      'ERR_SSO_EMAIL_UNVERIFIED',
      'The user’s email is not verified; this vendor links accounts by email.',
      { vendor, userMessage: 'Verify your email address, then try again.' },
    )
  }
  return email
}

/** The display name: `name`, else first and last joined, else undefined. */
export function displayName(user: SsoUser): string | undefined {
  if (user.name) return user.name
  const joined = [user.firstName, user.lastName].filter(Boolean).join(' ')
  return joined || undefined
}

/** First and last name: the fields themselves, else `name` split at its first space. */
export function splitName(user: SsoUser): { firstName?: string; lastName?: string } {
  if (user.firstName || user.lastName) {
    return { firstName: user.firstName || undefined, lastName: user.lastName || undefined }
  }
  if (!user.name) return {}
  const at = user.name.indexOf(' ')
  return at === -1
    ? { firstName: user.name }
    : { firstName: user.name.slice(0, at), lastName: user.name.slice(at + 1) }
}

/** Drops `undefined` values so tokens never carry `"key": undefined` artefacts. */
export function compact<T extends Record<string, unknown>>(claims: T): T {
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key]
  return claims
}
