/** A usage or input error: exit code 2, the message on standard error. */
export class UsageError extends Error {
  override name = 'UsageError'
}

const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** Every `name=value` pair of a URL's query and fragment, or of a bare query string. */
function parameters(input: string): [string, string][] {
  let url: URL | undefined
  try {
    url = new URL(input)
  } catch {
    url = undefined
  }
  if (!url) return [...new URLSearchParams(input.replace(/^[?#]/, ''))]
  const fragment = url.hash.slice(1)
  return [...url.searchParams, ...(fragment.includes('=') ? new URLSearchParams(fragment) : [])]
}

/** Whether the argument is a URL or a query string rather than a bare token. */
export function looksLikeUrl(input: string): boolean {
  // A compact JWS never holds "=", "?", "/" or ":" (base64url without padding).
  return /[=?/:#]/.test(input)
}

/**
 * The JWT in a URL, whatever its parameter is called (`jwt`, `ssoToken`, `externalToken`, …):
 * the one parameter whose value is a compact JWS.
 */
export function tokenFromUrl(input: string): { token: string; parameter: string } {
  const found = parameters(input).filter(([, value]) => JWS.test(value))
  const distinct = [...new Map(found.map(([name, value]) => [value, name])).entries()]
  if (distinct.length === 0) {
    const names = [...new Set(parameters(input).map(([name]) => name))]
    throw new UsageError(
      `No parameter of this URL holds a JWT${names.length ? ` (it has ${names.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')})` : ''}. Pass the token itself, or the URL it arrived in.`,
    )
  }
  if (distinct.length > 1) {
    throw new UsageError(
      `Several parameters of this URL hold a JWT (${distinct.map(([, n]) => JSON.stringify(n)).join(', ')}); pass the one to check by itself.`,
    )
  }
  const [[token, parameter]] = distinct as [[string, string]]
  return { token, parameter }
}

/** Discourse's `sso` and `sig`, from a URL or a query string. */
export function discourseFromUrl(input: string): { sso: string; sig: string } {
  const params = parameters(input)
  const one = (name: string): string => {
    const values = params.filter(([n]) => n === name).map(([, v]) => v)
    if (values.length !== 1) {
      throw new UsageError(
        `The URL must hold exactly one "${name}" parameter (it has ${values.length}); or pass sso and sig as two arguments.`,
      )
    }
    return values[0] as string
  }
  return { sso: one('sso'), sig: one('sig') }
}

/** The environment variable a vendor's secret is read from: `zendesk` → `ZENDESK_SECRET`. */
export function secretVariable(vendor: string): string {
  return `${vendor.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SECRET`
}

/** Standard input, whole, without the one line break `echo` or a heredoc adds. */
export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buf.length
    if (size > 1_048_576) throw new UsageError('Standard input is over 1 MiB; pass only the key.')
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}
