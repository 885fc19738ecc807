// Runtimes with only the Web platform (WebCrypto, Fetch, URL; no `process`, no `node:` modules):
// the bundled package runs inside a `vm` context holding exactly those globals.
import { createHmac } from 'node:crypto'
import { runInNewContext } from 'node:vm'
import { build } from 'esbuild'
import { jwtVerify } from 'jose'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type * as Sso from '../../src/index'
import { ADA, HS256_SECRET } from '@sso/fixtures'

const ORIGIN = 'https://app.example'
/** The package bundled as for a browser-like runtime, evaluated where `process` is as given. */
async function load(process: 'absent' | 'throws' | 'env throws'): Promise<typeof Sso> {
  const bundle = await build({
    entryPoints: [new URL('../../src/index.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'sso',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  })
  const context: Record<string, unknown> = {
    Request,
    Response,
    Headers,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    AbortController,
    AbortSignal,
    crypto: globalThis.crypto,
    atob,
    btoa,
    setTimeout,
    clearTimeout,
    structuredClone,
  }
  const denied = () => {
    throw new ReferenceError('Requires env access')
  }
  // A sandbox that forbids the name, and Deno without --allow-env (reading env throws).
  if (process === 'throws') Object.defineProperty(context, 'process', { get: denied })
  if (process === 'env throws') context.process = Object.defineProperty({}, 'env', { get: denied })
  return runInNewContext(`${bundle.outputFiles[0]?.text}; sso`, context)
}

describe.each(['absent', 'throws', 'env throws'] as const)(
  'a runtime whose process %s (WebCrypto only)',
  (kind) => {
    let sso: typeof Sso
    beforeAll(async () => {
      sso = await load(kind)
    }, 30_000)

    it('verifies and signs DiscourseConnect payloads with WebCrypto (sign and verify)', async () => {
      const forum = 'https://forum.acme.com'
      const handler = sso.ssoHandler({
        getUser: () => ADA,
        vendors: [sso.discourse({ secret: HS256_SECRET, discourseUrl: forum })],
      })
      await handler.ready
      const payload = Buffer.from(
        `nonce=abc123&return_sso_url=${encodeURIComponent(`${forum}/session/sso_login`)}`,
      ).toString('base64')
      const sig = createHmac('sha256', HS256_SECRET).update(payload).digest('hex')
      const ask = (s: string) =>
        handler(
          new Request(`${ORIGIN}/sso/discourse/login?sso=${encodeURIComponent(payload)}&sig=${s}`),
        )
      // The sandbox's crypto is this one: its verify is the constant-time comparison there.
      const verify = vi.spyOn(globalThis.crypto.subtle, 'verify')
      const ok = await ask(sig)
      expect(ok?.status).toBe(302)
      expect(verify).toHaveBeenCalledTimes(1)
      verify.mockRestore()
      const back = new URL(ok?.headers.get('location') ?? '')
      const sso2 = back.searchParams.get('sso') ?? ''
      expect(back.searchParams.get('sig')).toBe(
        createHmac('sha256', HS256_SECRET).update(sso2).digest('hex'),
      )
      expect(Buffer.from(sso2, 'base64').toString()).toContain('nonce=abc123')
      const bad = await ask(sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')))
      expect(bad?.status).toBe(400)
    })

    it('builds ssoHandler and signs a Komo token with WebCrypto', async () => {
      const handler = sso.ssoHandler({
        getUser: () => ADA,
        vendors: [sso.komo({ secret: HS256_SECRET })],
      })
      await handler.ready
      const response = await handler(
        new Request(`${ORIGIN}/sso/komo/token`, {
          method: 'POST',
          headers: { origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
        }),
      )
      expect(response?.status).toBe(200)
      const { token } = (await (response as Response).json()) as { token: string }
      const { payload, protectedHeader } = await jwtVerify(
        token,
        new TextEncoder().encode(HS256_SECRET),
        { algorithms: ['HS256'] },
      )
      expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
      expect(payload.sub).toBe(ADA.id)
    })

    it('treats an unreadable environment as production: error pages show no details', async () => {
      const handler = sso.ssoHandler({
        getUser: () => null,
        vendors: [sso.komo({ secret: HS256_SECRET })],
      })
      const response = await handler(new Request(`${ORIGIN}/sso/komo/token`, { method: 'POST' }))
      expect(response?.status).toBe(401)
      expect(await (response as Response).json()).toEqual({
        error: { code: 'ERR_SSO_UNAUTHENTICATED' },
      })
    })

    it('still honours exposeErrors: true', async () => {
      const handler = sso.ssoHandler({
        getUser: () => null,
        exposeErrors: true,
        vendors: [sso.komo({ secret: HS256_SECRET })],
      })
      const response = await handler(new Request(`${ORIGIN}/sso/komo/token`, { method: 'POST' }))
      expect(
        ((await (response as Response).json()) as { error: { message?: string } }).error.message,
      ).toBe('No user is signed in.')
    })
  },
)
