#!/usr/bin/env node
// `pnpm loadtest [--short]`: load and fault run against the demo, over real HTTP on 127.0.0.1.
//
// The server (scripts/loadtest/server.ts: the demo with every vendor simulated, plus a
// Konnec-only app with a 300 ms timeout) runs in a child process; this process only generates
// load, with a bounded pool of virtual users. It checks:
//   1. N requests at 100 concurrent connections across all five flows (each virtual user logs
//      in once with POST /login): 200 for Komo's token, 302 to the simulator for the others,
//      and a sample of redirects followed to the simulator, which must sign the user in;
//   2. the server's memory (after GC) back within 20 MB of its warm level, and no socket left
//      open once the clients are gone;
//   3. Konnec logins with a fifth of the upstream calls failing in each injected way (timeout,
//      5xx, reset, malformed JSON): every one answered 302, or 502/504 with
//      ERR_SSO_VENDOR_UNAVAILABLE, within its time bound.
// Prints a table; exits 1 on any violation. --short is the CI size (2,000 requests, 200 logins).
import { Agent } from 'node:http'
import { join } from 'node:path'
import { ROOT, startChild } from './lib/child.mjs'
import { cookiesOf, follow, logInToDemo, send as sendOnce } from './lib/http.mjs'

const SHORT = process.argv.includes('--short')
if (process.argv.includes('--help')) {
  console.log('usage: pnpm loadtest [--short]   (full: 20,000 requests + 2,000 Konnec logins)')
  process.exit(0)
}

const CONFIG = SHORT
  ? { requests: 2_000, warmup: 500, konnecLogins: 200, users: 100, faultConcurrency: 20 }
  : { requests: 20_000, warmup: 2_000, konnecLogins: 2_000, users: 100, faultConcurrency: 20 }
const FOLLOW_EVERY = 50
const MEMORY_BUDGET = 20 * 1024 * 1024
const REQUEST_TIMEOUT_MS = 15_000
const FLOWS = ['komo', 'kustomer', 'konnec', 'comm100', 'bettermode']

const violations = []
const violate = (message) => {
  if (violations.length < 200) violations.push(message)
}

// ---------------------------------------------------------------------------------------------
// HTTP

const appAgent = new Agent({ keepAlive: true, maxSockets: CONFIG.users })
const simAgent = new Agent({ keepAlive: true, maxSockets: 20 })

/** One request (scripts/lib/http.mjs), by default on the virtual users' pool of connections. */
const send = (url, { agent = appAgent, ...options } = {}) =>
  sendOnce(url, { ...options, agent, timeout: REQUEST_TIMEOUT_MS })

/** Runs `task(i)` for i in [0, total) with at most `concurrency` in flight. */
async function pool(total, concurrency, task) {
  let next = 0
  const worker = async (w) => {
    while (next < total) await task(next++, w)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, (_, w) => worker(w)))
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

// ---------------------------------------------------------------------------------------------
// The server process

// Started, awaited and stopped as the benchmarks' servers are (scripts/lib/child.mjs).
const server = startChild(join(ROOT, 'scripts/loadtest/server.ts'), {
  execArgv: ['--expose-gc', '--import', 'tsx'],
  output: 'inherit',
  label: 'loadtest server',
})
const rpc = async ({ type, ...payload }) => (await server).child.ask(type, payload)

/** Waits for the server's open sockets to drop to `target` (keep-alive pools time out in ~5 s). */
async function settleSockets(target, limitMs = 15_000) {
  const started = Date.now()
  let stats = await rpc({ type: 'stats' })
  while (stats.sockets > target && Date.now() - started < limitMs) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    stats = await rpc({ type: 'stats' })
  }
  return { stats, waitedMs: Date.now() - started }
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

// ---------------------------------------------------------------------------------------------
// Virtual users and flows

const logIn = (demo, n) =>
  logInToDemo(demo.url, { email: `vu${n}@load.example`, name: `User ${n}`, agent: appAgent })

