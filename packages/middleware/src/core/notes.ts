// What a vendor's configuration risks, in words, for the development inspector: set once by the
// vendor factory (`defineVendor({ notes })`), shown as warnings at `{basePath}/_inspect`. Never
// a secret or a value from the configuration beyond its size and the options' names.
import { MIN_SECRET_BYTES } from './token'

const encoder = new TextEncoder()

/**
 * The inspector's notes on a vendor's options: the short-secret escape hatch in use (a secret
 * under 32 bytes accepted because `dangerouslyAllowShortSecret` is set), and each privilege
 * opt-in that is set to `true` (`optIns`: option name → what it lets through).
 *
 * @example
 * defineVendor({ id: 'acme', routes, notes: configurationNotes(options, { allowRoleClaims: 'role from the claims hook is sent: it sets what the user may do at Acme' }) })
 */
export function configurationNotes(
  options: object,
  optIns: Readonly<Record<string, string>> = {},
): string[] {
  const notes: string[] = []
  const { secret, dangerouslyAllowShortSecret } = options as {
    secret?: unknown
    dangerouslyAllowShortSecret?: unknown
  }
  if (dangerouslyAllowShortSecret === true && typeof secret === 'string') {
    const bytes = encoder.encode(secret).byteLength
    if (bytes < MIN_SECRET_BYTES) {
      notes.push(
        `The secret is ${bytes} bytes, under the ${MIN_SECRET_BYTES} required, accepted only because \`dangerouslyAllowShortSecret\` is set: ask the vendor for a longer one.`,
      )
    }
  }
  for (const [name, consequence] of Object.entries(optIns)) {
    if ((options as Record<string, unknown>)[name] === true) {
      notes.push(`\`${name}\` is set: ${consequence}.`)
    }
  }
  return notes
}
