// The demo's login takes any email with no password. With real vendor credentials loaded it must
// refuse to start unless DEMO_LOGIN_WITHOUT_PASSWORD_I_UNDERSTAND=1 says that login is wanted,
// and then say so on the login page; with simulators only nothing changes.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DEMO_LOGIN_FLAG, realVendorsFromEnv } from '../src/config'
import { startDemo, UnsafeDemoLoginError } from '../src/demo'

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url))
const KOMO_SECRET = 'komo-real-secret-0123456789abcdef-not-for-logs'
/** Real Komo credentials as a person would set them (see .env.example). */
const REAL_KOMO = { KOMO_SSO_SECRET: KOMO_SECRET, KOMO_HUB_HOST: 'acme.komo.site' }
const WARNING = 'Warning: real vendors, no password.'

/** The environment without any vendor variable or the flag, whatever the test runner has. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (
      !/^(KOMO|KUSTOMER|KONNEC|COMM100|BETTERMODE|ZENDESK|DISCOURSE|INTERCOM|CANNY|FEATUREBASE|METABASE)_/.test(
        key,
      ) &&
      key !== DEMO_LOGIN_FLAG
    )
      env[key] = value
  }
  return { ...env, PORT: '0', SIMULATOR_PORT_BASE: '0', NODE_ENV: 'development', ...extra }
}

interface Run {
  child: ChildProcess
  stdout: string
  stderr: string
  exit: Promise<number | null>
}

/** `src/server.ts`, as `pnpm demo` runs it (through tsx; the packages from their build). */
function runServer(extra: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: EXAMPLE,
    env: cleanEnv(extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  }
  child.stdout?.on('data', (chunk) => {
    run.stdout += String(chunk)
  })
  child.stderr?.on('data', (chunk) => {
    run.stderr += String(chunk)
  })
  return run
}

/** Resolves with the demo's URL once the server prints it; rejects if it exits first. */
async function demoUrl(run: Run, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const url = /@sso demo on (http:\/\/\S+)/.exec(run.stdout)?.[1]
    if (url) return url
    if (run.child.exitCode !== null) {
      throw new Error(`the demo exited (${run.child.exitCode}): ${run.stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the demo did not start in time: ${run.stdout}${run.stderr}`)
}

const running: Run[] = []
afterEach(async () => {
  vi.unstubAllEnvs()
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null && run.child.pid) {
      process.kill(run.child.pid, 'SIGTERM')
      await run.exit
    }
  }
})

