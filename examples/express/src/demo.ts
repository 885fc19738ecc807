import { randomBytes } from 'node:crypto'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SsoEvent } from '@sso/middleware'
import {
  bettermodeSimulator,
  cannySimulator,
  comm100Simulator,
  discourseSimulator,
  intercomSimulator,
  featurebaseSimulator,
  komoSimulator,
  konnecSimulator,
  kustomerSimulator,
  type ListeningSimulator,
  metabaseSdkPath,
  metabaseSimulator,
  zendeskSimulator,
} from '@sso/testing'
import { createDemoApp, type DemoVendors } from './app'
import {
  DEMO_LOGIN_FLAG,
  demoLoginAllowedFromEnv,
  type RealVendors,
  realVendorIds,
  realVendorsFromEnv,
  unsafeDemoLoginMessage,
  VENDOR_NAMES,
} from './config'
import { DEMO_TENANTS, type DemoTenant, tenantPath } from './tenants'

export interface DemoOptions {
  /** (default: `3000`; `0` picks a free port) */
  port?: number
  /** (default: `'127.0.0.1'`) */
  host?: string
  /**
   * First port of the simulators, Komo's hub; the others follow (Kustomer, Konnec, Comm100,
   * Bettermode), then the tenants' communities (Acme, Globex), then Zendesk (one account, both
   * SSO configurations), Discourse, Intercom (base + 9), Canny (base + 10), Featurebase
   * (base + 11) and Metabase (base + 12). (default: `0`, any free ports)
   */
  simulatorPortBase?: number
  /** Real vendors (from the environment by default). */
  real?: RealVendors
  /**
   * Run the password-less demo login although real vendors are configured: anyone who reaches
   * the demo can then sign in to them as anyone. Without it, real vendors make `startDemo`
   * throw. (default: `DEMO_LOGIN_WITHOUT_PASSWORD_I_UNDERSTAND=1` in the environment)
   */
  demoLoginWithRealVendors?: boolean
  onEvent?: (event: SsoEvent) => void
}

export interface RunningDemo {
  url: string
  /** The vendors that point at their real service (their names), empty with simulators only. */
  realVendors: string[]
  /** The simulators' origins (only the simulated vendors). */
  simulators: Partial<Record<keyof DemoVendors, string>>
  /** The simulators themselves, for tests that inspect what they saw. */
  sims: {
    komo?: ReturnType<typeof komoSimulator>
    kustomer?: ReturnType<typeof kustomerSimulator>
    konnec?: ReturnType<typeof konnecSimulator>
    comm100?: ReturnType<typeof comm100Simulator>
    bettermode?: ReturnType<typeof bettermodeSimulator>
    zendesk?: ReturnType<typeof zendeskSimulator>
    discourse?: ReturnType<typeof discourseSimulator>
    intercom?: ReturnType<typeof intercomSimulator>
    featurebase?: ReturnType<typeof featurebaseSimulator>
    metabase?: ReturnType<typeof metabaseSimulator>
    canny?: ReturnType<typeof cannySimulator>
  }
  /**
   * The tenant table (each tenant's secret and community URL, as the app's database would hold
   * them) with each tenant's community simulator, for tests. Always simulated.
   */
  tenants: (DemoTenant & { sim: ReturnType<typeof bettermodeSimulator> })[]
  close(): Promise<void>
}

const secret = () => randomBytes(32).toString('base64url')

/** Thrown by `startDemo` when real vendors are configured and the demo login is not asked for. */
export class UnsafeDemoLoginError extends Error {
  readonly code = 'ERR_DEMO_LOGIN_UNSAFE'
  /** The variable that allows it anyway. */
  readonly variable = DEMO_LOGIN_FLAG
  constructor(real: RealVendors) {
    super(unsafeDemoLoginMessage(real))
    this.name = 'UnsafeDemoLoginError'
  }
}

