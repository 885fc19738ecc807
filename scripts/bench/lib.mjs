// Shared plumbing of the benchmarks: where things are, child processes (servers and the load
// generator) spoken to over IPC, and the few statistics we report.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const ROOT = join(BENCH_DIR, '..', '..')
export const MIDDLEWARE_DIR = join(ROOT, 'packages', 'middleware')
export const MIDDLEWARE_DIST = join(MIDDLEWARE_DIR, 'dist', 'index.js')
export const TESTING_DIST = join(ROOT, 'packages', 'testing', 'dist', 'index.js')

/** Resolves a dependency the way @sso/middleware does (express, connect, jose are its deps). */
const requireFromMiddleware = createRequire(join(MIDDLEWARE_DIR, 'package.json'))
export const resolveFromMiddleware = (name) => requireFromMiddleware.resolve(name)
export const requireFromMw = (name) => requireFromMiddleware(name)
export const importFromMiddleware = (name) =>
  import(pathToFileURL(resolveFromMiddleware(name)).href)
export const requireFromRoot = createRequire(join(ROOT, 'package.json'))
/** The built @sso/middleware, or another build of it (`--candidate`, to A/B a proposed fix). */
export const importMiddleware = () =>
  import(pathToFileURL(process.env.BENCH_MIDDLEWARE_DIST || MIDDLEWARE_DIST).href)

export function builtPackagesExist() {
  return existsSync(MIDDLEWARE_DIST) && existsSync(TESTING_DIST)
}

/** A fresh HS256 secret (32 random bytes, base64url): long enough for every vendor. */
export const newSecret = () => randomBytes(32).toString('base64url')

export const USER = Object.freeze({
  id: 'u_bench_1',
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  emailVerified: true,
})
export const ISSUER = 'acme-app'

// ── statistics ───────────────────────────────────────────────────────────────

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—')
export const fmtRatio = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—')
export const fmtMs = (n, digits = 1) => (Number.isFinite(n) ? `${n.toFixed(digits)} ms` : '—')
export const fmtMb = (bytes) =>
  Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(1)} MB` : '—'

// ── child processes ─────────────────────────────────────────────────────────

const live = new Set()

/** Kills every child this process started (by pid), on exit or on Ctrl-C. */
export function killChildren() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
  live.clear()
}
process.on('exit', killChildren)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killChildren()
    process.exit(130)
  })
}

/**
 * A child process spoken to with request/answer messages (`{ type, id, ... }`). The child sends
 * `{ type: 'ready', ... }` once; `ask()` resolves with the answer carrying the same id.
 */
export class Child {
  constructor(file, args = [], { execArgv = [], env = {}, cwd = ROOT, label = file } = {}) {
    this.label = label
    this.pending = new Map()
    this.nextId = 1
    this.stderr = ''
    this.child = fork(file, args, {
      cwd,
      execArgv,
      env: { ...process.env, NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    live.add(this.child)
    this.child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-4000)
    })
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (message) => {
        if (message?.type === 'ready') resolve(message)
        else if (message?.type === 'fatal') reject(new Error(`${label}: ${message.error}`))
        const waiter = this.pending.get(message?.id)
        if (waiter) {
          this.pending.delete(message.id)
          if (message.error) waiter.reject(new Error(`${label}: ${message.error}`))
          else waiter.resolve(message)
        }
      })
      this.child.on('exit', (code, signal) => {
        live.delete(this.child)
        const error = new Error(
          `${label} exited (${signal ?? code}) ${this.stderr ? `\n${this.stderr}` : ''}`,
        )
        reject(error)
        for (const waiter of this.pending.values()) waiter.reject(error)
        this.pending.clear()
      })
    })
  }

  ask(type, payload = {}) {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child.send({ type, id, ...payload })
    })
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

/** A server child (scripts/bench/server.mjs or demo-server.mjs); answers `mark` and `gc`. */
export async function startServer(variant, options = {}) {
  const file = options.file ?? join(BENCH_DIR, 'server.mjs')
  const execArgv = ['--expose-gc', ...(options.execArgv ?? [])]
  if (options.profileDir) {
    // Node names each thread's profile CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; the
    // main thread (0) is the one that serves requests (tsx adds a loader thread to the demo).
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`)
  }
  const child = new Child(file, [variant], {
    execArgv,
    env: { BENCH_SECRET: options.secret ?? newSecret(), ...options.env },
    label: `server ${variant}`,
  })
  const ready = await child.ready
  return {
    child,
    variant,
    pid: child.child.pid,
    ...ready,
    url: ready.url ?? `http://127.0.0.1:${ready.port}`,
  }
}

/** The load generator: autocannon in its own process. */
export async function startLoad() {
  const child = new Child(join(BENCH_DIR, 'load.mjs'), [], { label: 'load generator' })
  await child.ready
  return {
    async run(options) {
      const { result } = await child.ask('run', { options })
      return result
    },
    stop: () => child.stop(),
  }
}
