// The tenants rows (#12): one mount serving many tenants (`tenants: { resolve }`) against the
// same Komo route configured statically, what the first request of a new tenant costs and what
// it spends it on, memory per cached tenant, and memory while 100,000 distinct tenants come in
// turn. Servers are child processes on the built dist (server.mjs); load comes from the load
// generator's process, spread over the tenants (load.mjs `spread`).
import { Agent } from 'node:http'
import { join } from 'node:path'
import { send } from '../lib/http.mjs'
import { BENCH_DIR, benchServer, fmtInt, fmtMb, median, startBenchChild } from './lib.mjs'
import { inclusiveByName } from './profile-summary.mjs'
import { TENANT_TOKEN_TEMPLATE, tenantSecret, tenantTokenPath } from './tenant-store.mjs'

const CACHED = 10_000
/** The bound of row 4: heap after every distinct tenant ≤ this × heap after the first 5,000. */
const BOUND = 1.1

const fmtUs = (us) => (Number.isFinite(us) ? `${us.toFixed(1)} µs` : '—')
const fmtKb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(2)} KB` : '—')

/** Sends `count` first requests, tenants t<start> … t<start+count-1>, from the load generator. */
async function requestTenants(load, server, start, count, connections) {
  const result = await load.run({
    url: server.url,
    method: 'POST',
    connections,
    amount: count,
    spread: { template: TENANT_TOKEN_TEMPLATE, start, count },
  })
  if (result.statuses['200'] !== count || result.errors) {
    throw new Error(
      `tenants t${start}…t${start + count - 1}: ${JSON.stringify(result.statuses)} (${result.errors} errors)`,
    )
  }
  return result
}

const resolvedBy = async (server) => (await server.child.ask('tenants')).resolved
const heapOf = async (server) => (await server.child.ask('gc')).memory

/** A tenant's token verifies with its own secret, and with no other tenant's. */
async function checkTenantTokens(server, checkToken) {
  for (const tenant of ['t0', `t${CACHED - 1}`]) {
    await checkToken(server, { path: tenantTokenPath(tenant), secret: tenantSecret(tenant) })
  }
  let crossed = true
  try {
    await checkToken(server, { path: tenantTokenPath('t1'), secret: tenantSecret('t0') })
  } catch {
    crossed = false
  }
  if (crossed) throw new Error("tenant t1's token verified with tenant t0's secret")
}

// ── 1. warm requests, 10,000 tenants cached vs the static configuration ──────────────────────

async function warmRequests({ runHttpGroup, compare, addRow, checkToken, load, settings }) {
  const state = {}
  const runs = await runHttpGroup(
    `Komo token endpoint, ${fmtInt(CACHED)} tenants cached vs static, node:http`,
    { static: 'komo-static', tenants: 'komo-tenants' },
    [
      {
        key: 'static',
        label: 'static vendors: [komo({ secret })]',
        server: 'static',
        request: { path: '', method: 'POST', spread: { template: '/sso/komo/token' } },
        expect: 200,
        check: (target) => checkToken(target),
      },
      {
        key: 'tenants',
        label: `${fmtInt(CACHED)} tenants cached`,
        server: 'tenants',
        request: {
          path: '',
          method: 'POST',
          spread: { template: TENANT_TOKEN_TEMPLATE, count: CACHED },
        },
        expect: 200,
        async check(target) {
          await checkTenantTokens(target, checkToken)
          const started = performance.now()
          await requestTenants(load, target, 0, CACHED, settings.connections)
          state.warmedIn = performance.now() - started
          state.resolved = await resolvedBy(target)
          if (state.resolved !== CACHED) {
            throw new Error(`warming ${CACHED} tenants resolved ${state.resolved}`)
          }
        },
        async after(target) {
          state.resolvedAfter = await resolvedBy(target)
        },
      },
      {
        // Real traffic is skewed: one big tenant among many. Same server, same 10,000 cached.
        key: 'hot',
        label: `one tenant of the ${fmtInt(CACHED)} cached`,
        server: 'tenants',
        request: { path: '', method: 'POST', spread: { template: tenantTokenPath('t0') } },
        expect: 200,
      },
    ],
    load,
  )
  const reResolved = state.resolvedAfter - state.resolved
  addRow({
    id: 'tenants-warm',
    what: `Komo token endpoint with ${fmtInt(CACHED)} tenants cached (basePath /t/:tenant/sso, load spread over all) vs the static vendors: [komo({ secret })]`,
    ...compare(runs, 'tenants', 'static'),
    target: 0.95,
    meaning: `What a tenant's request costs over a static mount once its tenant is cached: the basePath match for the tenant id, the id check, the cache lookup (a Map, moved to most recently used). The ${fmtInt(CACHED)} tenants were warmed in ${(state.warmedIn / 1000).toFixed(1)} s before the rounds; ${reResolved === 0 ? 'none was resolved again during them' : `${fmtInt(reResolved)} were resolved again during them (time to live)`}.`,
  })
  addRow({
    id: 'tenants-hot',
    what: `The same server (${fmtInt(CACHED)} tenants cached), all load on one tenant vs the static vendors: [komo({ secret })]`,
    ...compare(runs, 'hot', 'static'),
    meaning:
      "One busy tenant among many cached ones. Each hit deletes and re-inserts the tenant's key to mark it most recently used; a V8 Map keeps the deleted entry in its bucket's chain until the table is rehashed, and the same key always lands in the same bucket, so for a hot key that chain grows with every hit and every lookup walks it. See Findings.",
  })
}

