// Builds and starts the Next.js example as production runs it (`next build`, then `next start`),
// with the vendors' simulators from @sso/example-vendors. Used by `scripts` (the one command) and
// the tests. Node only.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type RunningSimulators, startSimulators } from '@sso/example-vendors/simulate'

const dir = fileURLToPath(new URL('.', import.meta.url))
const nextBin = fileURLToPath(new URL('./node_modules/next/dist/bin/next', import.meta.url))
const quiet = { NEXT_TELEMETRY_DISABLED: '1' }

function run(
  args: string[],
  env: Record<string, string>,
  output: 'inherit' | 'pipe',
): ChildProcess {
  // `next dev` is development, the rest production, whatever the caller's NODE_ENV (vitest sets
  // `test`): the middleware mounts the inspector by it.
  const NODE_ENV = args[0] === 'dev' ? 'development' : 'production'
  return spawn(process.execPath, [nextBin, ...args], {
    cwd: dir,
    env: { ...process.env, ...quiet, NODE_ENV, ...env },
    stdio: ['ignore', output, output],
  })
}

/** `next build`, with no vendor secret in its environment: the options are lazy. Resolves in ms. */
export async function buildNext(output: 'inherit' | 'pipe' = 'pipe'): Promise<number> {
  // The app imports the packages as an installed app does, from their builds.
  for (const built of ['middleware/dist/fetch.js', 'react/dist/index.js']) {
    if (!existsSync(new URL(`../../packages/${built}`, import.meta.url))) {
      throw new Error(
        `packages/${built} is missing: run \`npx -y pnpm@12.21.0 build\` first (next build uses the packages' builds)`,
      )
    }
  }
  const started = performance.now()
  const child = run(['build'], {}, output)
  let log = ''
  child.stdout?.on('data', (d) => {
    log += d
  })
  child.stderr?.on('data', (d) => {
    log += d
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`next build failed (${code}):\n${log}`)
  return performance.now() - started
}

/** A free port on the host, to give `next start` (the simulators need the app's URL first). */
export async function freePort(host: string): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface RunningNextExample {
  url: string
  simulators: RunningSimulators
  /** What `next start` printed (tests scan it for secrets, tokens and emails). */
  readonly log: string
  close(): Promise<void>
}

/** The simulators, then `next start` with their secrets and URLs in its environment. */
export async function startNextExample(
  options: {
    port?: number
    host?: string
    portBase?: number
    output?: 'inherit' | 'pipe'
    /** Leave the vendors' variables out of `next start`'s environment (tests). (default: `false`) */
    withoutVendors?: boolean
    /**
     * `next dev` instead of `next start`: NODE_ENV=development, so the inspector is mounted; no
     * build needed (it compiles each page on its first request, into `.next/dev`). (default: `false`)
     */
    dev?: boolean
  } = {},
): Promise<RunningNextExample> {
  const host = options.host ?? '127.0.0.1'
  const port = options.port || (await freePort(host))
  const url = `http://${host}:${port}`
  const simulators = await startSimulators({ appUrl: url, host, portBase: options.portBase })
  const env = {
    ...(options.withoutVendors ? {} : simulators.env),
    // The origin browsers use: see atPublicOrigin in src/app/sso/[...path]/route.ts.
    APP_URL: url,
    SESSION_PASSWORD: randomBytes(32).toString('base64url'),
    // The example runs on plain http on 127.0.0.1: no `Secure` on the session cookie.
    SESSION_INSECURE: '1',
    // The address `next -H` listens on: the inspector's `allow` admits anyone only when it is a
    // loopback address (src/lib/inspector.ts).
    LISTEN_HOST: host,
  }
  const command = options.dev ? 'dev' : 'start'
  const child = run([command, '-p', String(port), '-H', host], env, options.output ?? 'pipe')
  let log = ''
  child.stdout?.on('data', (d) => {
    log += d
  })
  child.stderr?.on('data', (d) => {
    log += d
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
    await simulators.close()
  }
  try {
    // `next dev` compiles the login page on this first request.
    await waitFor(url, exited, options.dev ? 180_000 : 60_000)
  } catch (error) {
    await close()
    throw new Error(`${(error as Error).message}\n${log}`)
  }
  return {
    url,
    simulators,
    get log() {
      return log
    },
    close,
  }
}

async function waitFor(url: string, exited: Promise<void>, timeoutMs = 60_000): Promise<void> {
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (gone) throw new Error('next exited')
    try {
      const res = await fetch(`${url}/login`)
      await res.body?.cancel()
      if (res.ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`next did not answer on ${url} within ${timeoutMs} ms`)
}