describe('the demo with real vendor credentials', () => {
  it('refuses to start without the flag: the message names the vendor, its variables and the flag, never the secret', async () => {
    const run = runServer(REAL_KOMO)
    running.push(run)
    expect(await run.exit).toBe(1)
    expect(run.stderr).toContain('Refusing to start')
    expect(run.stderr).toContain('Komo (KOMO_SSO_SECRET + KOMO_HUB_HOST)')
    expect(run.stderr).toContain(`${DEMO_LOGIN_FLAG}=1`)
    expect(run.stderr).toContain('no password')
    expect(run.stderr).not.toContain(KOMO_SECRET)
    // A message, not a crash: no stack trace, and nothing was served.
    expect(run.stderr).not.toMatch(/\n\s+at /)
    expect(run.stdout).not.toContain('@sso demo on')
  })

  it('refuses every kind of real vendor, and any value of the flag but 1', async () => {
    const env = {
      KUSTOMER_KB_SECRET: 'k'.repeat(40),
      KUSTOMER_PORTAL_URL: 'https://acme.kustomer.help/',
      KONNEC_API_BASE_URL: 'https://api.konnec.to',
      KONNEC_ORG_ID: 'acme',
      KONNEC_API_KEY: 'konnec-api-key-not-for-logs',
    }
    for (const flag of [undefined, '', '0', 'true', 'yes']) {
      vi.stubEnv(DEMO_LOGIN_FLAG, flag)
      const error = await startDemo({ port: 0, real: realVendorsFromEnv(env) }).catch(
        (e: unknown) => e,
      )
      expect(error, `flag ${String(flag)}`).toBeInstanceOf(UnsafeDemoLoginError)
      const message = (error as Error).message
      expect(message).toContain('Kustomer (KUSTOMER_KB_SECRET + KUSTOMER_PORTAL_URL)')
      expect(message).toContain('Konnec (KONNEC_API_BASE_URL + KONNEC_ORG_ID + KONNEC_API_KEY)')
      expect(message).toContain(`${DEMO_LOGIN_FLAG}=1`)
      expect(message).not.toContain('konnec-api-key-not-for-logs')
    }
  })

  it(`starts with ${DEMO_LOGIN_FLAG}=1 and warns on the login page (and the console)`, async () => {
    const run = runServer({ ...REAL_KOMO, [DEMO_LOGIN_FLAG]: '1' })
    running.push(run)
    const url = await demoUrl(run)
    const login = await fetch(`${url}/login?returnTo=%2Fkomo`)
    expect(login.status).toBe(200)
    const html = await login.text()
    expect(html).toContain(WARNING)
    expect(html).toContain('data-demo-warning')
    expect(html).toMatch(/accepts any email without a password, and Komo is the real service/)
    expect(html).toContain(`${DEMO_LOGIN_FLAG}=1`)
    expect(html).not.toContain(KOMO_SECRET)
    // The front page says it too, and the console.
    expect(await (await fetch(url)).text()).toContain(WARNING)
    expect(run.stderr).toContain('WARNING: real vendors (Komo)')
    // Komo is real: no Komo simulator was started, the other four were.
    expect(run.stdout).not.toContain('komo simulator')
    expect(run.stdout).toContain('kustomer simulator')
  })
})