// ── 2. the first request of a new tenant ─────────────────────────────────────────────────────

const PROFILED = [
  'resolveTenant',
  'inTime',
  'resolveBenchTenant',
  'komo',
  'createSigner',
  'createSecretKey',
  'mountVendors',
  'compileRoutes',
  'checkVendors',
  'createAbortSignal',
  'addEventListener',
  'setTimeout',
]

async function firstRequestInProcess({ addRow, details, settings, quick, profileDir, log }) {
  log('\n── first request of a new tenant (in-process, ssoHandler) ──')
  const count = quick ? 500 : 2000
  const file = join(profileDir ?? '/tmp', `sso-bench-tenant-first-${process.pid}.cpuprofile`)
  const { child, ...r } = await startBenchChild(join(BENCH_DIR, 'tenant-phases.mjs'), {
    args: [`${count},${Math.max(3, Math.min(settings.rounds, 10))}`, file],
    execArgv: ['--expose-gc'],
    label: 'tenant first-request phases',
  })
  await child.stop()
  const m = r.medians
  const profile = inclusiveByName(file, PROFILED)
  const share = profile.percent
  const pieces = [
    ['the resolver itself (call, secret lookup)', m.resolver, 'resolveBenchTenant without komo()'],
    [
      'vendor construction: komo({ secret })',
      m.construction,
      `options checks, createSigner, defineVendor; includes the key import below`,
    ],
    ['  of which the key import (createSecretKey)', m.keyImport, 'node:crypto KeyObject'],
    [
      "route compilation (compileRoutes' path-to-regexp work for the tenant's one route)",
      m.compile,
      "parse(basePath) + match('/t/:tenant/sso/komo/token'), called directly",
    ],
    [
      "the resolution's time limit: AbortController, setTimeout, 2 abort listeners, clearTimeout",
      m.timeout,
      'as resolveTenant sets it up (one listener per awaited step) and clears it',
    ],
    [
      "first sign of the tenant's signer, over a second one",
      m.firstSign - m.secondSign,
      `first ${fmtUs(m.firstSign)}, second ${fmtUs(m.secondSign)} (HS256 on node:crypto: the key was made in komo())`,
    ],
  ]
  const named = m.construction + m.compile + m.timeout + m.resolver + (m.firstSign - m.secondSign)
  const lines = [
    `**First request of a new tenant**, in one process (\`ssoHandler\`, no HTTP; resolver answering at once with \`[komo({ secret })]\`), median of ${fmtInt(r.count)} new tenants, each followed by a second (warm) request; the pieces called directly, alternating with them over the same rounds:`,
    '',
    '| | µs (median) | what |',
    '|---|---:|---|',
    `| first request of a new tenant | ${fmtUs(m.first)} | |`,
    `| warm request of the same tenant | ${fmtUs(m.warm)} | route match, user, claims, sign, Response |`,
    `| **extra cost of the first request** | **${fmtUs(r.extra)}** | median of per-tenant differences |`,
    ...pieces.map(([what, us, note]) => `| ${what} | ${fmtUs(us)} | ${note} |`),
    `| the rest: promises of the shared resolution, checkVendors, cache bookkeeping, GC | ${fmtUs(r.extra - named)} | extra cost minus the pieces above |`,
    '',
    `CPU profile of ${fmtInt(r.profile.requests)} first requests alone (V8 sampler every 50 µs, ${fmtInt(profile.samples)} samples, ${r.profile.wallMs.toFixed(0)} ms under the profiler; inclusive share of all samples, building each \`Request\` included): ` +
      PROFILED.map((name) => `${name} ${share[name].toFixed(1)}%`).join(', ') +
      '. Profile: `' +
      file +
      '`.',
  ]
  details.push(lines.join('\n'))
  log(
    `  first ${fmtUs(m.first)}, warm ${fmtUs(m.warm)}, extra ${fmtUs(r.extra)}: komo() ${fmtUs(m.construction)} (key import ${fmtUs(m.keyImport)}), routes ${fmtUs(m.compile)}, time limit ${fmtUs(m.timeout)}, first sign vs second ${fmtUs(m.firstSign - m.secondSign)}`,
  )
  if (r.resolved !== r.count) {
    throw new Error(`the resolver ran ${r.resolved} times for ${r.count} new tenants`)
  }
  addRow({
    id: 'tenants-first-inprocess',
    what: 'First request of a new tenant vs a warm request of a cached one, in-process (ssoHandler)',
    ratio: m.first / m.warm,
    subject: { text: fmtUs(m.first) },
    baseline: { text: fmtUs(m.warm) },
    lowerIsBetter: true,
    meaning: `A new tenant's first request costs ${fmtUs(r.extra)} more: building its vendor ${fmtUs(m.construction)} (key import ${fmtUs(m.keyImport)}), compiling its route ${fmtUs(m.compile)}, the resolution's time limit ${fmtUs(m.timeout)}, the rest in the cache's promises and bookkeeping (table below).`,
  })
}

