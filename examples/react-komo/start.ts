import { randomBytes } from 'node:crypto'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type CannySimulator, cannySimulator } from '@sso/testing'
import { createServer, type ViteDevServer } from 'vite'
import { sourceAliases } from '../../vitest.shared.ts'
import { type RunningDemo, startDemo } from '../express/src/demo'

const root = fileURLToPath(new URL('.', import.meta.url))

export interface RunningExample {
  /** This app's Vite dev server, e.g. `http://127.0.0.1:41234`. */
  appUrl: string
  /** The Express demo behind the proxy: sessions, login, the token endpoints, Komo and Intercom. */
  demo: RunningDemo
  /** The Canny simulator the board comes from, and its origin. */
  canny: CannySimulator
  cannyUrl: string
  close(): Promise<void>
}

/** A free port on 127.0.0.1 (closed again at once: the app's server takes it next). */
async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface ExampleOptions {
  /** This app's port (default: `0`, a free one). */
  appPort?: number
  /** The demo's port (default: `0`, a free one). */
  demoPort?: number
  /** The demo's first simulator port (Komo's hub; Intercom is + 9), Canny's is + 10 (default: free ports). */
  simulatorPortBase?: number
}

/**
 * Starts the example: the Express demo (sessions, login, the token endpoints; Komo's hub and the
 * Intercom Messenger simulated by it), Canny's simulator, and this app's Vite server, which
 * imports `@sso/react` from source (no build needed). Canny's simulator is started here rather than by the demo: its widget page sends
 * `frame-ancestors` naming who may frame the board, and the demo's own Canny names the demo's
 * origin, not this app's. The demo gets this company's key as its Canny configuration.
 */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const appPort = options.appPort || (await freePort())
  const base = options.simulatorPortBase ?? 0
  const appUrl = `http://127.0.0.1:${appPort}`
  const companyId = 'demo'
  const secret = randomBytes(32).toString('base64url')
  const canny = cannySimulator({ companies: [{ id: companyId, secret }], frameAncestors: appUrl })
  const cannyServer = await canny.listen(base && base + 10)
  const cannyUrl = cannyServer.url
  let demo: RunningDemo | undefined
  let vite: ViteDevServer | undefined
  try {
    demo = await startDemo({
      port: options.demoPort ?? 0,
      simulatorPortBase: base,
      real: {
        canny: {
          secret,
          companyId,
          boardUrl: `${cannyUrl}/`,
          allowedHosts: [cannyUrl],
        },
      },
      // The "real" Canny is the simulator above, on 127.0.0.1 like the demo login itself.
      demoLoginWithRealVendors: true,
      onEvent: () => {},
    })
    Object.assign(process.env, {
      DEMO_API_URL: demo.url,
      VITE_KOMO_HUB: demo.simulators.komo,
      VITE_INTERCOM_ORIGIN: demo.simulators.intercom,
      VITE_INTERCOM_APP_ID: demo.sims.intercom?.appId,
      VITE_CANNY_SDK: `${cannyUrl}/sdk.js`,
      VITE_CANNY_BOARD_TOKEN: `board-${companyId}`,
    })
    vite = await createServer({
      root,
      configFile: `${root}/vite.config.ts`,
      logLevel: 'error',
      resolve: { alias: sourceAliases },
      server: { port: appPort, strictPort: true, host: '127.0.0.1' },
    })
    await vite.listen()
  } catch (error) {
    await vite?.close()
    await demo?.close()
    await cannyServer.close()
    throw error
  }
  const running = { demo, vite }
  return {
    appUrl,
    demo,
    canny,
    cannyUrl,
    async close() {
      await running.vite.close()
      await running.demo.close()
      await cannyServer.close()
    },
  }
}

// `pnpm start`: the ports the README names.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const example = await startExample({ appPort: 5173, demoPort: 3000, simulatorPortBase: 4100 })
  console.log(`examples/react-komo on ${example.appUrl}`)
  console.log(`  demo backend on ${example.demo.url}, Canny simulator on ${example.cannyUrl}`)
  for (const [vendor, url] of Object.entries(example.demo.simulators)) {
    if (vendor === 'komo' || vendor === 'intercom') console.log(`  ${vendor} simulator on ${url}`)
  }
  const stop = () => {
    example.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
