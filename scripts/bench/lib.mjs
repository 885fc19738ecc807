// Shared plumbing of the benchmarks: where things are, the servers under test and the load
// generator (child processes as scripts/lib/child.mjs starts them), and the few statistics we
// report.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { killChildren, ROOT, startChild } from '../lib/child.mjs'
import { FIXTURES } from '../lib/fixtures.mjs'

export { killChildren, ROOT }

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
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
/** `@sso/middleware/vendor-kit` of the same build (createSigner lives there since 4b85e3c). */
export const importVendorKit = () =>
  import(
    pathToFileURL(
      join(dirname(process.env.BENCH_MIDDLEWARE_DIST || MIDDLEWARE_DIST), 'vendor-kit.js'),
    ).href
  )

export function builtPackagesExist() {
  return existsSync(MIDDLEWARE_DIST) && existsSync(TESTING_DIST)
}

/** The signed-in user and the vendors' credentials: @sso/fixtures' (scripts/lib/fixtures.mjs). */
export const { ADA: USER, SECRETS, KONNEC } = FIXTURES

/** The HS256 key as the best hand-written jose code holds it: imported once, as a CryptoKey. */
export const importHmacKey = (secret) =>
  globalThis.crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
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

// ── child processes (scripts/lib/child.mjs: forked with IPC, awaited, stopped by pid) ──────

/** Starts a child of the benchmarks and waits for it: every one runs with NODE_ENV=production. */
export function startBenchChild(file, { env, ...options } = {}) {
  return startChild(file, { ...options, env: { NODE_ENV: 'production', ...env } })
}

/** A server child (scripts/bench/server.mjs or demo-server.mjs); answers `mark` and `gc`. */
export async function benchServer(variant, options = {}) {
  const execArgv = ['--expose-gc', ...(options.execArgv ?? [])]
  if (options.profileDir) {
    // Node names each thread's profile CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; the
    // main thread (0) is the one that serves requests (tsx adds a loader thread to the demo).
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`)
  }
  const server = await startBenchChild(options.file ?? join(BENCH_DIR, 'server.mjs'), {
    args: [variant],
    execArgv,
    env: options.env,
    label: `server ${variant}`,
  })
  return { ...server, variant }
}

/** The load generator: autocannon in its own process. */
export async function startLoad() {
  const { child } = await startBenchChild(join(BENCH_DIR, 'load.mjs'), { label: 'load generator' })
  return {
    async run(options) {
      const { result } = await child.ask('run', { options })
      return result
    },
    stop: () => child.stop(),
  }
}
