import { randomBytes } from 'node:crypto'
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
} from '@sso/middleware/fastify'
import {
  bettermodeSimulator,
  cannySimulator,
  comm100Simulator,
  discourseSimulator,
  featurebaseSimulator,
  intercomSimulator,
  komoSimulator,
  konnecSimulator,
  kustomerSimulator,
  metabaseSimulator,
  type Simulator,
  zendeskSimulator,
} from '@sso/testing'

/** What a vendor's entry is given: its own random secret and the app's route URLs. */
export interface SimulatorContext {
  secret: string
  /** `route('/kustomer/login')` → `http://127.0.0.1:3000/sso/kustomer/login` */
  route(path: string): string
}

/** One vendor of the demo, played by its `@sso/testing` simulator. */
export interface SimulatedVendor<S extends Simulator = Simulator> {
  /** The front page's link text. */
  name: string
  simulator(context: SimulatorContext): S
  /** The plugin's vendor, pointed at the simulator's origin. */
  vendor(context: { secret: string; origin: string }): Vendor
  /** Where a person starts: the app's own page (Komo's embed), else the simulator's front page. */
  startPath?: string
  /** Where on the simulator a person starts, when not its front page (Metabase's dashboard). */
  vendorPath?: string
  /** Runs when someone logs in to the app (Comm100 signs in only agents an admin created). */
  onLogin?(sim: S, user: { email: string }): void
}

/**
 * The simulated accounts' ids: Intercom's workspace (the Messenger's `app_id`), Canny's company
 * (board token `board-demo`), Featurebase's organisation (the SDK's `appId`). The same as
 * examples/vendors' `DEMO_IDS`, whose token checks the tests share.
 */
export const DEMO_IDS = {
  intercom: 'demo-app',
  canny: 'demo',
  featurebase: 'demo-feedback',
} as const

const simulated = <S extends Simulator>(entry: SimulatedVendor<S>) =>
  entry as unknown as SimulatedVendor

/**
 * Every vendor, one entry each: a vendor added to the middleware and `@sso/testing` is one more
 * entry here (its simulator, its factory), and the app, the front page and the tests pick it up.
 */
export const SIMULATED_VENDORS: Record<string, SimulatedVendor> = {
  komo: simulated({
    name: 'Komo',
    simulator: ({ secret }) => komoSimulator({ secret }),
    vendor: ({ secret }) => komo({ secret }),
    startPath: '/komo',
  }),
  kustomer: simulated({
    name: 'Kustomer',
    simulator: ({ secret, route }) =>
      kustomerSimulator({ secret, loginUrl: route('/kustomer/login') }),
    vendor: ({ secret, origin }) => kustomer({ secret, allowedHosts: [origin] }),
  }),
  konnec: simulated({
    name: 'Konnec',
    simulator: ({ secret, route }) =>
      konnecSimulator({ orgId: 'demo-org', apiKey: secret, loginUrl: route('/konnec/login') }),
    vendor: ({ secret, origin }) =>
      konnec({
        apiBaseUrl: origin,
        orgId: 'demo-org',
        apiKey: secret,
        appUrl: `${origin}/`,
        // Konnec links by username; the demo uses the email so the vendor page can say who it is.
        username: (user) => user.email,
      }),
  }),
  comm100: simulated({
    name: 'Comm100',
    simulator: ({ secret, route }) =>
      comm100Simulator({
        secret,
        loginUrl: route('/comm100/login'),
        logoutUrl: route('/comm100/logout'),
        agents: [],
      }),
    vendor: ({ secret, origin }) => comm100({ secret, allowedHosts: [origin] }),
    onLogin: (sim, user) => sim.addAgent(user.email),
  }),
  bettermode: simulated({
    name: 'Bettermode',
    simulator: ({ secret, route }) =>
      bettermodeSimulator({
        secret,
        loginUrl: route('/bettermode/login'),
        logoutUrl: route('/bettermode/logout'),
      }),
    vendor: ({ secret, origin }) => bettermode({ secret, communityUrl: origin }),
  }),
  zendesk: simulated({
    name: 'Zendesk',
    simulator: ({ secret, route }) =>
      zendeskSimulator({
        secret,
        loginUrl: route('/zendesk/login'),
        logoutUrl: route('/zendesk/logout'),
      }),
    vendor: ({ secret, origin }) => zendesk({ subdomain: 'demo', secret, accountUrl: origin }),
  }),
  discourse: simulated({
    name: 'Discourse',
    simulator: ({ secret, route }) =>
      discourseSimulator({
        secret,
        loginUrl: route('/discourse/login'),
        logoutUrl: route('/discourse/logout'),
      }),
    vendor: ({ secret, origin }) => discourse({ secret, discourseUrl: origin }),
  }),
  // SDK only: no sign-in page at Intercom; the Messenger boots with the JWT a page gets from
  // POST /sso/intercom/token. The link opens the simulated workspace's page.
  intercom: simulated({
    name: 'Intercom',
    simulator: ({ secret }) => intercomSimulator({ secret, appId: DEMO_IDS.intercom }),
    vendor: ({ secret }) => intercom({ secret }),
  }),
  // The board sends a visitor without a session to /sso/canny/login with companyID and redirect.
  canny: simulated({
    name: 'Canny',
    simulator: ({ secret, route }) =>
      cannySimulator({
        companies: [{ id: DEMO_IDS.canny, secret, ssoRedirectUrl: route('/canny/login') }],
      }),
    vendor: ({ secret, origin }) =>
      canny({ secret, companyId: DEMO_IDS.canny, allowedHosts: [origin], cannyUrl: origin }),
  }),
  featurebase: simulated({
    name: 'Featurebase',
    simulator: ({ secret, route }) =>
      featurebaseSimulator({
        secret,
        loginUrl: route('/featurebase/login'),
        appId: DEMO_IDS.featurebase,
      }),
    vendor: ({ secret, origin }) => featurebase({ secret, portalUrl: origin }),
  }),
  // A dashboard: logged out, Metabase sends the browser through its /auth/sso to the app.
  metabase: simulated({
    name: 'Metabase',
    simulator: ({ secret, route }) =>
      metabaseSimulator({ secret, loginUrl: route('/metabase/login') }),
    vendor: ({ secret, origin }) => metabase({ secret, metabaseUrl: origin }),
    vendorPath: '/dashboard/1',
  }),
}

/** A fresh random secret per vendor and start: simulators and app share it, nothing else does. */
export const randomSecret = (): string => randomBytes(32).toString('base64url')
