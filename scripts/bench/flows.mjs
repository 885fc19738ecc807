// The sign-in flows, measured on the demo (examples/express: Express 5 + express-session, every
// vendor mounted) against the simulators it starts. Each flow's start is taken from its
// simulator, exactly as a browser would reach it (a link on its page; for Zendesk and Discourse
// the redirect of a protected page or of "Log in"); before any load, one request per flow is
// followed through to the simulator, which must say the user is signed in.
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
  {
    key: 'zendesk',
    label: 'Zendesk',
    table: 'Zendesk (form POST)',
    what: 'Zendesk form-POST flow (demo) vs GET /api/me on the same app',
    expect: 200,
    meaning:
      'Help center sign-in (GET /sso/zendesk/login?return_to=…&brand_id=…): check return_to against the account and brands, sign a JWT with a random jti, answer a 200 page whose form posts it (field jwt) to /access/jwt, with its CSP.',
    start: zendeskStart,
    check: checkZendesk,
    answer: zendeskAnswer,
  },
  {
    key: 'discourse',
    label: 'Discourse',
    table: 'Discourse (DiscourseConnect)',
    what: 'Discourse DiscourseConnect flow (demo) vs GET /api/me on the same app',
    expect: 302,
    meaning:
      'Forum "Log in" (GET /sso/discourse/login?sso=…&sig=…): verify the HMAC-SHA256 sig, decode the nonce and return_sso_url, sign the user payload, 302 to the forum. One signed request reused under load (the middleware keeps no nonce state). No JWT.',
    start: discourseStart,
    check: checkDiscourse,
    answer: discourseAnswer,
  },
]

const EMAIL = USER.email

const attr = (value) => value.replaceAll('&amp;', '&')
const hrefsOf = (page) => [...page.matchAll(/href="([^"]+)"/g)].map((m) => attr(m[1]))
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const decodeJson = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

/** The start link of a redirect flow: the link to the app on its simulator's page. */
async function linkStart(demo, key) {
  const page = (await send(`${demo.simulators[key]}/`)).body
  const href = hrefsOf(page).find((h) => h.startsWith(`${demo.url}/sso/`))
  if (!href) throw new Error(`no start link to the app on the ${key} simulator's page`)
  return { path: href.slice(demo.url.length) }
}

/** A simulator's redirect to the app, as a browser gets it: `pathPrefix` on the app, and its cookie. */
async function redirectToApp(demo, key, url, pathPrefix) {
  const res = await send(url)
  const location = res.headers.location ?? ''
  if (res.status !== 302 || !location.startsWith(`${demo.url}${pathPrefix}?`)) {
    throw new Error(`${key}: the simulator answered ${res.status} ${location} for ${url}`)
  }
  const [cookie] = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0])
  return { path: location.slice(demo.url.length), cookie }
}

/**
 * Zendesk: the help center's "My requests" (a protected page) redirects a visitor without a
 * Zendesk session to the app's remote login URL with return_to and brand_id.
 */
async function zendeskStart(demo) {
  const sim = demo.simulators.zendesk
  const page = (await send(`${sim}/`)).body
  const href = hrefsOf(page).find((h) => h.startsWith(`${sim}/hc/requests/`))
  if (!href) throw new Error("no link to a protected page on the Zendesk simulator's help center")
  return redirectToApp(demo, 'zendesk', href, '/sso/zendesk/login')
}

/**
 * Discourse: the forum's "Log in" makes a nonce and 302s to the app with
 * `sso` = Base64 of `nonce=<hex>&return_sso_url=<forum>/session/sso_login` and `sig` = its
 * HMAC-SHA256 hex with the demo's secret (random per demo start, held by the app and the
 * simulator only, so the simulator signs it). Signed once, here, and reused for every request:
 * the middleware keeps no nonce state.
 */
async function discourseStart(demo) {
  const sim = demo.simulators.discourse
  const page = (await send(`${sim}/`)).body
  const href = hrefsOf(page).find((h) => h.startsWith(`${sim}/session/sso?`))
  if (!href) throw new Error('no "Log in" link on the Discourse simulator\'s page')
  const start = await redirectToApp(demo, 'discourse', href, '/sso/discourse/login')
  const query = new URL(start.path, demo.url).searchParams
  const sso = query.get('sso') ?? ''
  const sig = query.get('sig') ?? ''
  const payload = new URLSearchParams(Buffer.from(sso, 'base64').toString('utf8'))
  if (
    !/^[0-9a-f]{64}$/.test(sig) ||
    [...payload.keys()].join(',') !== 'nonce,return_sso_url' ||
    !/^[0-9a-f]{32}$/.test(payload.get('nonce') ?? '') ||
    payload.get('return_sso_url') !== `${sim}/session/sso_login`
  ) {
    throw new Error(`discourse: unexpected signed request ${start.path}`)
  }
  return { ...start, nonce: payload.get('nonce') }
}

