import { createHash, randomBytes } from 'node:crypto'
import {
  bettermode,
  canny,
  comm100,
  discourse,
  intercom,
  featurebase,
  isSafeRelativePath,
  komo,
  konnec,
  kustomer,
  metabase,
  type SsoEvent,
  ssoMiddleware,
  type Vendor,
  zendesk,
} from '@sso/middleware'
import express, { type Request } from 'express'
import session from 'express-session'
import {
  CANNY_PAGE_SCRIPT,
  cannyPage,
  type DemoUser,
  FEATUREBASE_BOOT_SCRIPT,
  featurebasePage,
  homePage,
  INTERCOM_PAGE_SCRIPT,
  intercomPage,
  komoPage,
  loginPage,
  METABASE_SDK_CONFIG,
  metabasePage,
  type TenantLink,
  type VendorLink,
} from './pages'
import { type DemoTenant, TENANT_BASE_PATH, TenantTable, tenantResolver } from './tenants'

declare module 'express-session' {
  interface SessionData {
    user?: DemoUser
  }
}

/** Everything the app needs to know of each vendor: its middleware config and where its flow starts. */
export interface DemoVendors {
  komo: { secret: string; hubOrigin: string; issuer?: string }
  kustomer: { secret: string; allowedHosts: string[]; startUrl: string }
  konnec: { apiBaseUrl: string; orgId: string; apiKey: string; appUrl?: string; startUrl: string }
  comm100: { secret: string; allowedHosts: string[]; startUrl: string }
  bettermode: { secret: string; communityUrl: string; startUrl: string }
  /**
   * Zendesk: the end users' SSO configuration (`/sso/zendesk`) and, with `agents`, the team
   * members' one with its own secret (`/sso/zendesk-agents`). `accountUrl` points the form at the
   * simulator; without it the form posts to `https://{subdomain}.zendesk.com`.
   */
  zendesk: {
    subdomain: string
    secret: string
    accountUrl?: string
    brandHosts?: string[]
    startUrl: string
    agents?: { secret: string; startUrl: string }
  }
  discourse: { secret: string; discourseUrl: string; startUrl: string }
  /** Intercom: the Messenger API secret, the app id, and where the Messenger script comes from. */
  intercom: { secret: string; appId: string; widgetOrigin: string }
  /**
   * Featurebase: the portal (its "SSO URL" is `/sso/featurebase/login`) and the SDK the demo's
   * `/featurebase` page boots with a token from `/sso/featurebase/token`.
   */
  featurebase: {
    secret: string
    portalUrl: string
    allowedHosts?: string[]
    /** The SDK script's URL and the organisation it boots (`appId`). */
    sdkUrl: string
    appId: string
    startUrl: string
  }
  /**
   * Metabase: `startUrl` is a page of the instance (the full app). With `sdkScript` (the
   * simulator's SDK stand-in), `/metabase` embeds a dashboard through it; the real SDK is a React
   * package, so against a real instance that page is not mounted.
   */
  metabase: { secret: string; metabaseUrl: string; startUrl: string; sdkScript?: string }
  /**
   * Canny: the SSO redirect (`/sso/canny/login`) and the widget's token (`/sso/canny/token`).
   * `cannyUrl` points the redirect at the simulator; without it the token goes to canny.io.
   */
  canny: {
    secret: string
    companyId: string
    allowedHosts: string[]
    cannyUrl?: string
    startUrl: string
    boardToken: string
    sdkUrl: string
  }
}

export interface DemoAppOptions {
  vendors: DemoVendors
  /**
   * The vendors that point at their real service. When any do, the login page and the front
   * page warn that this password-less login signs anyone in to them. (default: none)
   */
  realVendors?: string[]
  /**
   * The tenant table: each tenant's own Bettermode community, mounted at `/t/<id>/sso`.
   * (default: none, and no tenants' mount)
   */
  tenants?: readonly DemoTenant[]
  /** Signs the session cookie. (default: random per start) */
  sessionSecret?: string
  /** Called when a demo user logs in (the demo registers them with simulators that need it). */
  onLogin?: (user: DemoUser) => void
  /** Audit events from the middleware. (default: printed, they hold no secrets) */
  onEvent?: (event: SsoEvent) => void
}

