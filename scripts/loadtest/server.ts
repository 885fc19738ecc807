// The server side of `pnpm loadtest`, run in its own process (node --expose-gc --import tsx):
// the demo with every vendor simulated, and a Konnec-only app with a short timeout against a
// Konnec simulator for the fault run. It talks to the load generator over IPC only, so its
// sockets and memory are the app's alone.
import type { RequestListener } from 'node:http'
import { konnec, type SsoUser, ssoMiddleware } from '@sso/middleware'
import { type KonnecFaultSpec, konnecSimulator, type ListeningSimulator } from '@sso/testing'
import { startDemo } from '../../examples/express/src/demo'
// @sso/fixtures' leaf module, by path: the scripts are not a workspace package with it as a
// dependency, and its index would load vitest and Express 4 into the process whose memory is
// measured.
import { KONNEC } from '../../packages/fixtures/src/secrets'
import { closeServer, listen } from '../lib/http.mjs'
import { serveParent } from '../lib/parent.mjs'

/** Konnec's per-call timeout in the fault app, and the wait before its one retry. */
export const FAULT_TIMEOUT_MS = 300
export const FAULT_RETRY_DELAY_MS = 50

/** What the load generator asks (scripts/lib/child.mjs `ask`); it stops this process by SIGTERM. */
export type Request =
  | { id: number; type: 'stats'; gc?: boolean }
  | { id: number; type: 'inject'; faults: KonnecFaultSpec[] }

export interface Stats {
  rss: number
  heapUsed: number
  /** Open TCP connections (both ends of any loopback connection in this process count). */
  sockets: number
  /** Every active handle and request, by kind. */
  resources: Record<string, number>
  konnecCalls: { update: number; 'generate-token': number }
}

const demo = await startDemo({ port: 0, real: {}, onEvent: () => {} })

// The fault app: the app's server first, so the simulator knows its login URL.
let faultHandler: RequestListener = (_req, res) => {
  res.statusCode = 503
  res.end()
}
const fault = await listen((req, res) => faultHandler(req, res))
const { orgId, apiKey } = KONNEC
const sim = konnecSimulator({ orgId, apiKey, loginUrl: `${fault.url}/sso/konnec/login` })
const simListening: ListeningSimulator = await sim.listen(0, '127.0.0.1')
const middleware = ssoMiddleware({
  // Each virtual user says who it is; the fault run is about Konnec, not sessions.
  getUser: (req): SsoUser => {
    const n =
      String(req.headers['x-load-user'] ?? '0')
        .replace(/\D/g, '')
        .slice(0, 6) || '0'
    return {
      id: `load-${n}`,
      email: `load-${n}@load.example`,
      emailVerified: true,
      name: `Load ${n}`,
    }
  },
  vendors: [
    konnec({
      apiBaseUrl: simListening.url,
      orgId,
      apiKey,
      appUrl: `${simListening.url}/`,
      timeoutMs: FAULT_TIMEOUT_MS,
      retryDelayMs: FAULT_RETRY_DELAY_MS,
    }),
  ],
  onEvent: () => {},
})
faultHandler = (req, res) =>
  middleware(req, res, () => {
    res.statusCode = 404
    res.end()
  })

async function stats(gc: boolean): Promise<Stats> {
  const collect = (globalThis as { gc?: () => void }).gc
  if (gc && collect) {
    for (let i = 0; i < 3; i++) {
      collect()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const resources: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1
  const memory = process.memoryUsage()
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    sockets: resources.TCPSocketWrap ?? 0,
    resources,
    konnecCalls: sim.calls,
  }
}

await serveParent(() => ({
  ready: {
    demo: { url: demo.url, simulators: demo.simulators },
    fault: {
      url: fault.url,
      konnec: simListening.url,
      timeoutMs: FAULT_TIMEOUT_MS,
      retryDelayMs: FAULT_RETRY_DELAY_MS,
    },
    gc: typeof (globalThis as { gc?: unknown }).gc === 'function',
  },
  handlers: {
    stats: (message: Request) => stats(message.type === 'stats' && message.gc === true),
    inject: (message: Request) => {
      sim.clearFaults()
      if (message.type === 'inject') for (const spec of message.faults) sim.inject(spec)
      return { ok: true }
    },
  },
  close: async () => {
    await Promise.all([demo.close(), simListening.close(), closeServer(fault.server)])
  },
}))
