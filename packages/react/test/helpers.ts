import { vi } from 'vitest'
import type { KomoEmbed } from '../src/index'

/** An unsigned JWT with the given payload: the client only ever reads `exp`, never verifies. */
export function jwt(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJl`
}

/** Stands in for Komo's loaded SDK; records what the provider asks of it. */
export function fakeEmbed() {
  return {
    setAuthRequestHandler: vi.fn<(handler: () => Promise<string>) => void>(),
    setAuthToken: vi.fn<(token: string) => void>(),
    forgetUser: vi.fn<() => void>(),
  } satisfies KomoEmbed
}

/** The handler the provider registered with `embed`: what Komo calls when it needs a user. */
export function registeredHandler(embed: ReturnType<typeof fakeEmbed>): () => Promise<string> {
  const handler = embed.setAuthRequestHandler.mock.calls.at(-1)?.[0]
  if (!handler) throw new Error('no auth request handler was registered')
  return handler
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

/** Stubs `fetch` with a token endpoint answering each call with the next token. */
export function stubTokenEndpoint(
  answer: (call: number) => Response | Promise<Response> = (call) =>
    json({ token: `token-${call}`, expiresAt: Math.floor(Date.now() / 1000) + 3600 }),
) {
  let calls = 0
  const fetch = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => answer(++calls))
  vi.stubGlobal('fetch', fetch)
  return fetch
}

export function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

type SdkGlobal = 'Intercom' | 'Canny' | 'Featurebase'

/**
 * Stands in for a vendor SDK that is already loaded: `window[name]` as a recorder of every
 * `name(command, ...args)` call, so the bindings install no loader and add no script.
 */
export function fakeSdk(name: SdkGlobal) {
  const sdk = vi.fn<(command: string, ...args: unknown[]) => void>()
  ;(window as unknown as Record<string, unknown>)[name] = sdk
  return sdk
}

/** The session the fake token endpoint signs for: a JWT with `iat` now and `exp` in `ttl` s. */
export function sessionEndpoint(field = 'token', ttl = 3600) {
  const session: { user: string | null } = { user: 'u1' }
  let calls = 0
  const fetch = stubTokenEndpoint(() => {
    if (!session.user) return json({ error: { code: 'ERR_SSO_UNAUTHENTICATED' } }, 401)
    const iat = Math.floor(Date.now() / 1000)
    const token = jwt({ sub: session.user, n: ++calls, iat, exp: iat + ttl })
    return json({ [field]: token, expiresAt: iat + ttl })
  })
  return { session, fetch }
}

/** The `sub` and call number `n` of a token from {@link sessionEndpoint}. */
export function who(token: unknown): string {
  const { sub, n } = JSON.parse(Buffer.from(String(token).split('.')[1]!, 'base64url').toString())
  return `${sub}#${n}`
}
