import type { AddressInfo } from 'node:net'
import type { SsoEvent } from '@sso/middleware/fetch'
import { type RunningSimulators, startSimulators } from '@sso/example-vendors/simulate'
import { serve } from '@hono/node-server'
import { createHonoApp } from './app'

export interface RunningHonoExample {
  url: string
  simulators: RunningSimulators
  close(): Promise<void>
}

/**
 * The app's server first (the simulators need its URL), then a simulator per vendor, then the
 * Hono app, which reads the simulators' secrets and URLs as it would read its environment.
 */
export async function startHonoExample(
  options: {
    port?: number
    host?: string
    portBase?: number
    onEvent?: (e: SsoEvent) => void
  } = {},
): Promise<RunningHonoExample> {
  const host = options.host ?? '127.0.0.1'
  let fetchApp: (request: Request, env: unknown) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 })
  const server = serve({
    // The bindings (`{ incoming, outgoing }`) become Hono's `c.env`: the inspector's rule reads
    // the socket's address there.
    fetch: (request, env) => fetchApp(request, env),
    port: options.port ?? 3000,
    hostname: host,
  })
  await new Promise<void>((resolve, reject) => {
    if (server.listening) resolve()
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const url = `http://${host}:${(server.address() as AddressInfo).port}`
  const closeServer = () =>
    new Promise<void>((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections()
      server.close(() => resolve())
    })
  let simulators: RunningSimulators
  try {
    simulators = await startSimulators({ appUrl: url, host, portBase: options.portBase })
  } catch (error) {
    await closeServer()
    throw error
  }
  const app = createHonoApp({ env: simulators.env, onEvent: options.onEvent })
  fetchApp = app.fetch
  return {
    url,
    simulators,
    async close() {
      await Promise.all([closeServer(), simulators.close()])
    },
  }
}
