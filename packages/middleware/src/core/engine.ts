import { isSsoError, SsoError } from './errors'
import { notify } from './hooks'
import { resolveOptions } from './options'
import { isSafeRelativePath } from './redirect'
import { createQueryReader } from './request'
import { errorOutcome, redirectOutcome, respondResult } from './respond'
import { basePrefix, compileBasePath, type RouteTable } from './routes'
import { createTenantCache, isTenantId, type Mounted, mountVendors } from './tenants'
import { INSPECT_PATH, inspect, inspectionPage, isLoopbackClient } from './inspect'
import type {
  CoreOutcome,
  SsoEvent,
  SsoOptions,
  SsoRequest,
  SsoUser,
  Vendor,
  VendorContext,
  VendorResult,
} from './types'
import { validateUser } from './user'

export interface SsoCore<Req> {
  /** The literal start of `basePath`: paths not starting with it are not ours. */
  readonly prefix: string
  /** Resolves once every vendor's keys are imported. */
  readonly ready: Promise<void>
  /** Whether error pages show details (`exposeErrors`, resolved once). */
  readonly expose: boolean
  /** `onError: 'next'`: request-time errors go to the framework's handler. */
  readonly nextOnError: boolean
  /**
   * Handles a request under `basePath`; `null` when no route matches (hand it on). Never
   * rejects: whatever the vendor or an app hook throws becomes an outcome.
   */
  handle(request: SsoRequest<Req>, res?: unknown, context?: unknown): Promise<CoreOutcome | null>
  /** With `tenants`: forget one tenant's configuration; its next request resolves it again. */
  invalidate(tenant: string): void
  /** With `tenants`: forget every tenant's configuration. */
  invalidateAll(): void
}

/**
 * The framework-free engine: options checked and routes compiled once; per request it only
 * matches, calls the vendor and turns the result into a response description.
 */
