import { configError, SsoError } from './errors'
import type { SsoRequest, VendorId } from './types'

/**
 * Checks `allowedOrigins` entries at construction: each a bare origin such as
 * `https://app.example.com`. Returns them normalised, for {@link assertSameOrigin}.
 */
export function compileAllowedOrigins(
  entries: readonly string[] | undefined,
  where: string,
): ReadonlySet<string> {
  const origins = new Set<string>()
  if (entries === undefined) return origins
  if (!Array.isArray(entries)) {
    throw configError(where, '`allowedOrigins` must be an array of origins.')
  }
  for (const origin of entries) {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {}
    if (
      typeof origin !== 'string' ||
      !parsed ||
      parsed.origin !== origin.replace(/\/$/, '').toLowerCase()
    ) {
      throw configError(
        where,
        `\`allowedOrigins\` entries must be origins such as "https://app.example.com"; got ${JSON.stringify(origin)}.`,
      )
    }
    origins.add(parsed.origin)
  }
  return origins
}

/**
 * SECURITY.md rule 4, for every token endpoint an embed SDK calls: same-origin browsers and
 * server-side callers only. A request is cross-site when `Sec-Fetch-Site` says so, or when its
 * `Origin` is not the whole origin (scheme, host and port) it was sent to, nor one of
 * `allowedOrigins`. Throws ERR_SSO_FORBIDDEN.
 */
export function assertSameOrigin(
  request: SsoRequest,
  allowedOrigins: ReadonlySet<string>,
  vendor: VendorId,
): void {
  const refuse = (message: string) =>
    new SsoError('ERR_SSO_FORBIDDEN', message, {
      vendor,
      userMessage: 'Cross-site requests are not allowed.',
    })
  const site = request.header('sec-fetch-site')
  if (site !== undefined && site !== 'same-origin')
    throw refuse(`Sec-Fetch-Site is "${site.slice(0, 20)}".`)
  const origin = request.header('origin')
  if (origin === undefined) return
  let parsed: string
  try {
    parsed = new URL(origin).origin
  } catch {
    throw refuse('The Origin header is not an origin.')
  }
  if (parsed === 'null' || (parsed !== request.origin && !allowedOrigins.has(parsed))) {
    throw refuse(
      'The Origin is not this site (scheme, host and port); behind a proxy that rewrites them, list the public origin in `allowedOrigins`.',
    )
  }
}
