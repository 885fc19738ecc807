// The first request of a new tenant, in one process on the built dist (`ssoHandler`, no HTTP):
// what it costs over a warm request of a cached tenant, and what it spends that time on.
//
// `node tenant-phases.mjs <tenants>,<rounds> <profile file>`
// 1. End to end: for each of <tenants> new tenants, its first request, then a second one (warm),
//    one at a time; the resolver answers at once (tenant-store.mjs).
// 2. The pieces of a first request, called directly: the resolver's own work, `komo({ secret })`
//    (with the signer's key import, `createSecretKey`), path-to-regexp as `compileRoutes` calls
//    it for the tenant's route, the cache's per-resolution time limit (AbortController and timer),
//    and a new signer's first signature against its second.
// 3. The same first requests again under the V8 sampling profiler (node:inspector, 50 µs), so
//    the parent can name the share of each function, `compileRoutes` among them.
// Every piece alternates with the others over <rounds> rounds; medians per piece.
import { createHmac, createSecretKey } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { serveParent } from '../lib/parent.mjs'
import { importMiddleware, importVendorKit, ISSUER, median, requireFromMw, USER } from './lib.mjs'
import {
  TENANT_BASE_PATH,
  TENANT_STATS,
  tenantResolver,
  tenantSecret,
  tenantTokenPath,
} from './tenant-store.mjs'

const [count = 2000, rounds = 5] = (process.argv[2] ?? '').split(',').map(Number)
const profileFile = process.argv[3]

const mw = await importMiddleware()
const { createSigner } = await importVendorKit()
const { match, parse } = requireFromMw('path-to-regexp')
const handler = mw.ssoHandler({
  getUser: () => USER,
  basePath: TENANT_BASE_PATH,
  tenants: { resolve: tenantResolver(mw), maxTenants: 1_000_000 },
  onEvent: () => {},
})

const ORIGIN = 'http://127.0.0.1'
let serial = 0
/** A tenant nobody asked for yet. */
const newTenant = (tag) => `${tag}${serial++}`

/** One request through the handler, timed in µs (building the Request is not timed). */
async function timed(tenant) {
  const request = new Request(`${ORIGIN}${tenantTokenPath(tenant)}`, { method: 'POST' })
  const start = performance.now()
  const response = await handler(request)
  const us = (performance.now() - start) * 1000
  if (response?.status !== 200) throw new Error(`tenant ${tenant} answered ${response?.status}`)
  return { us, response }
}

/** The token must be signed with the tenant's own secret. */
async function checkToken(tenant) {
  const { response } = await timed(tenant)
  const { token } = await response.json()
  const [head, body, signature] = token.split('.')
  const expected = createHmac('sha256', tenantSecret(tenant))
    .update(`${head}.${body}`)
    .digest('base64url')
  if (signature !== expected)
    throw new Error(`tenant ${tenant}'s token is not signed with its secret`)
}

async function endToEnd(n, tag) {
  const first = []
  const warm = []
  for (let i = 0; i < n; i++) {
    const tenant = newTenant(tag)
    first.push((await timed(tenant)).us)
    warm.push((await timed(tenant)).us)
  }
  return { first, warm }
}

const onAbort = () => {}
const claims = { sub: USER.id, email: USER.email, iss: ISSUER }
const us = (start) => (performance.now() - start) * 1000
const PIECES = {
  /** The resolver's own work besides building the vendor: the call and the secret lookup. */
  resolver() {
    const start = performance.now()
    tenantSecret(newTenant('r'))
    return us(start)
  },
  construction() {
    const secret = tenantSecret(newTenant('c'))
    const start = performance.now()
    mw.komo({ secret, issuer: ISSUER })
    return us(start)
  },
  keyImport() {
    const bytes = new TextEncoder().encode(tenantSecret(newTenant('k')))
    const start = performance.now()
    createSecretKey(bytes)
    return us(start)
  },
  /** The cache's time limit on one resolution: an AbortController, a timer, a listener per step. */
  timeout() {
    const start = performance.now()
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), 5000)
    for (let i = 0; i < 2; i++) controller.signal.addEventListener('abort', onAbort, { once: true })
    clearTimeout(timer)
    return us(start)
  },
  /** What compileRoutes does for one route: basePrefix's parse, and match() of the full path. */
  compile() {
    const start = performance.now()
    parse(TENANT_BASE_PATH)
    match(`${TENANT_BASE_PATH}/komo/token`, { sensitive: true })
    return us(start)
  },
  async firstSign() {
    const signer = createSigner({ secret: tenantSecret(newTenant('s')) }, 'komo()')
    await signer.ready
    const start = performance.now()
    await signer.sign(claims, { expiresIn: 3600 })
    const first = us(start)
    const again = performance.now()
    await signer.sign(claims, { expiresIn: 3600 })
    return { first, second: us(again) }
  },
}

await checkToken(newTenant('check'))
// Warm-up: every path JIT-compiled before anything is recorded.
await endToEnd(Math.min(500, count), 'w')
for (const piece of Object.values(PIECES)) for (let i = 0; i < 500; i++) await piece()

const samples = {
  first: [],
  warm: [],
  resolver: [],
  construction: [],
  keyImport: [],
  timeout: [],
  compile: [],
}
samples.firstSign = []
samples.secondSign = []
const perRound = Math.ceil(count / rounds)
const resolvedBefore = TENANT_STATS.resolved
for (let round = 0; round < rounds; round++) {
  const { first, warm } = await endToEnd(perRound, `e${round}-`)
  samples.first.push(...first)
  samples.warm.push(...warm)
  for (const name of ['resolver', 'construction', 'keyImport', 'timeout', 'compile']) {
    for (let i = 0; i < perRound; i++) samples[name].push(PIECES[name]())
  }
  for (let i = 0; i < perRound; i++) {
    const { first, second } = await PIECES.firstSign()
    samples.firstSign.push(first)
    samples.secondSign.push(second)
  }
}
const resolved = TENANT_STATS.resolved - resolvedBefore
const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
const extra = median(samples.first.map((v, i) => v - samples.warm[i]))

// Profile of first requests alone (new tenants; nothing else runs while it samples).
let profile
if (profileFile) {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 50 })
  await session.post('Profiler.start')
  const start = performance.now()
  const n = count
  for (let i = 0; i < n; i++) await timed(newTenant('p'))
  const wallMs = performance.now() - start
  const { profile: cpuProfile } = await session.post('Profiler.stop')
  session.disconnect()
  writeFileSync(profileFile, JSON.stringify(cpuProfile))
  profile = { file: profileFile, requests: n, wallMs }
}

await serveParent(() => ({
  ready: { medians, extra, count: samples.first.length, resolved, profile },
}))
