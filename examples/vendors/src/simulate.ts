// The vendors' side of the Next.js and Hono examples: a simulator from `@sso/testing` for every
// vendor of DEMO_VENDORS, each with a fresh random secret, and the environment the app reads them
// from. Used by the examples' start scripts and tests (Node only; never bundled into an app).
import { randomBytes } from 'node:crypto'
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
  type ListeningSimulator,
  metabaseSimulator,
  type Simulator,
  zendeskSimulator,
} from '@sso/testing'
import { DEMO_VENDORS } from './index'

/**
 * The simulated accounts' ids: Intercom's workspace (the Messenger's `app_id`), Canny's company
 * (its board token is `board-demo`) and Featurebase's organisation (the SDK's `appId`).
 */
export const DEMO_IDS = {
  intercom: 'demo-app',
  canny: 'demo',
  featurebase: 'demo-feedback',
} as const

/** The Comm100 agents the simulated account's admin created (Comm100 signs in no one else). */
export const DEMO_AGENTS: readonly string[] = ['ada@example.com', 'grace@example.com']

interface Start {
  /** The app's URL of one of this vendor's routes, e.g. `route('/login')`. */
  route(path: string): string
  /** Listens on the next simulator port; resolves to the simulator's origin. */
  listen(sim: Simulator): Promise<string>
}

type Simulate = (start: Start) => Promise<{ sim: Simulator; env: Record<string, string> }>

const secret = () => randomBytes(32).toString('base64url')

/** One per vendor of DEMO_VENDORS, by id (a vendor without one fails `startSimulators`). */
export const SIMULATORS: Readonly<Record<string, Simulate>> = {
  komo: async ({ listen }) => {
    const s = secret()
    const sim = komoSimulator({ secret: s })
    return { sim, env: { KOMO_SSO_SECRET: s, KOMO_HUB_ORIGIN: await listen(sim) } }
  },
  kustomer: async ({ route, listen }) => {
    const s = secret()
    const sim = kustomerSimulator({ secret: s, loginUrl: route('/login') })
    const origin = await listen(sim)
    return {
      sim,
      env: {
        KUSTOMER_KB_SECRET: s,
        KUSTOMER_ALLOWED_HOSTS: origin,
        KUSTOMER_PORTAL_URL: `${origin}/`,
      },
    }
  },
  konnec: async ({ route, listen }) => {
    const apiKey = secret()
    const sim = konnecSimulator({ orgId: 'demo-org', apiKey, loginUrl: route('/login') })
    const origin = await listen(sim)
    return {
      sim,
      env: {
        KONNEC_API_BASE_URL: origin,
        KONNEC_ORG_ID: 'demo-org',
        KONNEC_API_KEY: apiKey,
        KONNEC_APP_URL: `${origin}/`,
      },
    }
  },
  comm100: async ({ route, listen }) => {
    const s = secret()
    const sim = comm100Simulator({
      secret: s,
      loginUrl: route('/login'),
      logoutUrl: route('/logout'),
      agents: DEMO_AGENTS,
    })
    const origin = await listen(sim)
    return {
      sim,
      env: {
        COMM100_SSO_SECRET: s,
        COMM100_ALLOWED_HOSTS: origin,
        COMM100_CONSOLE_URL: `${origin}/`,
      },
    }
  },
  bettermode: async ({ route, listen }) => {
    const s = secret()
    const sim = bettermodeSimulator({
      secret: s,
      loginUrl: route('/login'),
      logoutUrl: route('/logout'),
    })
    return { sim, env: { BETTERMODE_SSO_KEY: s, BETTERMODE_COMMUNITY_URL: await listen(sim) } }
  },
  zendesk: async ({ route, listen }) => {
    const s = secret()
    const sim = zendeskSimulator({
      secret: s,
      loginUrl: route('/login'),
      logoutUrl: route('/logout'),
    })
    return {
      sim,
      env: {
        ZENDESK_SUBDOMAIN: 'demo',
        ZENDESK_JWT_SECRET: s,
        ZENDESK_ACCOUNT_URL: await listen(sim),
      },
    }
  },
  discourse: async ({ route, listen }) => {
    const s = secret()
    const sim = discourseSimulator({
      secret: s,
      loginUrl: route('/login'),
      logoutUrl: route('/logout'),
    })
    return { sim, env: { DISCOURSE_CONNECT_SECRET: s, DISCOURSE_URL: await listen(sim) } }
  },
  intercom: async ({ listen }) => {
    const s = secret()
    const sim = intercomSimulator({ secret: s, appId: DEMO_IDS.intercom })
    const origin = await listen(sim)
    return { sim, env: { INTERCOM_MESSENGER_SECRET: s, INTERCOM_WORKSPACE_URL: `${origin}/` } }
  },
  canny: async ({ route, listen }) => {
    const s = secret()
    const sim = cannySimulator({
      companies: [{ id: DEMO_IDS.canny, secret: s, ssoRedirectUrl: route('/login') }],
    })
    const origin = await listen(sim)
    return {
      sim,
      env: {
        CANNY_SSO_KEY: s,
        CANNY_COMPANY_ID: DEMO_IDS.canny,
        CANNY_ALLOWED_HOSTS: origin,
        CANNY_URL: origin,
        CANNY_BOARD_URL: `${origin}/`,
      },
    }
  },
  featurebase: async ({ route, listen }) => {
    const s = secret()
    const sim = featurebaseSimulator({
      secret: s,
      loginUrl: route('/login'),
      appId: DEMO_IDS.featurebase,
    })
    return { sim, env: { FEATUREBASE_JWT_SECRET: s, FEATUREBASE_PORTAL_URL: await listen(sim) } }
  },
  metabase: async ({ route, listen }) => {
    const s = secret()
    const sim = metabaseSimulator({ secret: s, loginUrl: route('/login') })
    return { sim, env: { METABASE_JWT_SECRET: s, METABASE_URL: await listen(sim) } }
  },
}