function flowRequest(demo, flow, cookie) {
  const sims = demo.simulators
  const enc = encodeURIComponent
  switch (flow) {
    case 'komo':
      return {
        url: `${demo.url}/sso/komo/token`,
        method: 'POST',
        headers: { cookie, origin: demo.url, 'sec-fetch-site': 'same-origin' },
      }
    case 'kustomer':
      return {
        url: `${demo.url}/sso/kustomer/login?trackingToken=t&kustomerRedirectUri=${enc(`${sims.kustomer}/login?referralUrl=${enc(`${sims.kustomer}/`)}`)}`,
        headers: { cookie },
      }
    case 'konnec':
      return { url: `${demo.url}/sso/konnec/login`, headers: { cookie } }
    case 'comm100':
      return {
        url: `${demo.url}/sso/comm100/login?redirect_url=${enc(`${sims.comm100}/sso/callback`)}`,
        headers: { cookie },
      }
    case 'bettermode':
      return {
        url: `${demo.url}/sso/bettermode/login?referrer_uri=%2Fspaces%2Fgeneral`,
        headers: { cookie },
      }
  }
}

/** Checks the app's answer; returns what to follow at the simulator, or a violation message. */
function judgeFlow(demo, flow, response) {
  const sims = demo.simulators
  if (flow === 'komo') {
    if (response.status !== 200) return { error: `komo answered ${response.status}` }
    try {
      const { token } = JSON.parse(response.body)
      if (typeof token !== 'string' || !token.startsWith('eyJ')) return { error: 'komo: no token' }
      return { token }
    } catch {
      return { error: 'komo: not JSON' }
    }
  }
  const location = response.headers.location
  if (response.status !== 302 || !location) return { error: `${flow} answered ${response.status}` }
  const url = new URL(location)
  const expected = {
    kustomer: [sims.kustomer, '/login', 'externalToken'],
    konnec: [sims.konnec, '/', 'refresh-token'],
    comm100: [sims.comm100, '/sso/callback', 'jwt'],
    bettermode: [sims.bettermode, '/api/auth/sso', 'jwt'],
  }[flow]
  if (
    url.origin !== expected[0] ||
    url.pathname !== expected[1] ||
    !url.searchParams.get(expected[2])
  ) {
    return { error: `${flow} redirected to ${url.origin}${url.pathname}` }
  }
  return { location }
}

/** Follows a redirect to the simulator (or verifies a Komo token) and checks the sign-in. */
async function confirmAtSimulator(demo, flow, { token, location }) {
  const names = {
    kustomer: 'Kustomer',
    konnec: 'Konnec',
    comm100: 'Comm100',
    bettermode: 'Bettermode',
  }
  if (flow === 'komo') {
    const r = await send(`${demo.simulators.komo}/api/verify`, {
      method: 'POST',
      agent: simAgent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    })
    return r.status === 200 ? undefined : `komo simulator refused the token: ${r.status}`
  }
  // Bettermode signs in at /api/auth/sso, sets a session cookie and redirects: one hop.
  const { response: r, chain } = await follow(location, {
    agent: simAgent,
    timeout: REQUEST_TIMEOUT_MS,
    hops: flow === 'bettermode' ? 1 : 0,
  })
  if (flow === 'bettermode' && (chain[0].status !== 302 || !cookiesOf(chain[0]).length)) {
    return `bettermode simulator answered ${chain[0].status}`
  }
  if (r.status !== 200 || !r.body.includes(`Signed in to ${names[flow]} as`)) {
    return `${flow} simulator did not sign the user in: ${r.status}`
  }
  return undefined
}

async function runLoad(demo, cookies, total, label) {
  const perFlow = Object.fromEntries(
    FLOWS.map((f) => [f, { n: 0, ok: 0, bad: 0, ms: [], followed: 0 }]),
  )
  const started = performance.now()
  await pool(total, cookies.length, async (i, w) => {
    const flow = FLOWS[i % FLOWS.length]
    const stat = perFlow[flow]
    const spec = flowRequest(demo, flow, cookies[w])
    const response = await send(spec.url, { method: spec.method, headers: spec.headers })
    stat.n++
    stat.ms.push(response.ms)
    const verdict = judgeFlow(demo, flow, response)
    if (verdict.error) {
      stat.bad++
      violate(`${label}: ${verdict.error}`)
      return
    }
    stat.ok++
    if (Math.floor(i / FLOWS.length) % FOLLOW_EVERY === 0) {
      stat.followed++
      const problem = await confirmAtSimulator(demo, flow, verdict)
      if (problem) {
        stat.bad++
        violate(`${label}: ${problem}`)
      }
    }
  })
  const seconds = (performance.now() - started) / 1000
  return { perFlow, seconds, rps: total / seconds }
}

