import { SsoError } from './errors'

// This module is also the `@sso/react/token-store` entry: framework-free, no React import.
export { SsoError } from './errors'
export type { ClientSsoErrorCode, ServerSsoErrorCode, SsoErrorCode } from './errors'

/** What a token fetcher may resolve to: a bare token, or a token with its expiry. */
export interface TokenResult {
  /** The token handed to the embed SDK. Never empty. */
  token: string
  /**
   * Expiry in unix seconds; when absent, the JWT's `exp` claim is used; `Infinity` for a value
   * that never expires (Intercom's legacy `userHash`), kept until {@link TokenStore.clear}. When the token is a JWT
   * with `iat`, the store keeps it for `expiresAt - iat` from its arrival, measured on the local
   * clock, so a client clock off from the server's does not matter; without `iat`, `expiresAt`
   * is compared with the local clock (then a skewed client clock shifts the expiry by its skew).
   */
  expiresAt?: number | undefined
}

/**
 * Asks your backend for a token. Reject (or throw) when there is no user; abort the request when
 * `signal` fires.
 *
 * @example
 * ```ts
 * const fetchToken: TokenFetcher = async ({ signal }) => {
 *   const res = await fetch('/api/chat-token', { method: 'POST', signal })
 *   if (!res.ok) throw new Error(`HTTP ${res.status}`)
 *   return res.json() // { token, expiresAt }
 * }
 * ```
 */
export type TokenFetcher = (context: { signal: AbortSignal }) => Promise<string | TokenResult>

/**
 * Where the last token request stands.
 */
export type TokenStatus = 'idle' | 'loading' | 'ready' | 'error'

/**
 * The state a UI renders. A new object on every change, so it can be compared by reference.
 *
 * @example
 * ```ts
 * const { status, error } = store.getSnapshot()
 * if (status === 'error') console.warn(error.code)
 * ```
 */
export type TokenSnapshot =
  | { status: 'idle' | 'loading' | 'ready'; error: null }
  | { status: 'error'; error: SsoError }

/**
 * Options of {@link createTokenStore}.
 */
export interface TokenStoreOptions {
  /** Gets a fresh token from your backend. Called at most once at a time. */
  fetchToken: TokenFetcher
  /** Give up on a request after this long, rejecting with `ERR_SSO_TIMEOUT` (default: `10000`). */
  timeoutMs?: number
  /** Fetch a new token this long before the cached one expires (default: `30000`). */
  refreshLeewayMs?: number
  /** The clock, in milliseconds, read on every call (default: `Date.now()` at call time). */
  now?: () => number
}

/**
 * A framework-free token cache for embed SDKs that ask the page for a token.
 *
 * @example
 * ```ts
 * const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })
 * sdk.setAuthRequestHandler(() => store.getToken())
 * ```
 */
export interface TokenStore {
  /** Calls `listener` after every snapshot change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void
  /** The current state. */
  getSnapshot(): TokenSnapshot
  /** The state during server rendering: always `idle`. */
  getServerSnapshot(): TokenSnapshot
  /**
   * Resolves to a token: the cached one while it is valid, else the result of one shared
   * request. Rejects with an {@link SsoError}; never resolves to an empty token.
   */
  getToken(): Promise<string>
  /**
   * Milliseconds until {@link TokenStore.getToken} asks the backend again (`refreshLeewayMs`
   * before the cached token expires): `Infinity` for a token that never expires, `0` when no
   * token is cached or its expiry is unknown. Bindings that push a token into an SDK re-push it
   * then.
   */
  refreshIn(): number
  /** Drops the cached token and cancels a request in flight (logout, user switch). */
  clear(): void
}

const IDLE: TokenSnapshot = { status: 'idle', error: null }

/**
 * A JWT's payload, read without verifying it (the page only needs its times), or `{}` when the
 * token is not a JWT. The claims are as the token has them: possibly missing or not numbers.
 *
 * @example
 * ```ts
 * const { iat } = jwtClaims(token) // unknown: check it is a number before using it
 * ```
 */
export function jwtClaims(token: string): { exp?: unknown; iat?: unknown } {
  try {
    // A token without a payload part throws here, and so counts as not a JWT.
    const payload = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')
    return Object(JSON.parse(atob(payload)))
  } catch {
    return {}
  }
}

/**
 * Creates a {@link TokenStore}: concurrent callers share one request, a token is reused until
 * `refreshLeewayMs` before it expires, a hung request times out, and failures reject with an
 * {@link SsoError}. Nothing is written to Web Storage.
 *
 * @example
 * ```ts
 * const store = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })
 * const token = await store.getToken()
 * store.subscribe(() => console.log(store.getSnapshot().status))
 * ```
 */
