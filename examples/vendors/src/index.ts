// The app side of the Next.js and Hono examples' vendors: each vendor's configuration read from
// the environment, as a real deployment reads its secrets, and where a person starts its flow.
// Imports `@sso/middleware/fetch` only, so it runs in a Next.js route handler and in Hono alike.
// A new vendor is one entry in DEMO_VENDORS here and one in SIMULATORS (./simulate.ts); neither
// example changes.
import {
  bettermode,
  canny,
  comm100,
  discourse,
  featurebase,
  intercom,
  komo,
  konnec,
  kustomer,
  metabase,
  type Vendor,
  zendesk,
} from '@sso/middleware/fetch'

/** `process.env`, or any object of the same shape (tests pass their own). */
export type Env = Readonly<Record<string, string | undefined>>

/** One vendor of the examples. */
export interface DemoVendor {
  /** The vendor's id: its routes are `/sso/<id>/…`. */
  readonly id: string
  /** As the front page and the simulator's page name it. */
  readonly name: string
  /** The variables it reads, all required. */
  readonly env: readonly string[]
  /** Its `@sso/middleware` vendor, from the variables (all present: checked before). */
  create(env: (name: string) => string): Vendor
  /** Where its flow starts: the vendor's page (absolute) or a page of the app (a path). */
  start(env: (name: string) => string): string
  /** On the vendor's page, the link that sends a logged-out person to the app. */
  readonly button?: string
  /**
   * The vendor's page sends a logged-out person to the app by itself, with no button (Canny's
   * board, Metabase's dashboards).
   */
  readonly redirects?: boolean
  /**
   * The vendor has an SDK-token route, `POST /sso/<id>/token`, answering this field and
   * `expiresAt` to the signed-in session's own pages.
   */
  readonly tokenField?: 'token' | 'jwt'
  /** The vendor's page has a **Log out** link that ends the app's session. */
  readonly logout: boolean
  /** One line for the front page. */
  readonly note: string
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** Every vendor of the examples, in the front page's order. */
export const DEMO_VENDORS: readonly DemoVendor[] = [
  {
    id: 'komo',
    name: 'Komo',
    env: ['KOMO_SSO_SECRET', 'KOMO_HUB_ORIGIN'],
    create: (env) => komo({ secret: env('KOMO_SSO_SECRET') }),
    start: () => '/komo',
    tokenField: 'token',
    logout: false,
    note: 'a page of this app with a Komo card that asks the app for a token',
  },
  {
    id: 'kustomer',
    name: 'Kustomer',
    env: ['KUSTOMER_KB_SECRET', 'KUSTOMER_ALLOWED_HOSTS', 'KUSTOMER_PORTAL_URL'],
    create: (env) =>
      kustomer({
        secret: env('KUSTOMER_KB_SECRET'),
        allowedHosts: list(env('KUSTOMER_ALLOWED_HOSTS')),
      }),
    start: (env) => env('KUSTOMER_PORTAL_URL'),
    button: 'Login',
    logout: false,
    note: "the knowledge-base portal's Login button",
  },
  {
    id: 'konnec',
    name: 'Konnec',
    env: ['KONNEC_API_BASE_URL', 'KONNEC_ORG_ID', 'KONNEC_API_KEY', 'KONNEC_APP_URL'],
    create: (env) =>
      konnec({
        apiBaseUrl: env('KONNEC_API_BASE_URL'),
        orgId: env('KONNEC_ORG_ID'),
        apiKey: env('KONNEC_API_KEY'),
        appUrl: env('KONNEC_APP_URL'),
        // Konnec links by username and never receives an email; the examples use the email so
        // the vendor's page can say who signed in.
        username: (user) => user.email,
      }),
    start: (env) => env('KONNEC_APP_URL'),
    button: 'Log in',
    logout: false,
    note: 'Konnec knows users by username: the examples use your email as the username',
  },
  {
    id: 'comm100',
    name: 'Comm100',
    env: ['COMM100_SSO_SECRET', 'COMM100_ALLOWED_HOSTS', 'COMM100_CONSOLE_URL'],
    create: (env) =>
      comm100({
        secret: env('COMM100_SSO_SECRET'),
        allowedHosts: list(env('COMM100_ALLOWED_HOSTS')),
      }),
    start: (env) => env('COMM100_CONSOLE_URL'),
    button: 'Log in with SSO',
    logout: true,
    note: "the agent console's SSO login (agents only: log in as one the admin created, e.g. ada@example.com)",
  },
  {
    id: 'bettermode',
    name: 'Bettermode',
    env: ['BETTERMODE_SSO_KEY', 'BETTERMODE_COMMUNITY_URL'],
    create: (env) =>
      bettermode({
        secret: env('BETTERMODE_SSO_KEY'),
        communityUrl: env('BETTERMODE_COMMUNITY_URL'),
      }),
    start: (env) => `${env('BETTERMODE_COMMUNITY_URL')}/`,
    button: 'Log in',
    logout: true,
    note: "the community's Log in button",
  },
  {
    id: 'zendesk',
    name: 'Zendesk',
    // ZENDESK_ACCOUNT_URL points the form at the simulator; a real account leaves it out and the
    // form posts to https://{subdomain}.zendesk.com.
    env: ['ZENDESK_SUBDOMAIN', 'ZENDESK_JWT_SECRET', 'ZENDESK_ACCOUNT_URL'],
    create: (env) =>
      zendesk({
        subdomain: env('ZENDESK_SUBDOMAIN'),
        secret: env('ZENDESK_JWT_SECRET'),
        accountUrl: env('ZENDESK_ACCOUNT_URL'),
      }),
    start: (env) => `${env('ZENDESK_ACCOUNT_URL')}/`,
    button: 'My requests',
    logout: false,
    note: "the help center's My requests: the app answers a form your browser posts to Zendesk",
  },
  {
    id: 'discourse',
    name: 'Discourse',
    env: ['DISCOURSE_CONNECT_SECRET', 'DISCOURSE_URL'],
    create: (env) =>
      discourse({ secret: env('DISCOURSE_CONNECT_SECRET'), discourseUrl: env('DISCOURSE_URL') }),
    start: (env) => `${env('DISCOURSE_URL')}/`,
    button: 'Log in',
    logout: true,
    note: "the forum's Log in button (the forum signs its request, the app signs the answer)",
  },
  {
    id: 'intercom',
    name: 'Intercom',
    // INTERCOM_WORKSPACE_URL is only the front page's link (the simulator's workspace page):
    // Intercom has no sign-in page, the Messenger boots on your pages with the app's JWT.
    env: ['INTERCOM_MESSENGER_SECRET', 'INTERCOM_WORKSPACE_URL'],
    create: (env) => intercom({ secret: env('INTERCOM_MESSENGER_SECRET') }),
    start: (env) => env('INTERCOM_WORKSPACE_URL'),
    tokenField: 'token',
    logout: false,
    note: 'SDK only: the Messenger boots with the JWT a page gets from POST /sso/intercom/token',
  },
  {
    id: 'canny',
    name: 'Canny',
    // CANNY_URL points the SSO redirect at the simulator; a real company leaves it out
    // (https://canny.io) and lists its board's host in CANNY_ALLOWED_HOSTS.
    env: [
      'CANNY_SSO_KEY',
      'CANNY_COMPANY_ID',
      'CANNY_ALLOWED_HOSTS',
      'CANNY_URL',
      'CANNY_BOARD_URL',
    ],
    create: (env) =>
      canny({
        secret: env('CANNY_SSO_KEY'),
        companyId: env('CANNY_COMPANY_ID'),
        allowedHosts: list(env('CANNY_ALLOWED_HOSTS')),
        cannyUrl: env('CANNY_URL'),
      }),
    start: (env) => env('CANNY_BOARD_URL'),
    redirects: true,
    tokenField: 'token',
    logout: false,
    note: 'the board sends a visitor without a session to the app, and back through Canny’s SSO',
  },
  {
    id: 'featurebase',
    name: 'Featurebase',
    env: ['FEATUREBASE_JWT_SECRET', 'FEATUREBASE_PORTAL_URL'],
    create: (env) =>
      featurebase({
        secret: env('FEATUREBASE_JWT_SECRET'),
        portalUrl: env('FEATUREBASE_PORTAL_URL'),
      }),
    start: (env) => `${env('FEATUREBASE_PORTAL_URL')}/`,
    button: 'Log in',
    tokenField: 'token',
    logout: false,
    note: "the feedback portal's Log in link",
  },
  {
    id: 'metabase',
    name: 'Metabase',
    env: ['METABASE_JWT_SECRET', 'METABASE_URL'],
    create: (env) =>
      metabase({ secret: env('METABASE_JWT_SECRET'), metabaseUrl: env('METABASE_URL') }),
    start: (env) => `${env('METABASE_URL')}/dashboard/1`,
    redirects: true,
    tokenField: 'jwt',
    logout: false,
    note: 'a dashboard: Metabase sends a visitor without a session through /auth/sso to the app',
  },
]

/** Reads the variables a vendor needs, all or none: one error names every missing one. */
function reader(env: Env, vendors: readonly DemoVendor[]): (name: string) => string {
  const missing = vendors.flatMap((v) => v.env).filter((name) => !env[name])
  if (missing.length > 0) {
    throw new Error(
      `Missing environment variables: ${missing.join(', ')}. Start the example with its start script, which starts the simulators and sets them.`,
    )
  }
  return (name) => env[name] as string
}

/** Every vendor, configured from `env`; throws naming each missing variable. */
export function vendorsFromEnv(env: Env): Vendor[] {
  const read = reader(env, DEMO_VENDORS)
  return DEMO_VENDORS.map((v) => v.create(read))
}

/** The front page's links, one per vendor. */
export interface VendorLink {
  readonly id: string
  readonly name: string
  readonly href: string
  readonly note: string
}

/** The front page's links, from `env`. */
export function vendorLinks(env: Env): VendorLink[] {
  const read = reader(env, DEMO_VENDORS)
  return DEMO_VENDORS.map((v) => ({ id: v.id, name: v.name, href: v.start(read), note: v.note }))
}

/** The Komo hub the card's embed script comes from. */
export function komoHubOrigin(env: Env): string {
  return reader(
    env,
    DEMO_VENDORS.filter((v) => v.id === 'komo'),
  )('KOMO_HUB_ORIGIN')
}

/** The examples' user ids: stable per email, never the email itself (ids go into events). */
export async function userIdFor(email: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(email.toLowerCase()),
  )
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `u_${hex.slice(0, 16)}`
}

/** The login form's checks, shared by both examples: a plausible email and a name. */
export function parseLogin(email: unknown, name: unknown): { email: string; name: string } | null {
  const e = typeof email === 'string' ? email.trim() : ''
  const n = typeof name === 'string' ? name.trim() : ''
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e) || e.length > 200 || !n || n.length > 100) return null
  return { email: e, name: n }
}