/**
 * Starts the demo: the app's server first (so the simulators know its URL), then a simulator
 * for every vendor without real credentials, then the Express app on the app's server.
 */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const host = options.host ?? '127.0.0.1'
  const real = options.real ?? realVendorsFromEnv(process.env)
  const realVendors = realVendorIds(real).map((id) => VENDOR_NAMES[id])
  // Checked before anything listens: the demo login must never front a real vendor by accident.
  const allowed = options.demoLoginWithRealVendors ?? demoLoginAllowedFromEnv(process.env)
  if (realVendors.length > 0 && !allowed) throw new UnsafeDemoLoginError(real)
  let handler: RequestListener = (_req, res) => {
    res.statusCode = 503
    res.end('starting')
  }
  const server = createServer((req, res) => handler(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 3000, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const route = (path: string) => `${url}/sso${path}`
  const base = options.simulatorPortBase ?? 0
  const simPort = (i: number) => (base === 0 ? 0 : base + i)
  const listening: ListeningSimulator[] = []
  const sims: RunningDemo['sims'] = {}
  const simulators: RunningDemo['simulators'] = {}
  const listenOn = async (
    sim: { listen(p?: number, h?: string): Promise<ListeningSimulator> },
    i: number,
  ) => {
    const l = await sim.listen(simPort(i), host)
    listening.push(l)
    return l.url
  }
  const start = async (
    name: keyof DemoVendors,
    sim: { listen(p?: number, h?: string): Promise<ListeningSimulator> },
    i: number,
  ) => {
    const origin = await listenOn(sim, i)
    simulators[name] = origin
    return origin
  }
  const tenants: RunningDemo['tenants'] = []

  try {
    const vendors = {} as DemoVendors
    if (real.komo) {
      vendors.komo = {
        secret: real.komo.secret,
        hubOrigin: `https://${real.komo.hubHost}`,
        issuer: real.komo.issuer,
      }
    } else {
      const s = secret()
      sims.komo = komoSimulator({ secret: s })
      vendors.komo = { secret: s, hubOrigin: await start('komo', sims.komo, 0) }
    }
    if (real.kustomer) {
      vendors.kustomer = { ...real.kustomer, startUrl: real.kustomer.portalUrl }
    } else {
      const s = secret()
      sims.kustomer = kustomerSimulator({ secret: s, loginUrl: route('/kustomer/login') })
      const origin = await start('kustomer', sims.kustomer, 1)
      vendors.kustomer = { secret: s, allowedHosts: [origin], startUrl: `${origin}/` }
    }
    if (real.konnec) {
      vendors.konnec = { ...real.konnec, startUrl: real.konnec.appUrl ?? 'https://konnec.to' }
    } else {
      const orgId = 'demo-org'
      const apiKey = secret()
      sims.konnec = konnecSimulator({ orgId, apiKey, loginUrl: route('/konnec/login') })
      const origin = await start('konnec', sims.konnec, 2)
      vendors.konnec = {
        apiBaseUrl: origin,
        orgId,
        apiKey,
        appUrl: `${origin}/`,
        startUrl: `${origin}/`,
      }
    }
    if (real.comm100) {
      vendors.comm100 = { ...real.comm100, startUrl: real.comm100.consoleUrl }
    } else {
      const s = secret()
      sims.comm100 = comm100Simulator({
        secret: s,
        loginUrl: route('/comm100/login'),
        logoutUrl: route('/comm100/logout'),
        agents: [],
      })
      const origin = await start('comm100', sims.comm100, 3)
      vendors.comm100 = { secret: s, allowedHosts: [origin], startUrl: `${origin}/` }
    }
    if (real.bettermode) {
      vendors.bettermode = { ...real.bettermode, startUrl: real.bettermode.communityUrl }
    } else {
      const s = secret()
      sims.bettermode = bettermodeSimulator({
        secret: s,
        loginUrl: route('/bettermode/login'),
        logoutUrl: route('/bettermode/logout'),
      })
      const origin = await start('bettermode', sims.bettermode, 4)
      vendors.bettermode = { secret: s, communityUrl: origin, startUrl: `${origin}/` }
    }

    // The tenants: two Bettermode communities, each its own simulator with its own secret, so
    // each verifies only its own tenant's tokens. Simulated even when Bettermode is real.
    for (const [n, tenant] of DEMO_TENANTS.entries()) {
      const s = secret()
      const sim = bettermodeSimulator({
        secret: s,
        loginUrl: `${url}${tenantPath(tenant.id, '/bettermode/login')}`,
        logoutUrl: `${url}${tenantPath(tenant.id, '/bettermode/logout')}`,
      })
      const origin = await listenOn(sim, 5 + n)
      tenants.push({
        ...tenant,
        bettermode: { secret: s, communityUrl: origin },
        startUrl: `${origin}/`,
        sim,
      })
    }

    // Zendesk and Discourse come after the tenants, so the ports of 4100-4106 stay as they were.
    if (real.zendesk) {
      const { subdomain, secret: s, agentSecret, brandHosts } = real.zendesk
      const account = `https://${subdomain}.zendesk.com`
      vendors.zendesk = {
        subdomain,
        secret: s,
        brandHosts,
        startUrl: `${account}/hc/requests`,
        agents: agentSecret ? { secret: agentSecret, startUrl: `${account}/agent` } : undefined,
      }
    } else {
      const endUsers = secret()
      const team = secret()
      sims.zendesk = zendeskSimulator({
        // One account, two SSO configurations, each with its own secret and remote URLs.
        configurations: [
          {
            name: 'end-user',
            secret: endUsers,
            loginUrl: route('/zendesk/login'),
            logoutUrl: route('/zendesk/logout'),
          },
          {
            name: 'team',
            secret: team,
            loginUrl: route('/zendesk-agents/login'),
            logoutUrl: route('/zendesk-agents/logout'),
          },
        ],
      })
      const origin = await start('zendesk', sims.zendesk, 7)
      vendors.zendesk = {
        subdomain: 'demo',
        secret: endUsers,
        accountUrl: origin,
        startUrl: `${origin}/`,
        agents: { secret: team, startUrl: `${origin}/agent/tickets/1` },
      }
    }
    if (real.discourse) {
      vendors.discourse = { ...real.discourse, startUrl: real.discourse.discourseUrl }
    } else {
      const s = secret()
      sims.discourse = discourseSimulator({
        secret: s,
        loginUrl: route('/discourse/login'),
        logoutUrl: route('/discourse/logout'),
      })
      const origin = await start('discourse', sims.discourse, 8)
      vendors.discourse = { secret: s, discourseUrl: origin, startUrl: `${origin}/` }
    }
    if (real.intercom) {
      vendors.intercom = { ...real.intercom, widgetOrigin: 'https://widget.intercom.io' }
    } else {
      const s = secret()
      const appId = 'demo-app'
      sims.intercom = intercomSimulator({ secret: s, appId })
      vendors.intercom = {
        secret: s,
        appId,
        widgetOrigin: await start('intercom', sims.intercom, 9),
      }
    }

    if (real.featurebase) {
      vendors.featurebase = {
        ...real.featurebase,
        sdkUrl: 'https://do.featurebase.app/js/sdk.js',
        startUrl: real.featurebase.portalUrl,
      }
    } else {
      const s = secret()
      const appId = 'demo-feedback'
      sims.featurebase = featurebaseSimulator({
        secret: s,
        loginUrl: route('/featurebase/login'),
        appId,
      })
      const origin = await start('featurebase', sims.featurebase, 11)
      vendors.featurebase = {
        secret: s,
        portalUrl: origin,
        sdkUrl: `${origin}/js/sdk.js`,
        appId,
        startUrl: `${origin}/`,
      }
    }

    if (real.metabase) {
      const { secret: s, metabaseUrl } = real.metabase
      vendors.metabase = { secret: s, metabaseUrl, startUrl: `${metabaseUrl}/` }
    } else {
      const s = secret()
      sims.metabase = metabaseSimulator({ secret: s, loginUrl: route('/metabase/login') })
      const origin = await start('metabase', sims.metabase, 12)
      // A dashboard: logged out, Metabase sends the browser through /auth/sso to the app.
      vendors.metabase = {
        secret: s,
        metabaseUrl: origin,
        startUrl: `${origin}/dashboard/1`,
        sdkScript: `${origin}${metabaseSdkPath}`,
      }
    }

    // Canny on base + 10: its boards send visitors to the SSO redirect; the widget page loads its SDK.
    if (real.canny) {
      const { boardUrl, boardToken, ...rest } = real.canny
      vendors.canny = {
        ...rest,
        startUrl: boardUrl,
        boardToken: boardToken ?? '',
        sdkUrl: 'https://sdk.canny.io/sdk.js',
      }
    } else {
      const s = secret()
      const companyId = 'demo'
      sims.canny = cannySimulator({
        companies: [{ id: companyId, secret: s, ssoRedirectUrl: route('/canny/login') }],
        frameAncestors: url,
      })
      const origin = await start('canny', sims.canny, 10)
      vendors.canny = {
        secret: s,
        companyId,
        allowedHosts: [origin],
        cannyUrl: origin,
        startUrl: `${origin}/`,
        boardToken: `board-${companyId}`,
        sdkUrl: `${origin}/sdk.js`,
      }
    }

    handler = createDemoApp({
      vendors,
      tenants: tenants.map(({ sim: _sim, ...row }) => row),
      realVendors,
      onEvent: options.onEvent,
      // Comm100 signs in agents an admin created: the demo creates one per demo user.
      onLogin: (user) => sims.comm100?.addAgent(user.email),
    })
  } catch (error) {
    await Promise.all(listening.map((l) => l.close()))
    server.close()
    throw error
  }

  return {
    url,
    realVendors,
    simulators,
    sims,
    tenants,
    async close() {
      server.closeAllConnections()
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        ...listening.map((l) => l.close()),
      ])
    },
  }
}