// ── 3. memory per cached tenant, then 2. over HTTP on the same server ────────────────────────

async function memoryPerTenant({ addRow, details, load, settings, quick, log }) {
  log('\n── memory per cached tenant ──')
  const server = await benchServer('komo-tenants')
  const steps = [1_000, CACHED]
  const points = []
  let probes
  try {
    points.push({ tenants: 0, memory: await heapOf(server) })
    let done = 0
    for (const n of steps) {
      await requestTenants(load, server, done, n - done, settings.connections)
      done = n
      points.push({ tenants: n, memory: await heapOf(server), resolved: await resolvedBy(server) })
    }
    probes = await firstOverHttp(server, quick ? 100 : 500)
  } finally {
    await server.child.stop()
  }
  const [empty] = points
  const per = (p, key) => (p.memory[key] - empty.memory[key]) / p.tenants
  const rowsOf = points.map(
    (p) =>
      `| ${fmtInt(p.tenants)} | ${fmtMb(p.memory.heapUsed)} | ${p.tenants ? fmtKb(per(p, 'heapUsed')) : '—'} | ${p.tenants ? fmtKb(per(p, 'external')) : '—'} | ${fmtMb(p.memory.rss)} | ${p.tenants ? fmtKb(per(p, 'rss')) : '—'} |`,
  )
  const last = points.at(-1)
  const incremental =
    (last.memory.heapUsed - points[1].memory.heapUsed) / (last.tenants - points[1].tenants)
  details.push(
    [
      `**Memory per cached tenant** (Komo only, each tenant its own secret; node:http server, heap after \`global.gc()\` twice; per tenant = (figure − empty) ÷ tenants; between ${fmtInt(points[1].tenants)} and ${fmtInt(last.tenants)}: ${fmtKb(incremental)} of heap per tenant)`,
      '',
      '| tenants cached | heap used | heap / tenant | external / tenant | RSS | RSS / tenant |',
      '|---:|---:|---:|---:|---:|---:|',
      ...rowsOf,
    ].join('\n'),
  )
  log(
    `  heap empty ${fmtMb(empty.memory.heapUsed)}; ${points
      .slice(1)
      .map(
        (p) =>
          `${fmtInt(p.tenants)}: ${fmtMb(p.memory.heapUsed)} (${fmtKb(per(p, 'heapUsed'))}/tenant)`,
      )
      .join('; ')}`,
  )
  addRow({
    id: 'tenants-memory',
    what: `Heap used per cached tenant (Komo, own secret), after GC: ${fmtInt(last.tenants)} tenants vs none`,
    ratio: Number.NaN,
    baseline: { text: `${fmtMb(empty.memory.heapUsed)} (none)` },
    subject: { text: `${fmtMb(last.memory.heapUsed)}: ${fmtKb(per(last, 'heapUsed'))}/tenant` },
    meaning: `Each cached tenant holds its vendor (options, signer, route), its compiled route table and a cache entry: ${fmtKb(per(last, 'heapUsed'))} of heap (${fmtKb(per(points[1], 'heapUsed'))} at ${fmtInt(points[1].tenants)}), plus ${fmtKb(per(last, 'external'))} outside the heap (the key). maxTenants ${fmtInt(CACHED)} costs about ${fmtMb(per(last, 'heapUsed') * CACHED)}.`,
  })
  addRow({
    id: 'tenants-first-http',
    what: 'First request of a new tenant vs a warm request of a cached one, over HTTP (one at a time, keep-alive)',
    ratio: probes.first / probes.warm,
    subject: { text: fmtUs(probes.first) },
    baseline: { text: fmtUs(probes.warm) },
    lowerIsBetter: true,
    meaning: `What a client sees: median of ${fmtInt(probes.count)} new tenants on the server above (${fmtInt(CACHED)} already cached), each followed by its second request; extra ${fmtUs(probes.extra)} (the in-process breakdown is below).`,
  })
}