// ---------------------------------------------------------------------------------------------
// Konnec fault run

const PHASES = [
  ['timeout (latency 2 × timeoutMs)', (t) => [{ kind: 'latency', ms: 2 * t, rate: 0.2 }]],
  [
    '5xx (500, and 503 which is retried)',
    () => [
      { kind: 'status', status: 500, rate: 0.1 },
      { kind: 'status', status: 503, rate: 1 / 9 },
    ],
  ],
  ['connection reset', () => [{ kind: 'reset', rate: 0.2 }]],
  ['malformed JSON', () => [{ kind: 'malformed', rate: 0.2 }]],
]

async function runFaults(fault, logins) {
  const per = Math.floor(logins / PHASES.length)
  // Two calls, each at worst a fast failure, the retry delay and a timed-out retry; plus slack.
  const bound = 2 * (2 * fault.timeoutMs + fault.retryDelayMs) + 500
  const rows = []
  for (const [name, faults] of PHASES) {
    await rpc({ type: 'inject', faults: faults(fault.timeoutMs) })
    const before = (await rpc({ type: 'stats' })).konnecCalls
    const counts = { 302: 0, 502: 0, 504: 0, other: 0, slow: 0 }
    const ms = []
    await pool(per, CONFIG.faultConcurrency, async (i) => {
      const r = await send(`${fault.url}/sso/konnec/login`, {
        headers: { 'x-load-user': String(i % 500) },
      })
      ms.push(r.ms)
      if (r.ms > bound) {
        counts.slow++
        violate(`fault ${name}: answered after ${Math.round(r.ms)} ms (bound ${bound} ms)`)
      }
      if (r.status === 302) {
        const location = new URL(r.headers.location ?? 'http://invalid')
        if (location.origin !== fault.konnec || !location.searchParams.get('refresh-token')) {
          counts.other++
          violate(`fault ${name}: 302 to ${location.origin}`)
        } else counts[302]++
      } else if (
        (r.status === 502 || r.status === 504) &&
        r.body.includes('ERR_SSO_VENDOR_UNAVAILABLE')
      ) {
        counts[r.status]++
      } else {
        counts.other++
        violate(`fault ${name}: answered ${r.status} ${r.body.slice(0, 80)}`)
      }
    })
    const after = (await rpc({ type: 'stats' })).konnecCalls
    const calls = after.update + after['generate-token'] - before.update - before['generate-token']
    // The fault must have bitten: a failed login, or retries beyond two calls per login.
    if (counts[502] + counts[504] === 0 && calls <= 2 * per)
      violate(`fault ${name}: never exercised`)
    ms.sort((a, b) => a - b)
    rows.push({
      name,
      per,
      calls,
      counts,
      p50: percentile(ms, 50),
      p99: percentile(ms, 99),
      max: ms.at(-1) ?? 0,
      bound,
    })
  }
  await rpc({ type: 'inject', faults: [] })
  return rows
}

// ---------------------------------------------------------------------------------------------

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ')
  console.log(line(headers))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows) console.log(line(row))
}

