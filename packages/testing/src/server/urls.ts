/** The Host header if it is a plain host[:port], else a harmless stand-in. */
export function safeHost(host: string | undefined): string {
  return host && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host) ? host : 'localhost'
}

/** A link target built from an app URL plus query parameters (existing ones are kept). */
export function withParams(base: URL, params: Record<string, string>): string {
  const url = new URL(base)
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  return url.href
}

/** A relative path that starts with exactly one `/` (not `//` or `/\`) and has no control chars. */
export function isRelativePath(value: string): boolean {
  return (
    value.startsWith('/') &&
    !value.startsWith('//') &&
    !value.startsWith('/\\') &&
    value.length <= 2048 &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    !/[\u0000-\u001f\u007f]/.test(value)
  )
}