export interface SimulatorsOptions {
  /** The app's origin, e.g. `http://127.0.0.1:3000`: the simulators send people there. */
  appUrl: string
  /** (default: `'/sso'`) */
  basePath?: string
  /** (default: `'127.0.0.1'`) */
  host?: string
  /** The first simulator's port, the others follow in DEMO_VENDORS' order. (default: `0`, any free ports) */
  portBase?: number
}

export interface RunningSimulators {
  /** What the app reads: every vendor's secrets and URLs (hand it to the app, never log it). */
  readonly env: Readonly<Record<string, string>>
  /** Each simulator's origin, by vendor id. */
  readonly origins: Readonly<Record<string, string>>
  /** The simulators, by vendor id, for tests that inspect what they saw. */
  readonly sims: Readonly<Record<string, Simulator>>
  close(): Promise<void>
}

/** Starts a simulator for every vendor of DEMO_VENDORS on 127.0.0.1. */
export async function startSimulators(options: SimulatorsOptions): Promise<RunningSimulators> {
  const host = options.host ?? '127.0.0.1'
  const basePath = options.basePath ?? '/sso'
  const listening: ListeningSimulator[] = []
  const env: Record<string, string> = {}
  const origins: Record<string, string> = {}
  const sims: Record<string, Simulator> = {}
  const close = async () => {
    await Promise.all(listening.map((l) => l.close()))
  }
  try {
    for (const [i, vendor] of DEMO_VENDORS.entries()) {
      const simulate = SIMULATORS[vendor.id]
      if (!simulate) throw new Error(`No simulator for the vendor ${vendor.id} in SIMULATORS`)
      const port = options.portBase ? options.portBase + i : 0
      const started = await simulate({
        route: (path) => `${options.appUrl}${basePath}/${vendor.id}${path}`,
        listen: async (sim) => {
          const l = await sim.listen(port, host)
          listening.push(l)
          origins[vendor.id] = l.url
          return l.url
        },
      })
      sims[vendor.id] = started.sim
      Object.assign(env, started.env)
    }
  } catch (error) {
    await close()
    throw error
  }
  return { env, origins, sims, close }
}
