/**
 * Starting and stopping the real processes the demo and the test run: a throwaway
 * `redis-server` on a free loopback port (nothing saved), and app instances as child processes.
 * Each is stopped by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const exampleRoot = fileURLToPath(new URL('..', import.meta.url))

export interface Started {
  pid: number
  /** Everything the process printed so far (for failure messages). */
  output(): string
  /** SIGTERM by pid, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

function track(child: ChildProcess): Started {
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  return {
    pid: child.pid ?? -1,
    output: () => output,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return
      const pid = child.pid
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        return
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }, graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
function waitFor(
  child: ChildProcess,
  started: Started,
  pattern: RegExp,
  what: string,
  timeoutMs: number,
) {
  return new Promise<RegExpExecArray>((resolve, reject) => {
    const done = (error?: Error, match?: RegExpExecArray) => {
      clearTimeout(timer)
      child.stdout?.off('data', check)
      child.off('exit', onExit)
      child.off('error', onError)
      if (error) reject(error)
      else resolve(match as RegExpExecArray)
    }
    const check = () => {
      const match = pattern.exec(started.output())
      if (match) done(undefined, match)
    }
    const onExit = (code: number | null, signal: string | null) =>
      done(
        new Error(`${what} exited (${signal ?? code}) before it was ready:\n${started.output()}`),
      )
    const onError = (error: Error) => done(error)
    const timer = setTimeout(
      () => done(new Error(`${what} was not ready within ${timeoutMs} ms:\n${started.output()}`)),
      timeoutMs,
    )
    child.stdout?.on('data', check)
    child.once('exit', onExit)
    child.once('error', onError)
    check()
  })
}

export interface RedisServer extends Started {
  url: string
  port: number
}

/**
 * Starts Debian's `redis-server` on a free 127.0.0.1 port, saving nothing. Rejects with an
 * explanation when it is not installed: this example needs a real Redis.
 */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown
  // A free port can be taken between the probe and redis-server's bind: try again then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const started = track(child)
    try {
      await waitFor(child, started, /Ready to accept connections/, 'redis-server', 10_000)
      return { ...started, url: `redis://127.0.0.1:${port}`, port }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(
          'redis-server is not on PATH. This example runs against a real Redis: install it ' +
            '(Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis). ' +
            '.ci/run installs it in CI.',
        )
      }
      await started.stop()
      lastError = error
    }
  }
  throw lastError
}

export interface Instance extends Started {
  url: string
}

/** Starts `src/server.ts` as a child process (`node --import tsx`) and waits for its URL. */
export async function startInstance(env: {
  name: string
  redisUrl: string
  ttlMs?: number
  adminToken?: string
  port?: number
  /** Copy its output to this process's stdout (the demo). */
  echo?: boolean
}): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: exampleRoot,
    env: {
      ...process.env,
      INSTANCE: env.name,
      REDIS_URL: env.redisUrl,
      PORT: String(env.port ?? 0),
      ...(env.ttlMs ? { SSO_TTL_MS: String(env.ttlMs) } : {}),
      ...(env.adminToken ? { ADMIN_TOKEN: env.adminToken } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const started = track(child)
  if (env.echo) child.stdout?.pipe(process.stdout)
  try {
    const match = await waitFor(
      child,
      started,
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
      env.name,
      30_000,
    )
    return { ...started, url: match[1] ?? '' }
  } catch (error) {
    await started.stop()
    throw error
  }
}
