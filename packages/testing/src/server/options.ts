import type { SimulatorVendor } from '../vendors'

/**
 * Parses an app URL the simulator links or redirects to; it must be absolute http(s).
 * Thrown at construction, so a bad option fails loudly.
 */
export function requireAbsoluteUrl(vendor: SimulatorVendor, name: string, value: unknown): URL {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(
      `${vendor}Simulator: option \`${name}\` is required (an absolute http(s) URL)`,
    )
  }
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new TypeError(
      `${vendor}Simulator: option \`${name}\` must be an absolute URL such as http://127.0.0.1:3000/sso/${vendor}/login, got ${JSON.stringify(value)}`,
    )
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`${vendor}Simulator: option \`${name}\` must be an http(s) URL`)
  }
  return parsed
}

/** Throws at construction when a required string option is missing. */
export function requireString(vendor: SimulatorVendor, name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${vendor}Simulator: option \`${name}\` must be a non-empty string`)
  }
  return value
}

/** `requireAbsoluteUrl` for an optional option: `undefined` stays `undefined`. */
export function optionalAbsoluteUrl(
  vendor: SimulatorVendor,
  name: string,
  value: unknown,
): string | undefined {
  return value === undefined ? undefined : requireAbsoluteUrl(vendor, name, value).href
}

/** `publicUrl` as an origin plus path prefix, without a trailing slash; thrown at construction. */
export function trimPublicUrl(value: string): string {
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new TypeError(`publicUrl must be an absolute http(s) URL, got ${JSON.stringify(value)}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`publicUrl must be an http(s) URL, got ${JSON.stringify(value)}`)
  }
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '')
}
