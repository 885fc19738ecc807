import type { SsoError } from './errors'
import type { InspectorOptions } from './inspect'
import type { HostAllowList } from './redirect'

/** Ids of the built-in vendors, open for your own (`defineVendor({ id: 'acme' })`). */
export type VendorId =
  | 'komo'
  | 'kustomer'
  | 'konnec'
  | 'comm100'
  | 'bettermode'
  | 'zendesk'
  | 'discourse'
  | 'intercom'
  | 'featurebase'
  | 'metabase'
  | 'canny'
  | (string & {})

/** The signed-in user of your app, as `getUser` returns it. */
export interface SsoUser {
  /** Your stable user id; vendors receive it as `sub` (or a username). */
  id: string
  email: string
  /** `false` refuses the user at every vendor that links accounts by email. */
  emailVerified?: boolean
  name?: string
  firstName?: string
  lastName?: string
  username?: string
  picture?: string
  tagline?: string
  [key: string]: unknown
}

export type MaybePromise<T> = T | Promise<T>

/** What a vendor route may read of the incoming request: framework-free. */
export interface SsoRequest<Req = unknown> {
  /** Upper-case HTTP method. */
  readonly method: string
  /** Path relative to the mount point, always starting with `/` (absolute-form targets reduced). */
  readonly path: string
  /** The raw query string without `?` ('' when none). */
  readonly search: string
  /** Lower-case header lookup; repeated headers are joined by the adapter. */
  header(name: string): string | undefined
  /** The framework's own request object (Node `IncomingMessage`, Express `Request`, Fetch `Request`). */
  readonly raw: Req
  /** The path the browser used, for `returnTo` (the adapter's view of the original URL). */
  readonly originalPath: string
  /**
   * The origin the request was sent to (`https://app.example.com`), as the adapter sees it: the
   * Fetch `Request.url`'s; on Node the scheme (Express's `req.protocol`, which honours `trust
   * proxy`, else the socket's TLS or HTTP/2 `:scheme`) and `Host` or HTTP/2 `:authority`.
   * `undefined` when the request names no host.
   */
  readonly origin: string | undefined
  /**
   * The client's IP address as the socket sees it (Node adapters), for the inspector's loopback
   * check; `undefined` where the runtime does not say (the Fetch handler).
   */
  readonly clientAddress?: string
}

/** Reads query parameters strictly: a repeated, over-long or badly encoded value is a 400. */
export interface QueryReader {
  /** The single value of `name`, or `undefined` when absent. Throws ERR_SSO_BAD_REQUEST when repeated or over `maxLength` (default 4096). */
  get(name: string, maxLength?: number): string | undefined
  /** Like `get`, but absence is an ERR_SSO_BAD_REQUEST too. */
  require(name: string, maxLength?: number): string
  /** Whether `name` is present at all. */
  has(name: string): boolean
}

/** The audit event handed to `onEvent`: never a token, secret or email. */
export interface SsoEvent {
  type:
    | 'token.issued'
    | 'login.required'
    | 'request.refused'
    | 'logout'
    | 'error'
    /** Privileged claims the app's `claims` hook returned were removed (not opted in). */
    | 'claims.removed'
    /** The vendor reported that it could not sign the user in (e.g. Zendesk's `kind=error`). */
    | 'vendor_error'
  vendor: VendorId
  route: string
  /** The tenant the request was for, when the middleware serves several (`tenants`). */
  tenant?: string
  userId?: string
  jti?: string
  code?: string
  /** With `claims.removed`: the names of the claims removed (never their values). */
  claims?: string[]
}