/** Zendesk's answer must be the 200 form page: one POST form to /access/jwt, a JWT in `jwt`. */
function zendeskAnswer(demo, res) {
  const sim = demo.simulators.zendesk
  const forms = [...res.body.matchAll(/<form\b[^>]*>/g)]
  const action = attr(/\baction="([^"]+)"/.exec(forms[0]?.[0] ?? '')?.[1] ?? '')
  const fields = [...res.body.matchAll(/<input\b[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"/g)]
  const jwt = fields.length === 1 && fields[0][1] === 'jwt' ? fields[0][2] : ''
  if (
    res.status !== 200 ||
    !String(res.headers['content-type']).startsWith('text/html') ||
    forms.length !== 1 ||
    !/\bmethod="post"/i.test(forms[0][0]) ||
    !action.startsWith(`${sim}/access/jwt`) ||
    !JWT.test(jwt)
  ) {
    throw new Error(
      `zendesk: the app answered ${res.status}, not the form page: ${res.body.slice(0, 300)}`,
    )
  }
  const [header, claims] = jwt.split('.').slice(0, 2).map(decodeJson)
  if (header.alg !== 'HS256' || claims.email !== EMAIL || typeof claims.jti !== 'string') {
    throw new Error(`zendesk: unexpected token ${JSON.stringify({ header, claims })}`)
  }
  return { action, jwt }
}

/** Discourse's answer must be a 302 to the forum's /session/sso_login with sso and sig, echoing the nonce. */
function discourseAnswer(demo, res) {
  const location = res.headers.location ?? ''
  const back = `${demo.simulators.discourse}/session/sso_login?`
  const query = new URL(location, demo.url).searchParams
  const sso = query.get('sso') ?? ''
  const payload = new URLSearchParams(Buffer.from(sso, 'base64').toString('utf8'))
  if (
    res.status !== 302 ||
    !location.startsWith(back) ||
    !/^[0-9a-f]{64}$/.test(query.get('sig') ?? '') ||
    payload.get('nonce') !== demo.starts.discourse.nonce ||
    payload.get('email') !== EMAIL
  ) {
    throw new Error(`discourse: the app answered ${res.status} ${location}`)
  }
  return { location }
}

/** The simulator's page after a sign-in must say the user is signed in. */
function signedIn(key, landing) {
  if (!landing.body.includes('data-state="signed-in"')) {
    const code = /data-code="([^"]+)"/.exec(landing.body)?.[1]
    throw new Error(
      `${key}: the simulator did not sign the user in (${landing.status} ${code ?? ''})`,
    )
  }
}

/** Zendesk, followed through: the browser posts the form; Zendesk verifies the JWT, signs in. */
async function checkZendesk(demo) {
  const res = await send(demo.url + demo.starts.zendesk.path, { headers: { cookie: demo.cookie } })
  const { action, jwt } = zendeskAnswer(demo, res)
  const posted = await send(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ jwt }).toString(),
  })
  const location = posted.headers.location ?? ''
  const cookie = (posted.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ')
  if (posted.status !== 302 || !cookie) {
    throw new Error(`zendesk: /access/jwt answered ${posted.status} ${location}`)
  }
  signedIn('zendesk', await send(new URL(location, action).href, { headers: { cookie } }))
}

/** Discourse, followed through with the forum's session cookie: the nonce is its own. */
async function checkDiscourse(demo) {
  const { path, cookie } = demo.starts.discourse
  const res = await send(demo.url + path, { headers: { cookie: demo.cookie } })
  const { location } = discourseAnswer(demo, res)
  const back = await send(location, { headers: { cookie } })
  if (back.status !== 302 || !back.headers.location) {
    throw new Error(`discourse: /session/sso_login answered ${back.status}`)
  }
  signedIn(
    'discourse',
    await send(new URL(back.headers.location, location).href, { headers: { cookie } }),
  )
}

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
  for (const flow of FLOWS) {
    demo.starts[flow.key] = await (flow.start ?? ((d) => linkStart(d, flow.key)))(demo)
  }
  return demo
}

/** One redirect flow, followed to the simulator: the app must redirect, the simulator must sign the user in. */
async function checkFlow(demo, key) {
  const headers = { cookie: demo.cookie }
  const res = await send(demo.url + demo.starts[key].path, { headers })
  const location = res.headers.location
  if (res.status !== 302 || !location?.startsWith(demo.simulators[key])) {
    throw new Error(`${key}: the app answered ${res.status} ${location ?? ''}`)
  }
  // Follow the simulator's own redirects with its cookies, as a browser would (Bettermode
  // signs in at /api/auth/sso, sets a session cookie and redirects to the community page).
  const { response: landing } = await follow(location, { hops: 3 })
  signedIn(key, landing)
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
      expect: flow.expect ?? 302,
      async check(demo, contender) {
        await (flow.check ?? ((d) => checkFlow(d, flow.key)))(demo)
        contender.request.path = demo.starts[flow.key].path
      },
      // After the rounds, the same request still gets a success (the reused signed request too).
      ...(flow.answer && {
        async after(demo) {
          const res = await send(demo.url + demo.starts[flow.key].path, { headers })
          flow.answer(demo, res)
        },
      }),
    })),
  ]
  const runs = await runHttpGroup(
    'sign-in flows on the demo (Express 5 + session) against the simulators',
    { demo: () => startDemo(profileDir) },
    contenders,
    load,
  )
  const base = runs.me
  const lines = [
    "**Sign-in flows** on the demo (Express 5, express-session, every vendor mounted; simulators in the same process), logged in, against `GET /api/me` on the same app and session. Each answer is a 302 to the vendor, except Zendesk's: a 200 page whose form posts the JWT. Discourse's request is signed once, before the rounds, and reused:",
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
      `| ${flow.table ?? flow.label} | ${fmtInt(comparison.subject.rps)} | ${comparison.subject.p50} ms | ${comparison.subject.p99} ms | ${fmtRatio(comparison.ratio)} |`,
    )
    return {
      ...flow,
      what: flow.what ?? `${flow.label} redirect flow (demo) vs GET /api/me on the same app`,
      comparison,
    }
  })
  return { flows, markdown: lines.join('\n') }
}
