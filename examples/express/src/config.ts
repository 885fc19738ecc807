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
  /**
   * Zendesk: the end-user SSO configuration's secret, and the team members' one when set (without
   * it the demo mounts no agents' route against the real account).
   */
  zendesk?: { subdomain: string; secret: string; agentSecret?: string; brandHosts: string[] }
  discourse?: { secret: string; discourseUrl: string }
  /** Intercom: the Messenger API secret (Settings › Messenger › Security) and the app id. */
  intercom?: { secret: string; appId: string }
  /** Featurebase: the JWT secret, the portal, and the organisation the SDK boots. */
  featurebase?: { secret: string; portalUrl: string; allowedHosts?: string[]; appId: string }
  metabase?: { secret: string; metabaseUrl: string }
  /**
   * Canny: the private SSO key and company id, the board the front page links to, and the
   * widget's board token; `redirect` may point at `allowedHosts` (default: the board's host).
   */
  canny?: {
    secret: string
    companyId: string
    boardUrl: string
    boardToken?: string
    allowedHosts: string[]
  }
}

/** The vendors, as people name them (for messages and pages). */
export const VENDOR_NAMES: Record<keyof RealVendors, string> = {
  komo: 'Komo',
  kustomer: 'Kustomer',
  konnec: 'Konnec',
  comm100: 'Comm100',
  bettermode: 'Bettermode',
  zendesk: 'Zendesk',
  discourse: 'Discourse',
  intercom: 'Intercom',
  featurebase: 'Featurebase',
  metabase: 'Metabase',
  canny: 'Canny',
}

/** The variables that make each vendor real (names only: messages never hold a value). */
const REAL_VARIABLES: Record<keyof RealVendors, string> = {
  komo: 'KOMO_SSO_SECRET + KOMO_HUB_HOST',
  kustomer: 'KUSTOMER_KB_SECRET + KUSTOMER_PORTAL_URL',
  konnec: 'KONNEC_API_BASE_URL + KONNEC_ORG_ID + KONNEC_API_KEY',
  comm100: 'COMM100_SSO_SECRET + COMM100_CONSOLE_URL',
  bettermode: 'BETTERMODE_SSO_KEY + BETTERMODE_COMMUNITY_URL',
  zendesk: 'ZENDESK_SUBDOMAIN + ZENDESK_JWT_SECRET',
  discourse: 'DISCOURSE_CONNECT_SECRET + DISCOURSE_URL',
  intercom: 'INTERCOM_MESSENGER_SECRET + INTERCOM_APP_ID',
  featurebase: 'FEATUREBASE_JWT_SECRET + FEATUREBASE_PORTAL_URL + FEATUREBASE_APP_ID',
  metabase: 'METABASE_JWT_SECRET + METABASE_URL',
  canny: 'CANNY_SSO_KEY + CANNY_COMPANY_ID + CANNY_BOARD_URL',
}

/**
 * The demo's login page signs anyone in as any email they type, with no password. Against the
 * simulators that is the point; against a real vendor it lets anyone who reaches the demo sign in
 * there as any of its users. With real credentials loaded the demo refuses to start unless this
 * variable is `1`.
 */
export const DEMO_LOGIN_FLAG = 'DEMO_LOGIN_WITHOUT_PASSWORD_I_UNDERSTAND'

/** Whether the environment asks for the password-less demo login against real vendors. */
export function demoLoginAllowedFromEnv(env: NodeJS.ProcessEnv): boolean {
  return env[DEMO_LOGIN_FLAG] === '1'
}

/** The vendors that point at the real service, in a fixed order. */
export function realVendorIds(real: RealVendors): (keyof RealVendors)[] {
  return (Object.keys(VENDOR_NAMES) as (keyof RealVendors)[]).filter((id) => real[id])
}

/** Why the demo will not start with these real vendors and no flag, and what to do. */
export function unsafeDemoLoginMessage(real: RealVendors): string {
  const ids = realVendorIds(real)
  const which = ids.map((id) => `${VENDOR_NAMES[id]} (${REAL_VARIABLES[id]})`).join(', ')
  return [
    `Refusing to start: real vendor credentials are loaded for ${which}, and the demo's login page signs anyone in as any email they type, with no password.`,
    'Anyone who can reach the demo could then sign in to those vendors as any of your users.',
    `To use the simulators, unset those variables. To run the demo login against the real vendors anyway (on your own machine, for a test), set ${DEMO_LOGIN_FLAG}=1.`,
  ].join('\n')
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
  if (env.ZENDESK_SUBDOMAIN && env.ZENDESK_JWT_SECRET) {
    real.zendesk = {
      subdomain: env.ZENDESK_SUBDOMAIN,
      secret: env.ZENDESK_JWT_SECRET,
      agentSecret: env.ZENDESK_AGENT_JWT_SECRET || undefined,
      brandHosts: list(env.ZENDESK_BRAND_HOSTS),
    }
  }
  if (env.DISCOURSE_CONNECT_SECRET && env.DISCOURSE_URL) {
    real.discourse = { secret: env.DISCOURSE_CONNECT_SECRET, discourseUrl: env.DISCOURSE_URL }
  }
  if (env.INTERCOM_MESSENGER_SECRET && env.INTERCOM_APP_ID) {
    real.intercom = { secret: env.INTERCOM_MESSENGER_SECRET, appId: env.INTERCOM_APP_ID }
  }
  if (env.FEATUREBASE_JWT_SECRET && env.FEATUREBASE_PORTAL_URL && env.FEATUREBASE_APP_ID) {
    const hosts = list(env.FEATUREBASE_ALLOWED_HOSTS)
    real.featurebase = {
      secret: env.FEATUREBASE_JWT_SECRET,
      portalUrl: env.FEATUREBASE_PORTAL_URL,
      appId: env.FEATUREBASE_APP_ID,
      ...(hosts.length ? { allowedHosts: hosts } : {}),
    }
  }
  if (env.METABASE_JWT_SECRET && env.METABASE_URL) {
    real.metabase = { secret: env.METABASE_JWT_SECRET, metabaseUrl: env.METABASE_URL }
  }
  if (env.CANNY_SSO_KEY && env.CANNY_COMPANY_ID && env.CANNY_BOARD_URL) {
    const board = new URL(env.CANNY_BOARD_URL)
    real.canny = {
      secret: env.CANNY_SSO_KEY,
      companyId: env.CANNY_COMPANY_ID,
      boardUrl: board.href,
      boardToken: env.CANNY_BOARD_TOKEN || undefined,
      allowedHosts: hostsOr(env.CANNY_ALLOWED_HOSTS, board),
    }
  }
  return real
}