/** What a vendor route answers. Only the core's respond module turns it into HTTP. */
export type VendorResult =
  | {
      kind: 'redirect'
      /** Absolute URL or a relative path. */
      location: string
      /**
       * How the target is checked, again, right before it is written: `'relative'` (a path with
       * exactly one leading slash), `'configured'` (built from configuration checked at startup),
       * or an allow-list the URL must match.
       */
      allow: 'relative' | 'configured' | HostAllowList
      /** The redirect carries a token: no-store and no-referrer headers (always set anyway). */
      token?: boolean
    }
  | { kind: 'json'; status?: number; body: unknown; token?: boolean }
  | { kind: 'html'; status?: number; body: string; token?: boolean }
  | {
      /**
       * An auto-submitting form that POSTs `fields` to `action` (the token in the body, never in
       * a URL): one inline script allowed by its hash, a visible fallback button, every value
       * attribute-escaped, `Referrer-Policy: strict-origin`.
       */
      kind: 'form'
      /** An absolute URL built from configuration; its origin must be one of `formAction`. */
      action: string
      /** The hidden fields, e.g. `{ jwt }`. */
      fields: Readonly<Record<string, string>>
      /** The origins the form may post to (CSP `form-action`), from configuration. */
      formAction: readonly string[]
      /** Who the form goes to, for the fallback button ("Continue to Zendesk"). */
      vendorName: string
    }

export interface VendorContext<Req = unknown> {
  readonly vendor: VendorId
  /** The route's name, e.g. `'login'`. */
  readonly route: string
  readonly request: SsoRequest<Req>
  readonly query: QueryReader
  /** Path parameters of `basePath` and of the route (e.g. `tenant` from `/t/:tenant/sso`). */
  readonly params: Readonly<Record<string, string>>
  /** The signed-in user, from `getUser`, validated; `null` when logged out. Called at most once. */
  user(): Promise<SsoUser | null>
  /**
   * The signed-in user, or an ERR_SSO_UNAUTHENTICATED that the core turns into the app's login
   * redirect (browser routes) or a 401 (API routes).
   */
  requireUser(): Promise<SsoUser>
  /** Runs the app's `onLogout` (if any). */
  logout(): Promise<void>
  /** Emits an audit event (vendor and route are filled in). */
  emit(event: Omit<SsoEvent, 'vendor' | 'route'>): void
}

export interface VendorRoute<Req = unknown> {
  /** Stable name used for path overrides (`paths: { login: '/kb/login' }`) and events. */
  name: string
  method: 'GET' | 'POST'
  /** path-to-regexp path relative to `basePath`, e.g. `/kustomer/login`. */
  path: string
  /** `'browser'` routes answer HTML and send logged-out users to `loginUrl`; `'api'` routes answer JSON. */
  kind: 'browser' | 'api'
  /**
   * The route changes state (signs the user out, writes to the vendor): `HEAD` gets a 405 and
   * never runs it, and a request the browser marks as a subresource (`Sec-Fetch-Dest` present
   * and not `document`, e.g. a cross-site `<img>`) is refused with a 403. (default: `false`)
   */
  sideEffects?: boolean
  handle(ctx: VendorContext<Req>): Promise<VendorResult> | VendorResult
}

/** A vendor as `ssoMiddleware({ vendors })` takes it. Build one with `defineVendor`. */
export interface Vendor<Req = unknown> {
  readonly id: VendorId
  readonly routes: readonly VendorRoute<Req>[]
  /** Resolves once keys are imported; rejects with ERR_SSO_CONFIG on a bad key. */
  readonly ready?: Promise<void>
  /** What the configuration risks, in words, for the development inspector. */
  readonly notes?: readonly string[]
}

/**
 * Returns the signed-in user, or `null`. `context` is what the framework binding hands on: the
 * Fetch handler's optional second argument (Hono's `c`, a Next.js route context); `undefined` on
 * Connect/Express.
 */
export type GetUser<Req, Ctx = unknown> = (
  req: Req,
  context: Ctx,
) => MaybePromise<SsoUser | null | undefined>