/** The demo user id: stable per email, never the email itself (ids go into events and logs). */
export function userIdFor(email: string): string {
  return `u_${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 16)}`
}

/**
 * The demo: a real Express app with a real session, every vendor mounted under /sso, and the
 * tenants (each with its own Bettermode community) on a second mount, under /t/<tenant>/sso.
 */
export function createDemoApp(options: DemoAppOptions): express.Express {
  const v = options.vendors
  const realVendors = options.realVendors ?? []
  const vendors: Vendor<Request>[] = [
    komo({ secret: v.komo.secret, issuer: v.komo.issuer }),
    kustomer({ secret: v.kustomer.secret, allowedHosts: v.kustomer.allowedHosts }),
    konnec({
      apiBaseUrl: v.konnec.apiBaseUrl,
      orgId: v.konnec.orgId,
      apiKey: v.konnec.apiKey,
      appUrl: v.konnec.appUrl,
      // Konnec links by username; the demo uses the email so the vendor page can say who it is.
      username: (user) => user.email,
    }),
    comm100({ secret: v.comm100.secret, allowedHosts: v.comm100.allowedHosts }),
    bettermode({ secret: v.bettermode.secret, communityUrl: v.bettermode.communityUrl }),
    // Zendesk: one adapter per SSO configuration, each with its own secret and routes.
    zendesk({
      subdomain: v.zendesk.subdomain,
      secret: v.zendesk.secret,
      accountUrl: v.zendesk.accountUrl,
      brandHosts: v.zendesk.brandHosts,
    }),
    ...(v.zendesk.agents
      ? [
          zendesk({
            id: 'zendesk-agents',
            audience: 'team',
            subdomain: v.zendesk.subdomain,
            secret: v.zendesk.agents.secret,
            accountUrl: v.zendesk.accountUrl,
            brandHosts: v.zendesk.brandHosts,
          }),
        ]
      : []),
    discourse({ secret: v.discourse.secret, discourseUrl: v.discourse.discourseUrl }),
    intercom({ secret: v.intercom.secret }),
    featurebase({
      secret: v.featurebase.secret,
      portalUrl: v.featurebase.portalUrl,
      allowedHosts: v.featurebase.allowedHosts,
    }),
    metabase({ secret: v.metabase.secret, metabaseUrl: v.metabase.metabaseUrl }),
    canny({
      secret: v.canny.secret,
      companyId: v.canny.companyId,
      allowedHosts: v.canny.allowedHosts,
      cannyUrl: v.canny.cannyUrl,
    }),
  ] as Vendor<Request>[]

  const links: VendorLink[] = [
    { name: 'Komo', href: '/komo', note: 'an embedded card that asks this app for a token' },
    {
      name: 'Kustomer',
      href: v.kustomer.startUrl,
      note: "the knowledge-base portal's Login button",
    },
    {
      name: 'Konnec',
      href: v.konnec.startUrl,
      note: 'Konnec sends you to the Auth Redirect URL. Konnec never receives an email: it knows users by username, and this demo uses your email as the username, which is why the Konnec page shows it.',
    },
    { name: 'Comm100', href: v.comm100.startUrl, note: "the agent console's SSO login" },
    { name: 'Bettermode', href: v.bettermode.startUrl, note: "the community's Log in button" },
    {
      name: 'Zendesk',
      href: v.zendesk.startUrl,
      note: "the help center's My requests: the app answers with a form your browser posts to Zendesk (the token never travels in a URL)",
    },
    ...(v.zendesk.agents
      ? [
          {
            name: 'Zendesk agents',
            href: v.zendesk.agents.startUrl,
            note: "the agent workspace: the team members' own SSO configuration and secret, at /sso/zendesk-agents",
          },
        ]
      : []),
    {
      name: 'Discourse',
      href: v.discourse.startUrl,
      note: "the forum's Log in button (DiscourseConnect: the forum signs a request, the app signs the answer)",
    },
    {
      name: 'Intercom',
      href: '/intercom',
      note: 'the Messenger, booted with a JWT this app signs (your user id and email are never in the page)',
    },
    {
      name: 'Featurebase',
      href: v.featurebase.startUrl,
      note: "the feedback portal's Log in button (its SSO URL, /sso/featurebase/login)",
    },
    {
      name: 'Featurebase widget',
      href: '/featurebase',
      note: "Featurebase's SDK on a page of this app, booted with a token from /sso/featurebase/token",
    },
    {
      name: 'Metabase',
      href: v.metabase.startUrl,
      note: 'a dashboard: Metabase sends you through its /auth/sso to this app, and back with a JWT',
    },
    ...(v.metabase.sdkScript
      ? [
          {
            name: 'Metabase SDK',
            href: '/metabase',
            note: "an embedded dashboard whose SDK asks this app's POST /sso/metabase/token for a JWT",
          },
        ]
      : []),
    {
      name: 'Canny',
      href: v.canny.startUrl,
      note: "the feedback board: Canny's SSO redirect sends you here to log in, then the token goes to Canny",
    },
    {
      name: 'Canny widget',
      href: '/canny',
      note: 'the board embedded in this app: the page asks /sso/canny/token for a token and hands it to the widget',
    },
  ]

  const app = express()
  app.disable('x-powered-by')
  app.use(
    session({
      secret: options.sessionSecret ?? randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
      name: 'demo.sid',
    }),
  )
  // The same app, the same users and session for both mounts; only the vendors differ.
  const shared = {
    getUser: (req: Request) => {
      const user = req.session.user
      return user ? { id: user.id, email: user.email, name: user.name, emailVerified: true } : null
    },
    loginUrl: '/login',
    onLogout: (req: Request) =>
      new Promise<void>((resolve) => {
        req.session.destroy(() => resolve())
      }),
    onEvent: options.onEvent ?? ((event: SsoEvent) => console.log('[sso]', JSON.stringify(event))),
  }
  // The inspector at /sso/_inspect: off under NODE_ENV=production and loopback clients only,
  // whatever this says; the demo binds 127.0.0.1.
  app.use(ssoMiddleware<Request>({ ...shared, vendors, inspector: true }))
  // Many tenants on one mount: the path names the tenant, the resolver finds its vendors in the
  // tenant table (once; the middleware caches them). An unknown tenant is a 404 page.
  const tenantTable = new TenantTable(options.tenants ?? [])
  if (options.tenants) {
    app.use(
      ssoMiddleware<Request>({
        ...shared,
        basePath: TENANT_BASE_PATH,
        tenants: { resolve: tenantResolver(tenantTable) },
      }),
    )
  }
  const tenantLinks: TenantLink[] = tenantTable
    .list()
    .map((t) => ({ id: t.id, name: t.name, href: t.startUrl }))

  app.get('/', (req, res) => {
    res.type('html').send(homePage(req.session.user ?? null, links, realVendors, tenantLinks))
  })
  app.get('/komo', (req, res) => {
    res.type('html').send(komoPage(req.session.user ?? null, v.komo.hubOrigin, '/sso/komo/token'))
  })
  const intercomCsp = intercomPagePolicy(v.intercom.widgetOrigin)
  app.get('/intercom', (req, res) => {
    res
      .set('Content-Security-Policy', intercomCsp)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(
        intercomPage(req.session.user ?? null, {
          appId: v.intercom.appId,
          widgetUrl: `${v.intercom.widgetOrigin}/widget/${encodeURIComponent(v.intercom.appId)}`,
          tokenUrl: '/sso/intercom/token',
        }),
      )
  })
  app.get('/intercom.js', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('text/javascript').send(INTERCOM_PAGE_SCRIPT)
  })
  // The SDK page allows scripts and fetches from the app and the SDK's origin only.
  const featurebaseOrigin = new URL(v.featurebase.sdkUrl).origin
  const featurebaseCsp = [
    "default-src 'none'",
    `script-src 'self' ${featurebaseOrigin}`,
    `connect-src 'self' ${featurebaseOrigin}`,
    `frame-src ${featurebaseOrigin}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' https: data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
  app.get('/featurebase', (req, res) => {
    res
      .set('Content-Security-Policy', featurebaseCsp)
      .type('html')
      .send(
        featurebasePage(
          req.session.user ?? null,
          v.featurebase.sdkUrl,
          v.featurebase.appId,
          '/sso/featurebase/token',
        ),
      )
  })
  app.get('/featurebase.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'no-cache').send(FEATUREBASE_BOOT_SCRIPT)
  })
  const sdkScript = v.metabase.sdkScript
  if (sdkScript) {
    app.get('/metabase', (req, res) => {
      const { csp, html } = metabasePage(req.session.user ?? null, sdkScript)
      res.set('Content-Security-Policy', csp).type('html').send(html)
    })
    app.get('/metabase/sdk-config.js', (_req, res) => {
      res.type('text/javascript').set('Cache-Control', 'no-cache').send(METABASE_SDK_CONFIG)
    })
  }
  app.get('/canny', (req, res) => {
    const page = cannyPage(req.session.user ?? null, {
      boardToken: v.canny.boardToken,
      sdkUrl: v.canny.sdkUrl,
      tokenUrl: '/sso/canny/token',
    })
    res.set('Content-Security-Policy', page.csp).type('html').send(page.html)
  })
  app.get('/canny.js', (_req, res) => {
    res.type('text/javascript').send(CANNY_PAGE_SCRIPT)
  })
  app.get('/login', (req, res) => {
    const returnTo =
      typeof req.query.returnTo === 'string' && isSafeRelativePath(req.query.returnTo)
        ? req.query.returnTo
        : '/'
    res.type('html').send(loginPage(returnTo, undefined, realVendors))
  })
  app.post('/login', express.urlencoded({ extended: false, limit: '8kb' }), (req, res, next) => {
    const body = req.body as Record<string, unknown>
    const email = typeof body.email === 'string' ? body.email.trim() : ''
    const name = typeof body.name === 'string' ? body.name.trim() : ''
    const returnTo =
      typeof body.returnTo === 'string' && isSafeRelativePath(body.returnTo) ? body.returnTo : '/'
    if (
      !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ||
      email.length > 200 ||
      !name ||
      name.length > 100
    ) {
      res
        .status(400)
        .type('html')
        .send(loginPage(returnTo, 'Enter a valid email and a name.', realVendors))
      return
    }
    const user: DemoUser = { id: userIdFor(email), email, name }
    // A new session id at login: no session fixation.
    req.session.regenerate((err) => {
      if (err) return next(err)
      req.session.user = user
      options.onLogin?.(user)
      res.redirect(303, returnTo)
    })
  })
  app.post('/logout', (req, res) => {
    req.session.destroy(() => res.redirect(303, '/'))
  })
  app.get('/api/me', (req, res) => {
    res.set('Cache-Control', 'no-store').json({ user: req.session.user ?? null })
  })
  return app
}

/**
 * The Intercom page's CSP: scripts only from the app and the Messenger's origin, no inline
 * script. Against the simulator its one origin serves the script and the API; against the real
 * Messenger, the sources Intercom's CSP article lists for source allow-listing.
 */
function intercomPagePolicy(widgetOrigin: string): string {
  const real = widgetOrigin === 'https://widget.intercom.io'
  const scripts = real
    ? 'https://app.intercom.io https://widget.intercom.io https://js.intercomcdn.com'
    : widgetOrigin
  const connect = real
    ? 'https://*.intercom.io wss://*.intercom.io https://*.intercom-messenger.com wss://*.intercom-messenger.com https://uploads.intercomcdn.com https://uploads.intercomusercontent.com'
    : widgetOrigin
  const extra = real
    ? "; img-src 'self' data: blob: https:; font-src https://js.intercomcdn.com https://fonts.intercomcdn.com; media-src https://js.intercomcdn.com; frame-src https://intercom-sheets.com https://www.intercom-reporting.com"
    : ''
  return `default-src 'none'; script-src 'self' ${scripts}; connect-src 'self' ${connect}; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'${extra}`
}
