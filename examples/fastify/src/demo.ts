import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SsoEvent, Vendor } from '@sso/middleware/fastify'
import type { ListeningSimulator, Simulator } from '@sso/testing'
import { createDemoApp } from './app'
import type { VendorLink } from './pages'
import { randomSecret, SIMULATED_VENDORS } from './vendors'

export interface DemoOptions {
  /** (default: `3000`; `0` picks a free port) */
  port?: number
  /** (default: `'127.0.0.1'`) */
  host?: string
  /** First port of the simulators, in `SIMULATED_VENDORS` order. (default: `0`, any free ports) */
  simulatorPortBase?: number
  onEvent?: (event: SsoEvent) => void
}

export interface RunningDemo {
  url: string
  /** Each vendor's simulator origin, by vendor id. */
  simulators: Record<string, string>
  /** The simulators themselves, for tests that inspect what they saw. */
  sims: Record<string, Simulator>
  /** Each vendor's secret, by vendor id (tests check that no page holds a token they verify). */
  secrets: Record<string, string>
  close(): Promise<void>
}

/**
 * The app's server listens first (the simulators need its URL), then each vendor's simulator
 * starts, then the Fastify app is built with the vendors pointed at them and takes over the
 * server through Fastify's `serverFactory`.
 */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const host = options.host ?? '127.0.0.1'
  let dispatch = (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = 503
    res.end('starting')
  }
  const server = createServer((req, res) => dispatch(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 3000, host, resolve)
  })
  const url = `http://${host}:${(server.address() as AddressInfo).port}`
  const listening: ListeningSimulator[] = []
  const simulators: Record<string, string> = {}
  const sims: Record<string, Simulator> = {}
  const secrets: Record<string, string> = {}
  const vendors: Vendor[] = []
  const links: VendorLink[] = []
  const logins: ((user: { email: string }) => void)[] = []
  try {
    const base = options.simulatorPortBase ?? 0
    for (const [i, [id, entry]] of Object.entries(SIMULATED_VENDORS).entries()) {
      const secret = randomSecret()
      secrets[id] = secret
      const sim = entry.simulator({ secret, route: (path) => `${url}/sso${path}` })
      const running = await sim.listen(base === 0 ? 0 : base + i, host)
      listening.push(running)
      sims[id] = sim
      simulators[id] = running.url
      vendors.push(entry.vendor({ secret, origin: running.url }))
      links.push({
        name: entry.name,
        href: entry.startPath ?? `${running.url}${entry.vendorPath ?? '/'}`,
      })
      if (entry.onLogin) logins.push((user) => entry.onLogin?.(sim, user))
    }
    const app = await createDemoApp({
      vendors,
      links,
      komoHub: simulators.komo,
      onEvent: options.onEvent,
      onLogin: (user) => {
        for (const login of logins) login(user)
      },
      serverFactory: (handler) => {
        dispatch = handler
        return server
      },
    })
    await app.ready()
    await app.sso.ready
    return {
      url,
      simulators,
      sims,
      secrets,
      async close() {
        server.closeAllConnections()
        await Promise.all([app.close(), ...listening.map((l) => l.close())])
      },
    }
  } catch (error) {
    await Promise.all(listening.map((l) => l.close()))
    server.close()
    throw error
  }
}
