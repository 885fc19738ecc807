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