describe('Zendesk and Discourse with real credentials', () => {
  const ZENDESK = {
    ZENDESK_SUBDOMAIN: 'acme',
    ZENDESK_JWT_SECRET: 'zendesk-end-user-secret-0123456789abcdef',
    ZENDESK_AGENT_JWT_SECRET: 'zendesk-agent-secret-0123456789abcdef-01',
    ZENDESK_BRAND_HOSTS: 'help.acme.com',
  }
  const DISCOURSE = {
    DISCOURSE_CONNECT_SECRET: 'discourse-connect-secret-0123456789abcdef',
    DISCOURSE_URL: 'https://forum.acme.com',
  }

  it('are refused without the flag, named with their variables', async () => {
    const error = await startDemo({
      port: 0,
      real: realVendorsFromEnv({ ...ZENDESK, ...DISCOURSE }),
      demoLoginWithRealVendors: false,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsafeDemoLoginError)
    const message = (error as Error).message
    expect(message).toContain('Zendesk (ZENDESK_SUBDOMAIN + ZENDESK_JWT_SECRET)')
    expect(message).toContain('Discourse (DISCOURSE_CONNECT_SECRET + DISCOURSE_URL)')
    expect(message).not.toContain(ZENDESK.ZENDESK_JWT_SECRET)
    expect(message).not.toContain(DISCOURSE.DISCOURSE_CONNECT_SECRET)
  })

  it('point the routes and links at the real services, and start no simulator for them', async () => {
    const demo = await startDemo({
      port: 0,
      real: realVendorsFromEnv({ ...ZENDESK, ...DISCOURSE }),
      demoLoginWithRealVendors: true,
      onEvent: () => {},
    })
    try {
      expect(demo.realVendors).toEqual(['Zendesk', 'Discourse'])
      expect(demo.simulators.zendesk).toBeUndefined()
      expect(demo.simulators.discourse).toBeUndefined()
      expect(demo.simulators.komo).toBeDefined()
      const home = await (await fetch(demo.url)).text()
      expect(home).toContain('href="https://acme.zendesk.com/hc/requests"')
      expect(home).toContain('href="https://acme.zendesk.com/agent"')
      expect(home).toContain('href="https://forum.acme.com"')
      // Signed in, the remote login URL answers the form that posts to the real account.
      const login = await fetch(`${demo.url}/login`, {
        method: 'POST',
        body: new URLSearchParams({ email: 'ada@example.com', name: 'Ada', returnTo: '/' }),
        redirect: 'manual',
      })
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
      for (const route of ['zendesk', 'zendesk-agents']) {
        const form = await fetch(
          `${demo.url}/sso/${route}/login?return_to=${encodeURIComponent('https://help.acme.com/hc')}`,
          { headers: { cookie } },
        )
        expect(form.status, route).toBe(200)
        const csp = form.headers.get('content-security-policy') ?? ''
        expect(csp).toContain('form-action https://acme.zendesk.com https://help.acme.com')
        const html = await form.text()
        expect(html).toContain(
          'action="https://acme.zendesk.com/access/jwt?return_to=https%3A%2F%2Fhelp.acme.com%2Fhc"',
        )
      }
    } finally {
      await demo.close()
    }
  })

  it('without the agents secret, the agents route and link are not there', async () => {
    const { ZENDESK_AGENT_JWT_SECRET: _agents, ...endUsersOnly } = ZENDESK
    const demo = await startDemo({
      port: 0,
      real: realVendorsFromEnv(endUsersOnly),
      demoLoginWithRealVendors: true,
      onEvent: () => {},
    })
    try {
      const home = await (await fetch(demo.url)).text()
      expect(home).toContain('href="https://acme.zendesk.com/hc/requests"')
      expect(home).not.toContain('Zendesk agents')
      const agents = await fetch(`${demo.url}/sso/zendesk-agents/login`, { redirect: 'manual' })
      expect(agents.status).toBe(404)
      // Discourse has no credentials here: it stays simulated.
      expect(demo.simulators.discourse).toBeDefined()
    } finally {
      await demo.close()
    }
  })
})

describe('Intercom with real credentials', () => {
  const INTERCOM = {
    INTERCOM_MESSENGER_SECRET: 'intercom-messenger-secret-0123456789abcdef',
    INTERCOM_APP_ID: 'abc12xyz',
  }

  it('is refused without the flag, named with its variables and never its secret', async () => {
    const error = await startDemo({
      port: 0,
      real: realVendorsFromEnv(INTERCOM),
      demoLoginWithRealVendors: false,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsafeDemoLoginError)
    const message = (error as Error).message
    expect(message).toContain('Intercom (INTERCOM_MESSENGER_SECRET + INTERCOM_APP_ID)')
    expect(message).not.toContain(INTERCOM.INTERCOM_MESSENGER_SECRET)
  })

  it('loads the real Messenger under a CSP that names Intercom’s hosts, and starts no simulator for it', async () => {
    const demo = await startDemo({
      port: 0,
      real: realVendorsFromEnv(INTERCOM),
      demoLoginWithRealVendors: true,
      onEvent: () => {},
    })
    try {
      expect(demo.realVendors).toEqual(['Intercom'])
      expect(demo.simulators.intercom).toBeUndefined()
      const page = await fetch(`${demo.url}/intercom`)
      const csp = page.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("script-src 'self' https://app.intercom.io https://widget.intercom.io")
      expect(csp).toContain("connect-src 'self' https://*.intercom.io wss://*.intercom.io")
      expect(await page.text()).toContain(
        'data-widget="https://widget.intercom.io/widget/abc12xyz"',
      )
    } finally {
      await demo.close()
    }
  })
})

describe('the demo with simulators only', () => {
  it('starts without the flag, and no page carries the warning', async () => {
    vi.stubEnv(DEMO_LOGIN_FLAG, undefined)
    const demo = await startDemo({ port: 0, real: realVendorsFromEnv({}), onEvent: () => {} })
    try {
      expect(demo.realVendors).toEqual([])
      expect(Object.keys(demo.simulators).sort()).toEqual(
        [
          'bettermode',
          'comm100',
          'komo',
          'konnec',
          'kustomer',
          'zendesk',
          'discourse',
          'intercom',
          'featurebase',
          'metabase',
          'canny',
        ].sort(),
      )
      for (const path of ['/login?returnTo=%2F', '/']) {
        const html = await (await fetch(`${demo.url}${path}`)).text()
        expect(html).not.toContain(WARNING)
        expect(html).not.toContain('data-demo-warning')
      }
    } finally {
      await demo.close()
    }
  })

  it('the flag changes nothing either', async () => {
    const run = runServer({ [DEMO_LOGIN_FLAG]: '1' })
    running.push(run)
    const url = await demoUrl(run)
    const html = await (await fetch(`${url}/login?returnTo=%2F`)).text()
    expect(html).toContain('Log in to the demo app')
    expect(html).not.toContain(WARNING)
    expect(run.stderr).not.toContain('WARNING')
    expect(run.stdout).toMatch(/komo simulator on http:\/\/127\.0\.0\.1:\d+/)
  })
})

describe('Featurebase with real credentials', () => {
  const FEATUREBASE = {
    FEATUREBASE_JWT_SECRET: 'featurebase-real-secret-0123456789abcdef',
    FEATUREBASE_PORTAL_URL: 'https://acme.featurebase.app',
    FEATUREBASE_APP_ID: 'acme',
    FEATUREBASE_ALLOWED_HOSTS: 'feedback.acme.com',
  }

  it('is refused without the flag, named with its variables', async () => {
    const error = await startDemo({
      port: 0,
      real: realVendorsFromEnv(FEATUREBASE),
      demoLoginWithRealVendors: false,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsafeDemoLoginError)
    const message = (error as Error).message
    expect(message).toContain(
      'Featurebase (FEATUREBASE_JWT_SECRET + FEATUREBASE_PORTAL_URL + FEATUREBASE_APP_ID)',
    )
    expect(message).not.toContain(FEATUREBASE.FEATUREBASE_JWT_SECRET)
  })

  it('points the route, the link and the SDK page at the real portal, and starts no simulator for it', async () => {
    const demo = await startDemo({
      port: 0,
      real: realVendorsFromEnv(FEATUREBASE),
      demoLoginWithRealVendors: true,
      onEvent: () => {},
    })
    try {
      expect(demo.realVendors).toEqual(['Featurebase'])
      expect(demo.simulators.featurebase).toBeUndefined()
      expect(await (await fetch(demo.url)).text()).toContain('href="https://acme.featurebase.app"')
      const page = await fetch(`${demo.url}/featurebase`)
      expect(page.headers.get('content-security-policy')).toContain(
        "script-src 'self' https://do.featurebase.app",
      )
      expect(await page.text()).toContain('data-sdk="https://do.featurebase.app/js/sdk.js"')
      const login = await fetch(`${demo.url}/login`, {
        method: 'POST',
        body: new URLSearchParams({ email: 'ada@example.com', name: 'Ada', returnTo: '/' }),
        redirect: 'manual',
      })
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
      const sso = await fetch(
        `${demo.url}/sso/featurebase/login?return_to=${encodeURIComponent('https://feedback.acme.com/p/1')}`,
        { headers: { cookie }, redirect: 'manual' },
      )
      const location = new URL(sso.headers.get('location') ?? '')
      expect(`${location.origin}${location.pathname}`).toBe(
        'https://acme.featurebase.app/api/v1/auth/access/jwt',
      )
      expect(location.searchParams.get('return_to')).toBe('https://feedback.acme.com/p/1')
    } finally {
      await demo.close()
    }
  })
})

describe('Metabase with real credentials', () => {
  const METABASE = {
    METABASE_JWT_SECRET: 'metabase-jwt-signing-key-0123456789abcdef',
    METABASE_URL: 'https://metabase.acme.com',
  }

  it('is refused without the flag, named with its variables', async () => {
    const error = await startDemo({
      port: 0,
      real: realVendorsFromEnv(METABASE),
      demoLoginWithRealVendors: false,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsafeDemoLoginError)
    const message = (error as Error).message
    expect(message).toContain('Metabase (METABASE_JWT_SECRET + METABASE_URL)')
    expect(message).not.toContain(METABASE.METABASE_JWT_SECRET)
  })

  it('sends the token to the real instance, and mounts no SDK page (that SDK is a React package)', async () => {
    const demo = await startDemo({
      port: 0,
      real: realVendorsFromEnv(METABASE),
      demoLoginWithRealVendors: true,
      onEvent: () => {},
    })
    try {
      expect(demo.realVendors).toEqual(['Metabase'])
      expect(demo.simulators.metabase).toBeUndefined()
      const home = await (await fetch(demo.url)).text()
      expect(home).toContain('href="https://metabase.acme.com/"')
      expect(home).not.toContain('Metabase SDK')
      expect((await fetch(`${demo.url}/metabase`)).status).toBe(404)
      const login = await fetch(`${demo.url}/login`, {
        method: 'POST',
        body: new URLSearchParams({ email: 'ada@example.com', name: 'Ada', returnTo: '/' }),
        redirect: 'manual',
      })
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
      const sso = await fetch(`${demo.url}/sso/metabase/login?return_to=%2Fdashboard%2F3`, {
        headers: { cookie },
        redirect: 'manual',
      })
      const location = new URL(sso.headers.get('location') ?? '')
      expect(`${location.origin}${location.pathname}`).toBe('https://metabase.acme.com/auth/sso')
      expect(location.searchParams.get('return_to')).toBe('/dashboard/3')
    } finally {
      await demo.close()
    }
  })
})

describe('Canny with real credentials', () => {
  const CANNY = {
    CANNY_SSO_KEY: 'canny-private-sso-key-0123456789abcdef-not-for-logs',
    CANNY_COMPANY_ID: '5f1c2e9a8b7d6c5e',
    CANNY_BOARD_URL: 'https://acme.canny.io/feature-requests',
    CANNY_BOARD_TOKEN: 'board-token-1',
  }

  it('is refused without the flag, named with its variables and never its key', async () => {
    const error = await startDemo({
      port: 0,
      real: realVendorsFromEnv(CANNY),
      demoLoginWithRealVendors: false,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsafeDemoLoginError)
    const message = (error as Error).message
    expect(message).toContain('Canny (CANNY_SSO_KEY + CANNY_COMPANY_ID + CANNY_BOARD_URL)')
    expect(message).not.toContain(CANNY.CANNY_SSO_KEY)
  })

  it('sends the token to canny.io, redirects only to the board’s host, and loads the real SDK', async () => {
    const demo = await startDemo({
      port: 0,
      real: realVendorsFromEnv(CANNY),
      demoLoginWithRealVendors: true,
      onEvent: () => {},
    })
    try {
      expect(demo.realVendors).toEqual(['Canny'])
      expect(demo.simulators.canny).toBeUndefined()
      const home = await (await fetch(demo.url)).text()
      expect(home).toContain('href="https://acme.canny.io/feature-requests"')
      const login = await fetch(`${demo.url}/login`, {
        method: 'POST',
        body: new URLSearchParams({ email: 'ada@example.com', name: 'Ada', returnTo: '/' }),
        redirect: 'manual',
      })
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
      const query = (redirect: string) =>
        new URLSearchParams({ companyID: CANNY.CANNY_COMPANY_ID, redirect }).toString()
      const ok = await fetch(
        `${demo.url}/sso/canny/login?${query('https://acme.canny.io/feature-requests/p/x')}`,
        { headers: { cookie }, redirect: 'manual' },
      )
      expect(ok.status).toBe(302)
      const location = new URL(ok.headers.get('location') ?? '')
      expect(`${location.origin}${location.pathname}`).toBe('https://canny.io/api/redirects/sso')
      const other = await fetch(`${demo.url}/sso/canny/login?${query('https://other.canny.io/')}`, {
        headers: { cookie },
        redirect: 'manual',
      })
      expect(other.status).toBe(400)
      const page = await fetch(`${demo.url}/canny`, { headers: { cookie } })
      expect(await page.text()).toContain('data-sdk="https://sdk.canny.io/sdk.js"')
      expect(page.headers.get('content-security-policy')).toContain('frame-src https://canny.io')
    } finally {
      await demo.close()
    }
  })
})