export function createCore<Req, Ctx = unknown>(
  options: SsoOptions<Req, Ctx>,
  where?: string,
): SsoCore<Req> {
  const config = resolveOptions(options, where)
  const factory = where ?? 'ssoMiddleware()'
  // The inspector's route, per route table (the static one, or each tenant's): it needs the
  // request's framework context and tenant, kept here for the request's lifetime.
  const inspecting = new WeakMap<SsoRequest<Req>, { context: Ctx; tenant?: string }>()
  const inspector = config.inspector
  const inspectorFor = inspector
    ? (vendors: readonly Vendor<Req>[]): Vendor<Req> => ({
        id: 'inspector',
        routes: [
          {
            name: 'inspect',
            method: 'GET',
            path: INSPECT_PATH,
            kind: 'browser',
            async handle(ctx): Promise<VendorResult> {
              const state = inspecting.get(ctx.request)
              let allowed: unknown
              try {
                allowed = inspector.allow
                  ? await inspector.allow(ctx.request.raw, state?.context as Ctx)
                  : isLoopbackClient(ctx.request)
              } catch (cause) {
                throw new SsoError('ERR_SSO_INTERNAL', 'inspector.allow threw.', { cause })
              }
              if (allowed !== true) {
                throw new SsoError(
                  'ERR_SSO_FORBIDDEN',
                  inspector.allow
                    ? 'inspector.allow refused this request.'
                    : 'The inspector answers loopback clients only (no proxy in between); pass `inspector: { allow }` to decide yourself.',
                  { userMessage: 'The inspector is not available to you.' },
                )
              }
              const inspection = await inspect(ctx as VendorContext, vendors as readonly Vendor[], {
                basePath: config.basePath,
                hasLoginUrl: config.loginUrl !== undefined,
                ...(state?.tenant === undefined ? {} : { tenant: state.tenant }),
              })
              if ((ctx.request.header('accept') ?? '').includes('application/json')) {
                return { kind: 'json', body: inspection }
              }
              return { kind: 'html', body: inspectionPage(inspection, ctx.request.path) }
            },
          },
        ],
      })
    : undefined
  const tenants =
    config.tenants && createTenantCache(config.tenants, config.basePath, factory, inspectorFor)
  const staticTable = tenants
    ? undefined
    : mountVendors(config.basePath, config.vendors, factory, undefined, inspectorFor)
  const matchBase = tenants && compileBasePath(config.basePath, factory)
  const tenantId = config.tenants?.id
  const authorize = config.tenants?.authorize
  const ready = Promise.all(config.vendors.map((v) => v.ready)).then(() => undefined)
  ready.catch(() => {})

  const emit = (event: SsoEvent) => notify(config.onEvent, event)

  const loginLocation = async (
    request: SsoRequest<Req>,
    context: Ctx,
  ): Promise<string | undefined> => {
    if (!config.loginUrl) return undefined
    let returnTo = request.originalPath
    if (!isSafeRelativePath(returnTo)) {
      const q = returnTo.indexOf('?')
      returnTo = q === -1 ? returnTo : returnTo.slice(0, q)
      // basePath may hold parameters, so it is no fallback: the site root is.
      if (!isSafeRelativePath(returnTo)) returnTo = '/'
    }
    if (typeof config.loginUrl === 'function') {
      let location: unknown
      try {
        location = await config.loginUrl(returnTo, request.raw, context)
      } catch (cause) {
        throw new SsoError('ERR_SSO_INTERNAL', 'The loginUrl function threw.', { cause })
      }
      if (typeof location !== 'string' || !LOGIN_URL.test(location)) {
        throw new SsoError(
          'ERR_SSO_CONFIG',
          'The loginUrl function must return a path such as "/login?returnTo=…" or an absolute http(s) URL.',
        )
      }
      return location
    }
    const absolute = /^https?:\/\//.test(config.loginUrl)
    const url = new URL(config.loginUrl, 'http://app.invalid')
    url.searchParams.set('returnTo', returnTo)
    return absolute ? url.href : `${url.pathname}${url.search}${url.hash}`
  }

  /** A request-time error as the answer, or handed to the framework (`onError: 'next'`). */
  const fail = (
    error: SsoError,
    kind: 'html' | 'json',
    expose = config.exposeErrors,
  ): CoreOutcome =>
    config.onError === 'next' ? { type: 'error', error } : errorOutcome(error, kind, expose)

  const handle = async (
    request: SsoRequest<Req>,
    res: unknown,
    context: Ctx,
  ): Promise<CoreOutcome | null> => {
    let table = staticTable as RouteTable<Mounted<Req>>
    let tenant: string | undefined
    if (tenants) {
      // Before any route is known: GET pages get an HTML error, anything else JSON.
      const kind = request.method === 'GET' || request.method === 'HEAD' ? 'html' : 'json'
      const tenantFail = (error: SsoError) => {
        emit({
          type: error.status >= 500 ? 'error' : 'request.refused',
          vendor: '',
          route: '',
          ...(tenant ? { tenant } : {}),
          code: error.code,
        })
        // A tenant's configuration error names its options: never on a page, even in development.
        return fail(error, kind, config.exposeErrors && error.code !== 'ERR_SSO_CONFIG')
      }
      let raw: unknown
      if (typeof tenantId === 'string') {
        let params: Record<string, string> | null
        try {
          params = (matchBase as NonNullable<typeof matchBase>)(request.path)
        } catch (error) {
          return fail(error as SsoError, 'html')
        }
        if (!params) return null
        raw = params[tenantId]
      } else {
        try {
          raw = await (tenantId as (req: Req, context: Ctx) => unknown)(request.raw, context)
        } catch (cause) {
          return tenantFail(
            new SsoError('ERR_SSO_INTERNAL', 'The tenant id function threw.', { cause }),
          )
        }
        if (raw === null || raw === undefined) return null
      }
      // Checked before the resolver, or any app code, sees it; the value is never echoed.
      if (!isTenantId(raw)) {
        return tenantFail(
          new SsoError('ERR_SSO_TENANT_INVALID', 'The tenant id in the request is not valid.', {
            userMessage: 'This sign-in link is not valid.',
          }),
        )
      }
      tenant = raw
      try {
        table = tenants.peek(tenant) ?? (await tenants.get(tenant))
      } catch (error) {
        return tenantFail(
          isSsoError(error)
            ? error
            : new SsoError('ERR_SSO_INTERNAL', 'The tenant could not be resolved.', {
                cause: error,
              }),
        )
      }
    }
    let lookup: ReturnType<typeof table.find>
    try {
      lookup = table.find(request.method, request.path)
    } catch (error) {
      return fail(error as SsoError, 'html')
    }
    if (lookup.type === 'none') return null
    if (lookup.type === 'method-not-allowed') {
      const error = new SsoError(
        'ERR_SSO_METHOD_NOT_ALLOWED',
        'This route does not take that method.',
        {
          allow: lookup.allow.join(', '),
        },
      )
      return fail(error, 'json')
    }
    const { vendor, route } = lookup.value
    if (inspectorFor && route.path === INSPECT_PATH && vendor.id === 'inspector') {
      inspecting.set(request, { context, ...(tenant === undefined ? {} : { tenant }) })
    }
    const base = { vendor: vendor.id, route: route.name, ...(tenant ? { tenant } : {}) }
    const kind = route.kind === 'api' ? 'json' : 'html'

    if (route.sideEffects) {
      // A state-changing route runs for a navigation only: a cross-site <img> or <script>
      // pointing at it is refused (browsers send Sec-Fetch-Dest; old ones send none).
      const dest = request.header('sec-fetch-dest')
      if (dest !== undefined && dest !== 'document') {
        const error = new SsoError(
          'ERR_SSO_FORBIDDEN',
          `This route only answers a page navigation; Sec-Fetch-Dest is "${dest.slice(0, 20)}".`,
          { vendor: vendor.id, userMessage: 'Open the link in your browser.' },
        )
        emit({ type: 'request.refused', ...base, code: error.code })
        return fail(error, kind)
      }
    }

    let userPromise: Promise<SsoUser | null> | undefined
    const user = () => {
      userPromise ??= (async () => {
        let raw: unknown
        try {
          raw = await config.getUser(request.raw, context)
        } catch (cause) {
          throw new SsoError('ERR_SSO_GET_USER_FAILED', 'getUser threw.', {
            cause,
            vendor: vendor.id,
          })
        }
        const current = validateUser(raw, vendor.id)
        if (current && tenant !== undefined && authorize) {
          // A signed-in user of one tenant is not, by that, a user of every tenant's vendors.
          let allowed: unknown
          try {
            allowed = await authorize(current, tenant, request.raw, context)
          } catch (cause) {
            throw new SsoError('ERR_SSO_INTERNAL', 'tenants.authorize threw.', {
              cause,
              vendor: vendor.id,
            })
          }
          if (allowed !== true) {
            throw new SsoError('ERR_SSO_FORBIDDEN', 'The user is not a member of this tenant.', {
              vendor: vendor.id,
              userMessage: 'Your account cannot sign in to this site’s services.',
            })
          }
        }
        return current
      })()
      return userPromise
    }
    let query: VendorContext<Req>['query']
    try {
      query = createQueryReader(request.search, vendor.id)
    } catch (error) {
      emit({ type: 'request.refused', ...base, code: (error as SsoError).code })
      return fail(error as SsoError, kind)
    }
    const ctx: VendorContext<Req> = {
      vendor: vendor.id,
      route: route.name,
      request,
      params: lookup.params,
      query,
      user,
      async requireUser() {
        const current = await user()
        if (!current) {
          throw new SsoError('ERR_SSO_UNAUTHENTICATED', 'No user is signed in.', {
            vendor: vendor.id,
          })
        }
        return current
      },
      async logout() {
        if (!config.onLogout) return
        try {
          await config.onLogout(request.raw, res, context)
        } catch (cause) {
          throw new SsoError('ERR_SSO_INTERNAL', 'onLogout threw.', { cause, vendor: vendor.id })
        }
      },
      emit(event) {
        // Only these fields, whatever a custom vendor passes: events never carry an email or token.
        const safe: SsoEvent = { type: event.type, ...base }
        if (typeof event.userId === 'string') safe.userId = event.userId
        if (typeof event.jti === 'string') safe.jti = event.jti
        if (typeof event.code === 'string') safe.code = event.code
        if (Array.isArray(event.claims)) {
          // Claim names only: a name that could hold an address or a value is dropped.
          safe.claims = event.claims.filter(
            (name): name is string =>
              typeof name === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(name),
          )
        }
        emit(safe)
      },
    }

    try {
      const result = await route.handle(ctx)
      return await respondResult(result, vendor.id)
    } catch (thrown) {
      let error = isSsoError(thrown)
        ? thrown
        : new SsoError('ERR_SSO_INTERNAL', 'A vendor route failed unexpectedly.', {
            cause: thrown,
            vendor: vendor.id,
          })
      if (error.code === 'ERR_SSO_UNAUTHENTICATED') {
        emit({ type: 'login.required', ...base, code: error.code })
        if (route.kind === 'browser') {
          try {
            const location = await loginLocation(request, context)
            if (location) return redirectOutcome(location)
          } catch (failed) {
            error = failed as SsoError
            emit({ type: 'error', ...base, code: error.code })
          }
        }
      } else {
        emit({
          type: error.status >= 500 ? 'error' : 'request.refused',
          ...base,
          code: error.code,
        })
      }
      return fail(error, kind)
    }
  }

  return {
    prefix: basePrefix(config.basePath, factory),
    ready,
    invalidate: (tenant) => tenants?.invalidate(tenant),
    invalidateAll: () => tenants?.invalidateAll(),
    expose: config.exposeErrors,
    nextOnError: config.onError === 'next',
    async handle(request, res, context) {
      try {
        return await handle(request, res, context as Ctx)
      } catch (thrown) {
        // The last line of defence (a throwing getter on the request, a bug of ours).
        const error = isSsoError(thrown)
          ? thrown
          : new SsoError('ERR_SSO_INTERNAL', 'The request failed unexpectedly.', { cause: thrown })
        return fail(error, 'html')
      }
    },
  }
}

/** What a `loginUrl` function may return: a path with one leading `/`, or an absolute http(s) URL. */
const LOGIN_URL = /^(?:\/(?![/\\])|https?:\/\/)/