async function main() {
  const { demo, fault, gc } = await server
  console.log(
    `loadtest${SHORT ? ' --short' : ''}: demo ${demo.url}, fault app ${fault.url} (Konnec timeout ${fault.timeoutMs} ms)`,
  )
  if (!gc) violate('the server process has no global.gc; memory figures are not comparable')

  const cookies = []
  for (let n = 0; n < CONFIG.users; n++) cookies.push(await logIn(demo, n))

  await runLoad(demo, cookies, CONFIG.warmup, 'warm-up')
  appAgent.destroy()
  simAgent.destroy()
  const idle = await settleSockets(0)
  const warm = await rpc({ type: 'stats', gc: true })

  const load = await runLoad(demo, cookies, CONFIG.requests, 'load')
  const hot = await rpc({ type: 'stats' })
  appAgent.destroy()
  simAgent.destroy()
  const drained = await settleSockets(idle.stats.sockets)
  const after = await rpc({ type: 'stats', gc: true })
  if (drained.stats.sockets > idle.stats.sockets) {
    violate(
      `sockets: ${drained.stats.sockets} still open after load (idle level ${idle.stats.sockets})`,
    )
  }
  if (after.rss - warm.rss > MEMORY_BUDGET)
    violate(`rss grew ${mb(after.rss - warm.rss)} over its warm level`)
  if (after.heapUsed - warm.heapUsed > MEMORY_BUDGET) {
    violate(`heap grew ${mb(after.heapUsed - warm.heapUsed)} over its warm level`)
  }

  const faultRows = await runFaults(fault, CONFIG.konnecLogins)
  appAgent.destroy()
  const faultDrained = await settleSockets(idle.stats.sockets)
  const faultAfter = await rpc({ type: 'stats', gc: true })
  if (faultDrained.stats.sockets > idle.stats.sockets) {
    violate(`sockets: ${faultDrained.stats.sockets} still open after the fault run`)
  }

  console.log(
    `\n1. Load: ${CONFIG.requests} requests, ${CONFIG.users} concurrent virtual users (each logged in once), ${load.seconds.toFixed(1)} s, ${Math.round(load.rps)} req/s`,
  )
  table(
    [
      'flow',
      'requests',
      'expected',
      'unexpected',
      'followed to sim',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
    ],
    FLOWS.map((f) => {
      const s = load.perFlow[f]
      const ms = s.ms.sort((a, b) => a - b)
      return [
        f,
        s.n,
        s.ok,
        s.bad,
        s.followed,
        percentile(ms, 50).toFixed(1),
        percentile(ms, 95).toFixed(1),
        percentile(ms, 99).toFixed(1),
        (ms.at(-1) ?? 0).toFixed(1),
      ]
    }),
  )
  console.log('\n2. Server process')
  table(
    ['when', 'rss', 'heapUsed', 'open sockets', 'active resources'],
    [
      [
        'warm (after warm-up, GC)',
        mb(warm.rss),
        mb(warm.heapUsed),
        idle.stats.sockets,
        JSON.stringify(warm.resources),
      ],
      ['under load (end)', mb(hot.rss), mb(hot.heapUsed), hot.sockets, ''],
      [
        `after load (GC, settled ${(drained.waitedMs / 1000).toFixed(1)} s)`,
        mb(after.rss),
        mb(after.heapUsed),
        drained.stats.sockets,
        JSON.stringify(after.resources),
      ],
      [
        'after fault run (GC)',
        mb(faultAfter.rss),
        mb(faultAfter.heapUsed),
        faultDrained.stats.sockets,
        '',
      ],
    ],
  )
  console.log(
    `   rss ${after.rss >= warm.rss ? '+' : ''}${mb(after.rss - warm.rss)}, heap ${after.heapUsed >= warm.heapUsed ? '+' : ''}${mb(after.heapUsed - warm.heapUsed)} over warm (budget 20 MB)`,
  )
  console.log(
    `\n3. Konnec faults: ${CONFIG.konnecLogins} logins, a fifth of upstream calls failing per phase, ${CONFIG.faultConcurrency} concurrent`,
  )
  table(
    [
      'phase',
      'logins',
      'upstream calls',
      '302',
      '502',
      '504',
      'other',
      'over bound',
      'p50 ms',
      'p99 ms',
      'max ms',
      'bound ms',
    ],
    faultRows.map((r) => [
      r.name,
      r.per,
      r.calls,
      r.counts[302],
      r.counts[502],
      r.counts[504],
      r.counts.other,
      r.counts.slow,
      r.p50.toFixed(0),
      r.p99.toFixed(0),
      r.max.toFixed(0),
      r.bound,
    ]),
  )
  console.log(
    violations.length
      ? `\n${violations.length} violation(s):\n  ${violations.join('\n  ')}`
      : '\nno violations',
  )
  return violations.length === 0
}

let ok = false
try {
  ok = await main()
} catch (error) {
  console.error(error)
} finally {
  appAgent.destroy()
  simAgent.destroy()
  await (await server.catch(() => undefined))?.child.stop()
}
process.exit(ok ? 0 : 1)
