// The redirect flows, measured on the demo (examples/express: Express 5 + express-session, all
// five vendors) against the simulators it starts. Each flow's start link is taken from its
// simulator's page, exactly as a browser would follow it; before any load, one request per flow
// is followed through to the simulator, which must say the user is signed in.
import { join } from 'node:path'
import { follow, logInToDemo, send } from '../lib/http.mjs'
import { BENCH_DIR, benchServer, fmtInt, fmtRatio, median, USER } from './lib.mjs'

const FLOWS = [
  {
    key: 'kustomer',
    label: 'Kustomer',
    meaning:
      'Knowledge-base "Login": verify kustomerRedirectUri against the allow-list, sign, 302.',
  },
  {
    key: 'comm100',
    label: 'Comm100',
    meaning: 'Agent console SSO: allow-list check, sign with nbf and a random jti, 302.',
  },
  {
    key: 'bettermode',
    label: 'Bettermode',
    meaning: 'Community "Log in": sign, 302 to the community with a relative redirect_uri.',
  },
  {
    key: 'konnec',
    label: 'Konnec',
    meaning:
      'Server-to-server: two API calls to the Konnec simulator (update, generate-token) per sign-in, then 302. Bounded by those calls, not by signing.',
  },
]

const EMAIL = USER.email

async function startDemo(profileDir) {
  const demo = await benchServer('demo', {
    file: join(BENCH_DIR, 'demo-server.mjs'),
    execArgv: ['--import', 'tsx'],
    profileDir,
  })
  // Log in once, as a browser would: the session cookie is all later requests carry.
  demo.cookie = await logInToDemo(demo.url, {
    email: EMAIL,
    name: `${USER.firstName} ${USER.lastName}`,
  })
  demo.starts = {}
  for (const { key } of FLOWS) {
    const page = (await send(`${demo.simulators[key]}/`)).body
    const href = [...page.matchAll(/href="([^"]+)"/g)]
      .map((m) => m[1].replaceAll('&amp;', '&'))
      .find((h) => h.startsWith(`${demo.url}/sso/`))
    if (!href) throw new Error(`no start link to the app on the ${key} simulator's page`)
    demo.starts[key] = href.slice(demo.url.length)
  }
  return demo
}

/** One flow, followed to the simulator: the app must redirect, the simulator must sign the user in. */
async function checkFlow(demo, key) {
  const headers = { cookie: demo.cookie }
  const res = await send(demo.url + demo.starts[key], { headers })
  const location = res.headers.location
  if (res.status !== 302 || !location?.startsWith(demo.simulators[key])) {
    throw new Error(`${key}: the app answered ${res.status} ${location ?? ''}`)
  }
  // Follow the simulator's own redirects with its cookies, as a browser would (Bettermode
  // signs in at /api/auth/sso, sets a session cookie and redirects to the community page).
  const { response: landing } = await follow(location, { hops: 3 })
  const html = landing.body
  if (!html.includes('data-state="signed-in"')) {
    const code = /data-code="([^"]+)"/.exec(html)?.[1]
    throw new Error(
      `${key}: the simulator did not sign the user in (${landing.status} ${code ?? ''})`,
    )
  }
}

export async function runFlows({ runHttpGroup, load, profileDir }) {
  const headers = {}
  const contenders = [
    {
      key: 'me',
      label: 'GET /api/me',
      server: 'demo',
      request: { path: '/api/me', headers },
      expect: 200,
      async check(demo) {
        headers.cookie = demo.cookie
        const body = JSON.parse((await send(`${demo.url}/api/me`, { headers })).body)
        if (body.user?.email !== EMAIL) throw new Error('the demo session did not hold the user')
      },
    },
    ...FLOWS.map((flow) => ({
      key: flow.key,
      label: flow.label,
      server: 'demo',
      request: { path: '', headers },
      expect: 302,
      async check(demo, contender) {
        await checkFlow(demo, flow.key)
        contender.request.path = demo.starts[flow.key]
      },
    })),
  ]
  const runs = await runHttpGroup(
    'redirect flows on the demo (Express 5 + session) against the simulators',
    { demo: () => startDemo(profileDir) },
    contenders,
    load,
  )
  const base = runs.me
  const lines = [
    '**Redirect flows** on the demo (Express 5, express-session, all five vendors; simulators in the same process), logged in, against `GET /api/me` on the same app and session:',
    '',
    '| flow | requests/s | p50 | p99 | vs GET /api/me |',
    '|---|---:|---:|---:|---:|',
    `| GET /api/me (baseline) | ${fmtInt(median(base.map((r) => r.rps)))} | ${median(base.map((r) => r.p50))} ms | ${median(base.map((r) => r.p99))} ms | 1.00× |`,
  ]
  const flows = FLOWS.map((flow) => {
    const list = runs[flow.key]
    const ratios = list.map((r, i) => r.rps / base[i].rps)
    const comparison = {
      ratio: median(ratios),
      min: Math.min(...ratios),
      max: Math.max(...ratios),
      cpuRatio: median(list.map((r, i) => base[i].cpuPerRequest / r.cpuPerRequest)),
      subject: {
        rps: median(list.map((r) => r.rps)),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
      },
      baseline: { rps: median(base.map((r) => r.rps)), p99: median(base.map((r) => r.p99)) },
    }
    lines.push(
      `| ${flow.label} | ${fmtInt(comparison.subject.rps)} | ${comparison.subject.p50} ms | ${comparison.subject.p99} ms | ${fmtRatio(comparison.ratio)} |`,
    )
    return { ...flow, comparison }
  })
  return { flows, markdown: lines.join('\n') }
}
