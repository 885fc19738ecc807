// The sign-in flows and SDK token endpoints, measured on the demo (examples/express: Express 5 +
// express-session, every vendor mounted) against the simulators it starts. Each browser flow's
// start is taken from its simulator, exactly as a browser would reach it (a link on its page; for
// Zendesk, Discourse, Canny and Metabase the redirect of a protected page or of "Log in"); before
// any load, one request per flow is followed through to the simulator, which must say the user is
// signed in, and each SDK token is handed to the simulator's SDK stand-in, which must accept it.
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
  // The second round's browser redirects (#14): each start is the simulator's own redirect (or
  // link) to the app, as in the demo's tests.
  {
    key: 'canny',
    label: 'Canny',
    meaning:
      "Board SSO redirect (GET /sso/canny/login?companyID=…&redirect=…): check companyID, the redirect against the allow-list, sign, 302 to Canny's /api/redirects/sso with ssoToken.",
    // The board, without a Canny session, 302s to the company's SSO redirect URL (the app).
    start: (demo) => redirectToApp(demo, 'canny', `${demo.simulators.canny}/`, '/sso/canny/login'),
    answer: (demo, res) => redirectAnswer(demo, 'canny', res, '/api/redirects/sso', 'ssoToken'),
  },
  {
    key: 'featurebase',
    label: 'Featurebase',
    meaning:
      'Portal "Log in" (GET /sso/featurebase/login?return_to=…): check return_to against the portal, sign, 302 to the portal\'s /api/v1/auth/access/jwt.',
    start: (demo) => linkStart(demo, 'featurebase', '/p/dark-mode?b=roadmap'),
    answer: (demo, res) =>
      redirectAnswer(demo, 'featurebase', res, '/api/v1/auth/access/jwt', 'jwt'),
  },
  {
    key: 'metabase',
    label: 'Metabase',
    meaning:
      "Full-app SSO (GET /sso/metabase/login?return_to=/dashboard/1): keep the relative return_to, sign, 302 to Metabase's /auth/sso with jwt.",
    // A dashboard without a Metabase session goes through /auth/sso, which 302s to the app.
    start: (demo) =>
      redirectToApp(
        demo,
        'metabase',
        `${demo.simulators.metabase}/auth/sso?return_to=%2Fdashboard%2F1`,
        '/sso/metabase/login',
      ),
    answer: (demo, res) => redirectAnswer(demo, 'metabase', res, '/auth/sso', 'jwt'),
  },
  // The second round's SDK token endpoints (one core route, sdkTokenRoute): a POST with the
  // session cookie and no Origin (served, as a server-side caller is), 200 JSON. Before the
  // rounds, the answer is handed to the simulator's SDK stand-in, which must accept it as the user.
  ...[
    ['intercom', 'Intercom', 'token', 'the Messenger JWT (user_id, email, name; 1 h)'],
    ['canny', 'Canny', 'token', "the widget's ssoToken"],
    ['featurebase', 'Featurebase', 'token', "the SDK's featurebaseJwt"],
    ['metabase', 'Metabase', 'jwt', "the embedding SDK's JWT (field jwt)"],
  ].map(([vendor, label, field, token]) => ({
    key: `${vendor}-token`,
    label: `${label} token`,
    table: `${label} SDK token (POST)`,
    what: `${label} SDK token endpoint (POST /sso/${vendor}/token, demo) vs GET /api/me on the same app`,
    method: 'POST',
    expect: 200,
    meaning: `POST /sso/${vendor}/token: same-origin check, user from the session, sign ${token}, answer { ${field}, expiresAt } with no-store.`,
    start: () => ({ path: `/sso/${vendor}/token` }),
    check: (demo) => checkSdkToken(demo, vendor, field),
    answer: (_demo, res) => sdkTokenAnswer(vendor, field, res),
  })),
]

const EMAIL = USER.email

const attr = (value) => value.replaceAll('&amp;', '&')
const hrefsOf = (page) => [...page.matchAll(/href="([^"]+)"/g)].map((m) => attr(m[1]))
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const decodeJson = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