export function createTokenStore({
  fetchToken,
  timeoutMs = 10_000,
  refreshLeewayMs = 30_000,
  // Looked up on every call, not captured: fake timers or a Date.now spy installed later apply.
  now: clock = () => Date.now(),
}: TokenStoreOptions): TokenStore {
  const listeners = new Set<() => void>()
  let snapshot = IDLE
  let cached: string | undefined
  // When the cached token is no longer handed out: refreshLeewayMs before it expires.
  let staleAtMs = 0
  let inflight: AbortController | undefined
  let pending: Promise<string> | undefined

  const publish = (next: TokenSnapshot) => {
    snapshot = next
    for (const listener of listeners) listener()
  }
  // A request that clear() cancelled was already replaced; it must not overwrite that state.
  const settle = (controller: AbortController, next: TokenSnapshot) => {
    if (inflight === controller) {
      inflight = pending = undefined
      publish(next)
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    getSnapshot: () => snapshot,
    getServerSnapshot: () => IDLE,
    // NaN (an unknown expiry) and a past time both become 0.
    refreshIn: () => (cached && staleAtMs > clock() ? staleAtMs - clock() : 0),
    getToken() {
      if (cached && clock() < staleAtMs) return Promise.resolve(cached)
      if (pending) return pending
      const controller = new AbortController()
      const { signal } = controller
      const timer = setTimeout(
        () => controller.abort(new SsoError('ERR_SSO_TIMEOUT', `No token in ${timeoutMs} ms`)),
        timeoutMs,
      )
      inflight = controller
      pending = new Promise<string | TokenResult>((resolve, reject) => {
        // Rejects on abort even when the fetcher ignores `signal`, so it cannot hang its callers.
        signal.addEventListener('abort', () => reject(signal.reason))
        // Called inside the executor so a fetcher that throws synchronously still rejects.
        Promise.resolve(fetchToken({ signal })).then(resolve, reject)
      }).then(
        (result) => {
          clearTimeout(timer)
          // clear() may land between the fetcher resolving and this line; that token is stale.
          signal.throwIfAborted()
          // A string result has no `.token`, so it is the token itself.
          const token = (result as TokenResult | null)?.token ?? result
          if (!token || typeof token !== 'string') {
            throw new SsoError('ERR_SSO_BAD_RESPONSE', 'No token in the response')
          }
          const { exp, iat } = jwtClaims(token) as { exp: number; iat: number }
          const expiresAt = (result as TokenResult).expiresAt || exp
          // The lifetime the server granted (exp - iat), counted from now on our own clock, so a
          // client clock behind or ahead of the server's neither keeps a token the vendor already
          // refuses nor drops a fresh one. Without `iat` only the server's expiry against our
          // clock is left. An unknown expiry gives NaN, and a NaN expiry is never reused.
          cached = token
          staleAtMs =
            (iat > 0 ? clock() / 1000 + expiresAt - iat : expiresAt) * 1000 - refreshLeewayMs
          settle(controller, { status: 'ready', error: null })
          return token
        },
        (cause: unknown) => {
          clearTimeout(timer)
          const error =
            cause instanceof SsoError
              ? cause
              : new SsoError('ERR_SSO_TOKEN_FETCH', 'Token request failed', { cause })
          settle(controller, { status: 'error', error })
          throw error
        },
      )
      publish({ status: 'loading', error: null })
      return pending
    },
    clear() {
      cached = undefined
      const controller = inflight
      inflight = pending = undefined
      controller?.abort(new SsoError('ERR_SSO_CANCELLED', 'Token cache cleared'))
      if (snapshot !== IDLE) publish(IDLE)
    },
  }
}

/**
 * The JSON field an `@sso/middleware` token endpoint answers with: `token` (Komo, Intercom,
 * Canny, Featurebase), `jwt` (Metabase), `userHash` (Intercom's legacy mode).
 */
export type TokenField = 'token' | 'jwt' | 'userHash' | (string & {})

/**
 * A {@link TokenFetcher} for an `@sso/middleware` token endpoint: POSTs to `tokenUrl` with
 * same-origin cookies and no body (the server reads the session), and reads
 * `{ [field], expiresAt }` (`field` default: `'token'`). A 401 rejects with
 * `ERR_SSO_UNAUTHENTICATED`; another error answer rejects with the server's own code from its
 * `{"error":{"code"}}` body (e.g. `ERR_SSO_FORBIDDEN`), or `ERR_SSO_TOKEN_FETCH` when it sent
 * none; `status` is set either way.
 *
 * @example
 * ```ts
 * const komo = createTokenStore({ fetchToken: fetchTokenFrom('/sso/komo/token') })
 * const metabase = createTokenStore({ fetchToken: fetchTokenFrom('/sso/metabase/token', 'jwt') })
 * ```
 */
export function fetchTokenFrom(
  tokenUrl: string,
  field: TokenField = 'token',
): (context: { signal: AbortSignal }) => Promise<TokenResult> {
  return async ({ signal }) => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      credentials: 'same-origin',
      signal,
    })
    // A body that is not JSON becomes an empty result, which the store rejects as a bad response.
    const body = await res.json().catch(() => '')
    // The store reads `token` (here the named field) and `expiresAt`, and rejects an empty token.
    if (res.ok) return { ...body, token: body?.[field] }
    // Only the server's code is read from an error body, and only when it looks like one: the
    // body itself never reaches a message (a misbehaving proxy could put anything there).
    const { status } = res
    const sent = body?.error?.code
    const code =
      status === 401
        ? 'ERR_SSO_UNAUTHENTICATED'
        : typeof sent === 'string' && /^ERR_SSO_[A-Z0-9_]{1,60}$/.test(sent)
          ? sent
          : 'ERR_SSO_TOKEN_FETCH'
    throw new SsoError(code, `Token endpoint answered ${status}`, { status })
  }
}
