/**
 * Is this a production build? Read defensively: runtimes with only WebCrypto have no `process`,
 * and Deno throws on `process.env` without `--allow-env`. Where it cannot be read, the answer is
 * "yes", so error pages show no details.
 */
export function isProduction(): boolean {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
      ?.env
    return env === undefined || env.NODE_ENV === 'production'
  } catch {
    return true
  }
}
