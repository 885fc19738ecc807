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
import { fork } from 'node:child_process'
import { Agent, request } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
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

/** One request; resolves with status, headers and body, never rejects (errors become status 0). */
function send(url, { method = 'GET', headers = {}, body, agent = appAgent } = {}) {
  const started = performance.now()
  return new Promise((resolve) => {
    const u = new URL(url)
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method,
        agent,
        headers:
          body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        )
        res.on('error', (error) =>
          resolve({ status: 0, headers: {}, body: String(error), ms: performance.now() - started }),
        )
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (error) =>
      resolve({ status: 0, headers: {}, body: String(error), ms: performance.now() - started }),
    )
    req.end(body)
  })
}

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

const child = fork(join(ROOT, 'scripts/loadtest/server.ts'), [], {
  cwd: ROOT,
  execArgv: ['--expose-gc', '--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
let rpcId = 0
const pending = new Map()
const ready = new Promise((resolve, reject) => {
  child.on('message', (message) => {
    if (message.type === 'ready') resolve(message)
    else pending.get(message.id)?.(message.body)
  })
  child.once('exit', (code) => reject(new Error(`the server process exited (${code})`)))
})
const rpc = (message) =>
  new Promise((resolve) => {
    const id = ++rpcId
    pending.set(id, resolve)
    child.send({ ...message, id })
  })

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

async function logIn(demo, n) {
  const response = await send(`${demo.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      email: `vu${n}@load.example`,
      name: `User ${n}`,
      returnTo: '/',
    }).toString(),
  })
  const cookie = (response.headers['set-cookie'] ?? [])[0]?.split(';')[0]
  if (response.status !== 303 || !cookie) {
    throw new Error(`virtual user ${n} could not log in: ${response.status}`)
  }
  return cookie
}

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
  let r = await send(location, { agent: simAgent })
  if (flow === 'bettermode') {
    const cookie = (r.headers['set-cookie'] ?? [])[0]?.split(';')[0]
    if (r.status !== 302 || !cookie) return `bettermode simulator answered ${r.status}`
    r = await send(new URL(r.headers.location, location).href, {
      agent: simAgent,
      headers: { cookie },
    })
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
  const { demo, fault, gc } = await ready
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
  if (child.connected)
    await Promise.race([rpc({ type: 'close' }), new Promise((r) => setTimeout(r, 3000))])
  if (child.exitCode === null) child.kill()
}
process.exit(ok ? 0 : 1)