/** The start link of a redirect flow: the link to the app on a page of its simulator. */
async function linkStart(demo, key, pagePath = '/') {
  const page = (await send(`${demo.simulators[key]}${pagePath}`)).body
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

/** A redirect flow's answer: a 302 to the simulator's `path` with a JWT for the user in `param`. */
function redirectAnswer(demo, key, res, path, param) {
  const location = new URL(res.headers.location ?? '/', demo.url)
  const token = location.searchParams.get(param) ?? ''
  if (
    res.status !== 302 ||
    location.origin !== demo.simulators[key] ||
    location.pathname !== path ||
    !JWT.test(token) ||
    decodeJson(token.split('.')[1]).email !== EMAIL
  ) {
    // Without the query: the token is not printed.
    throw new Error(`${key}: the app answered ${res.status} ${location.origin}${location.pathname}`)
  }
  return { location: location.href }
}

/** An SDK token endpoint's answer: 200, no-store, `{ <field>, expiresAt }` with a JWT for the user. */
function sdkTokenAnswer(vendor, field, res) {
  let body
  try {
    body = JSON.parse(res.body)
  } catch {
    body = undefined
  }
  const value = body?.[field]
  if (
    res.status !== 200 ||
    res.headers['cache-control'] !== 'no-store' ||
    typeof value !== 'string' ||
    !JWT.test(value) ||
    Object.keys(body).sort().join(',') !== [field, 'expiresAt'].sort().join(',')
  ) {
    throw new Error(
      `${vendor}: the token endpoint answered ${res.status} ${res.body.slice(0, 200)}`,
    )
  }
  const [header, claims] = value.split('.').slice(0, 2).map(decodeJson)
  if (header.alg !== 'HS256' || claims.email !== EMAIL || body.expiresAt !== claims.exp) {
    throw new Error(`${vendor}: unexpected token ${JSON.stringify({ header, claims })}`)
  }
  return value
}

/**
 * Each SDK stand-in verifies the token as its vendor does and names the user. The app ids are
 * the demo's (examples/express/src/demo.ts).
 */
const SDK_CHECKS = {
  intercom: (sim, token) =>
    send(`${sim}/messenger/web/ping`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'demo-app', intercom_user_jwt: token }),
    }).then((r) => r.status === 200 && JSON.parse(r.body).user?.email === EMAIL),
  canny: (sim, token) =>
    send(
      `${sim}/widget?${new URLSearchParams({ boardToken: 'board-demo', basePath: '/canny', ssoToken: token })}`,
    ).then((r) => r.status === 200 && r.body.includes('data-state="signed-in"')),
  featurebase: (sim, token) =>
    send(`${sim}/api/v1/sdk/boot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: 'demo-feedback', featurebaseJwt: token }),
    }).then((r) => r.status === 200 && JSON.parse(r.body).user?.email === EMAIL),
  metabase: (sim, token) =>
    send(`${sim}/auth/sso?${new URLSearchParams({ jwt: token, token: 'true' })}`).then(
      async (r) => {
        if (r.status !== 200) return false
        const me = await send(`${sim}/api/user/current`, {
          headers: { 'x-metabase-session': JSON.parse(r.body).id },
        })
        return me.status === 200 && JSON.parse(me.body).email === EMAIL
      },
    ),
}

async function checkSdkToken(demo, vendor, field) {
  const res = await send(`${demo.url}/sso/${vendor}/token`, {
    method: 'POST',
    headers: { cookie: demo.cookie },
  })
  const token = sdkTokenAnswer(vendor, field, res)
  if (!(await SDK_CHECKS[vendor](demo.simulators[vendor], token))) {
    throw new Error(`${vendor}: the simulator's SDK did not accept the token as ${EMAIL}`)
  }
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
      request: { path: '', headers, ...(flow.method && { method: flow.method }) },
      expect: flow.expect ?? 302,
      async check(demo, contender) {
        await (flow.check ?? ((d) => checkFlow(d, flow.key)))(demo)
        contender.request.path = demo.starts[flow.key].path
      },
      // After the rounds, the same request still gets a success (the reused signed request too).
      ...(flow.answer && {
        async after(demo) {
          const res = await send(demo.url + demo.starts[flow.key].path, {
            headers,
            method: flow.method,
          })
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
    "**Sign-in flows** on the demo (Express 5, express-session, every vendor mounted; simulators in the same process), logged in, against `GET /api/me` on the same app and session. Each browser flow's answer is a 302 to the vendor, except Zendesk's: a 200 page whose form posts the JWT. Discourse's request is signed once, before the rounds, and reused. The SDK token rows are `POST /sso/<vendor>/token` with the session cookie, answered 200 with JSON:",
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