/** How a tenant's vendors are found: see {@link SsoOptions.tenants}. */
export interface TenantOptions<Req = unknown, Ctx = unknown> {
  /**
   * Where the tenant id comes from: the name of a `basePath` parameter (`'tenant'` for
   * `basePath: '/t/:tenant/sso'`), or a function of the request (its host name, a header, the
   * session) returning the id, or `null` for a request that is not a tenant's (handed on). The id
   * is checked (1–128 of `A-Z a-z 0-9 . _ -`, starting and ending with a letter or digit) before
   * the resolver sees it; a bad one is a 404 ERR_SSO_TENANT_INVALID. (default: `'tenant'`)
   */
  id?: string | ((req: Req, context: Ctx) => MaybePromise<string | null | undefined>)
  /**
   * Returns the tenant's vendors (built with their own secrets, allow-lists and URLs), or `null`
   * for an unknown tenant (404 ERR_SSO_TENANT_UNKNOWN). Called once per tenant: the result is
   * cached; concurrent first requests share one call. A throw, a rejection or a timeout is a 503
   * ERR_SSO_TENANT_UNAVAILABLE and is not cached; an invalid configuration fails that tenant
   * alone with ERR_SSO_CONFIG (500).
   */
  resolve: (
    tenant: string,
    context: { signal: AbortSignal },
  ) => MaybePromise<readonly Vendor<Req>[] | null | undefined>
  /**
   * Whether the signed-in user may use this tenant's vendors (is a member of it). Without it, any
   * signed-in user of the app is signed in to whichever tenant's vendors the link names; with
   * it, anything but `true` is a 403 ERR_SSO_FORBIDDEN. Sync or async. (default: none)
   */
  authorize?: (user: SsoUser, tenant: string, req: Req, context: Ctx) => MaybePromise<boolean>
  /** Most tenants kept resolved at once; the least recently used goes first. (default: `1000`) */
  maxTenants?: number
  /** How long a resolved tenant is kept, in ms: the bound on a rotation across instances. (default: `300000`) */
  ttlMs?: number
  /** How long one resolution may take, in ms, before it is a 503. (default: `5000`) */
  timeoutMs?: number
}

/** Options of `ssoMiddleware` and `ssoHandler`. */
export interface SsoOptions<Req = unknown, Ctx = unknown> {
  /** Returns the signed-in user of your app, or `null`; sync or async. */
  getUser: GetUser<Req, Ctx>
  /** The vendors to mount: the same for every request. Give this or `tenants`. */
  vendors?: readonly Vendor<Req>[]
  /**
   * Many tenants on one mount: each request uses its tenant's vendors, found by `resolve` and
   * cached. Give this or `vendors`. (default: none)
   */
  tenants?: TenantOptions<Req, Ctx>
  /**
   * Where logged-out browsers go, with `?returnTo=<relative path>` added (a path or absolute URL
   * of your app, or a function building it from that path). Without it they get a 401 page.
   * (default: none)
   */
  loginUrl?: string | ((returnTo: string, req: Req, context: Ctx) => MaybePromise<string>)
  /** Where the routes are mounted; may hold path params, e.g. `/t/:tenant/sso`. (default: `'/sso'`) */
  basePath?: string
  /**
   * Runs before the vendors that sign users out redirect back; a returned promise is awaited.
   * `res` is the framework's response (Node's `ServerResponse` on Connect/Express; on the Fetch
   * handler, `{ headers }` whose headers are added to the Response it returns, e.g. to clear a
   * cookie). (default: none)
   */
  onLogout?: (req: Req, res: unknown, context: Ctx) => unknown
  /**
   * Audit events; they never contain a token, secret or email. May be async: a returned promise
   * is not awaited, and its rejection (like a throw) is swallowed. (default: none)
   */
  onEvent?: (event: SsoEvent) => unknown
  /** `'next'` hands request-time errors to the framework's error handler. (default: `'respond'`) */
  onError?: 'respond' | 'next'
  /**
   * Show error details (code, vendor, developer message) on error pages.
   * (default: `process.env.NODE_ENV !== 'production'`; off where the environment cannot be read)
   */
  exposeErrors?: boolean
  /**
   * The development inspector at `GET {basePath}/_inspect`: every mounted vendor's routes and
   * what each would send the signed-in user, tokens decoded with their signatures removed
   * (`Accept: application/json` for JSON). `true` or options; never mounted while
   * `NODE_ENV=production` unless `dangerouslyEnableInProduction`; loopback clients only unless
   * `allow` says otherwise. (default: off)
   */
  inspector?: boolean | InspectorOptions<Req, Ctx>
}

export type CoreOutcome =
  | { type: 'response'; status: number; headers: [string, string][]; body: string }
  | { type: 'error'; error: SsoError }
