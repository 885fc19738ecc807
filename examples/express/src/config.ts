/**
 * Which vendors run against their local simulator and which against the real service. A vendor
 * is real once its credentials are in the environment (see `.env.example`); otherwise the demo
 * starts its simulator on 127.0.0.1 with a fresh random secret.
 */
export interface RealVendors {
  komo?: { secret: string; hubHost: string; issuer?: string }
  kustomer?: { secret: string; allowedHosts: string[]; portalUrl: string }
  konnec?: { apiBaseUrl: string; orgId: string; apiKey: string; appUrl?: string }
  comm100?: { secret: string; allowedHosts: string[]; consoleUrl: string }
  bettermode?: { secret: string; communityUrl: string }
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** The hosts a vendor may send tokens to: the listed ones, else the host of its own page. */
const hostsOr = (value: string | undefined, page: URL) =>
  list(value).length ? list(value) : [page.hostname]

/** Reads real vendor credentials from the environment; absent ones stay simulated. */
export function realVendorsFromEnv(env: NodeJS.ProcessEnv): RealVendors {
  const real: RealVendors = {}
  if (env.KOMO_SSO_SECRET && env.KOMO_HUB_HOST) {
    real.komo = { secret: env.KOMO_SSO_SECRET, hubHost: env.KOMO_HUB_HOST, issuer: env.KOMO_ISSUER }
  }
  if (env.KUSTOMER_KB_SECRET && env.KUSTOMER_PORTAL_URL) {
    const portal = new URL(env.KUSTOMER_PORTAL_URL)
    real.kustomer = {
      secret: env.KUSTOMER_KB_SECRET,
      portalUrl: portal.href,
      allowedHosts: hostsOr(env.KUSTOMER_ALLOWED_HOSTS, portal),
    }
  }
  if (env.KONNEC_API_BASE_URL && env.KONNEC_ORG_ID && env.KONNEC_API_KEY) {
    real.konnec = {
      apiBaseUrl: env.KONNEC_API_BASE_URL,
      orgId: env.KONNEC_ORG_ID,
      apiKey: env.KONNEC_API_KEY,
      appUrl: env.KONNEC_APP_URL,
    }
  }
  if (env.COMM100_SSO_SECRET && env.COMM100_CONSOLE_URL) {
    const console = new URL(env.COMM100_CONSOLE_URL)
    real.comm100 = {
      secret: env.COMM100_SSO_SECRET,
      consoleUrl: console.href,
      allowedHosts: hostsOr(env.COMM100_ALLOWED_HOSTS, console),
    }
  }
  if (env.BETTERMODE_SSO_KEY && env.BETTERMODE_COMMUNITY_URL) {
    real.bettermode = { secret: env.BETTERMODE_SSO_KEY, communityUrl: env.BETTERMODE_COMMUNITY_URL }
  }
  return real
}