/** `count` new tenants, one request at a time on one keep-alive connection: first, then warm. */
async function firstOverHttp(server, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const first = []
  const warm = []
  try {
    const one = async (path) => {
      const res = await send(`${server.url}${path}`, { method: 'POST', agent })
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`)
      return res.ms * 1000
    }
    for (let i = 0; i < 50; i++) await one(tenantTokenPath(`warmup${i}`)) // connection, JIT
    for (let i = 0; i < count; i++) {
      const path = tenantTokenPath(`new${i}`)
      first.push(await one(path))
      warm.push(await one(path))
    }
  } finally {
    agent.destroy()
  }
  return {
    count,
    first: median(first),
    warm: median(warm),
    extra: median(first.map((v, i) => v - warm[i])),
  }
}

// ── 4. memory bounded while 100,000 distinct tenants come in turn ──────────────────────────

async function boundedMemory({ addRow, details, load, settings, quick, log }) {
  const total = quick ? 20_000 : 100_000
  log(`\n── memory while ${fmtInt(total)} distinct tenants are requested (maxTenants 1000) ──`)
  const checkpoints = quick ? [2_000, 5_000, total] : [2_000, 5_000, 25_000, 50_000, total]
  const server = await benchServer('komo-tenants-default')
  const points = []
  let cache
  try {
    points.push({ tenants: 0, memory: await heapOf(server), resolved: 0 })
    let done = 0
    for (const n of checkpoints) {
      await requestTenants(load, server, done, n - done, settings.connections)
      done = n
      points.push({ tenants: n, memory: await heapOf(server), resolved: await resolvedBy(server) })
      log(`  ${fmtInt(n)} tenants: heap ${fmtMb(points.at(-1).memory.heapUsed)}`)
    }
    // What the cache holds now: the last 1,000 tenants answer without the resolver, the first
    // one needs it again (it was evicted long ago).
    const before = await resolvedBy(server)
    await requestTenants(load, server, total - 1000, 1000, settings.connections)
    const recent = (await resolvedBy(server)) - before
    await requestTenants(load, server, 0, 1, 1)
    const oldest = (await resolvedBy(server)) - before - recent
    cache = { recent, oldest, size: 1000 - recent }
  } finally {
    await server.child.stop()
  }
  const at = (n) => points.find((p) => p.tenants === n)
  const few = at(5_000)
  const end = at(total)
  const ratio = end.memory.heapUsed / few.memory.heapUsed
  const resolvedOnce = points.every((p) => p.resolved === p.tenants)
  const met = ratio <= BOUND && cache.recent === 0 && cache.oldest === 1 && resolvedOnce
  const verdict = `bound: heap after ${fmtInt(total)} distinct tenants ${fmtMb(end.memory.heapUsed)} ≤ ${BOUND.toFixed(2)} × heap after 5,000 (${fmtMb(few.memory.heapUsed)}): ${ratio.toFixed(3)}×; cache holds the last ${fmtInt(cache.size)} of them (${cache.recent} of the last 1,000 resolved again, the first one ${cache.oldest ? 'resolved again' : 'still cached'}) — ${met ? 'met' : 'MISSED'}`
  log(`  ${verdict}`)
  details.push(
    [
      `**Memory while ${fmtInt(total)} distinct tenants are requested in turn** (default maxTenants 1000; each tenant requested once, 64 at a time; heap after \`global.gc()\`). ${verdict[0].toUpperCase()}${verdict.slice(1)}.`,
      '',
      '| distinct tenants requested | heap used | RSS | resolver calls |',
      '|---:|---:|---:|---:|',
      ...points.map(
        (p) =>
          `| ${fmtInt(p.tenants)} | ${fmtMb(p.memory.heapUsed)} | ${fmtMb(p.memory.rss)} | ${fmtInt(p.resolved)} |`,
      ),
    ].join('\n'),
  )
  addRow({
    id: 'tenants-bounded',
    what: `Heap after ${fmtInt(total)} distinct tenants vs after the first 5,000 (maxTenants 1000)`,
    ratio,
    baseline: { bytes: few.memory.heapUsed },
    subject: { bytes: end.memory.heapUsed },
    lowerIsBetter: true,
    targetText: `≤ ${BOUND.toFixed(2)}×`,
    met,
    meaning: `The cache keeps the ${fmtInt(cache.size)} most recently used tenants and lets the others go: memory stays where it was once the cache was full, however many tenants come (${cache.recent} of the last 1,000 needed the resolver again; the first tenant did${cache.oldest ? '' : ' not'}).`,
  })
}

/** Runs the tenants rows; `ctx` carries main.mjs's runHttpGroup, compare, addRow, checkToken, … */
export async function runTenants(ctx) {
  await warmRequests(ctx)
  await firstRequestInProcess(ctx)
  await memoryPerTenant(ctx)
  await boundedMemory(ctx)
}
