import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KONNEC } from '@sso/fixtures'

/** How one Konnec API call is answered. */
export type UpstreamAnswer =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'reset' }
  /** Never answers (the client's timeout has to end it). */
  | { kind: 'hang' }
  | { kind: 'latency'; ms: number }
  /** A 200 `application/json` body cut off mid-object. */
  | { kind: 'malformed' }
  /** generate-token: a fresh (short) refresh token as the body, mislabelled `application/json`. */
  | { kind: 'mislabelled' }
  /** generate-token: `{"refreshToken": <token>}` with the token unquoted. */
  | { kind: 'unquoted' }

export type UpstreamAction = 'update' | 'generate-token'

export interface KonnecUpstream {
  url: string
  /** Every refresh token handed out, in any form (to scan for leaks). */
  issued: Set<string>
  calls: { action: UpstreamAction; username: string }[]
  /** Decides how each call is answered. (default: always `ok`) */
  answer: (action: UpstreamAction, n: number) => UpstreamAnswer
  close(): Promise<void>
}

/**
 * A stand-in for Konnec's two API calls on 127.0.0.1 that answers each call the way `answer`
 * says: normally, with a status, a reset, a hang, a delay or a broken body.
 */
export async function startKonnecUpstream(): Promise<KonnecUpstream> {
  const upstream: KonnecUpstream = {
    url: '',
    issued: new Set(),
    calls: [],
    answer: () => ({ kind: 'ok' }),
    close: async () => {},
  }
  const timers = new Set<NodeJS.Timeout>()
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const m = /^\/api\/organization\/([^/]+)\/user\/([^/]+)\/(update|generate-token)$/.exec(
        req.url ?? '',
      )
      if (!m || req.method !== 'POST') {
        res.statusCode = 404
        res.end()
        return
      }
      const action = m[3] as UpstreamAction
      upstream.calls.push({ action, username: decodeURIComponent(m[2] as string) })
      if (req.headers['x-api-key'] !== KONNEC.apiKey || req.headers['x-org-id'] !== KONNEC.orgId) {
        res.statusCode = 401
        res.end('{"error":"unauthorized"}')
        return
      }
      const answer = upstream.answer(action, upstream.calls.length)
      // A short token (as some APIs issue) is quoted whole in a JSON.parse message.
      const token = (bytes = 18) => {
        const t = `rt_${randomBytes(bytes).toString('base64url')}`
        upstream.issued.add(t)
        return t
      }
      const ok = () => {
        res.setHeader('content-type', 'application/json')
        res.end(action === 'update' ? '{"ok":true}' : JSON.stringify({ refreshToken: token() }))
      }
      switch (answer.kind) {
        case 'ok':
          return ok()
        case 'status':
          res.statusCode = answer.status
          res.setHeader('content-type', 'application/json')
          res.end('{"error":"injected"}')
          return
        case 'reset':
          req.socket.destroy()
          return
        case 'hang':
          return
        case 'latency': {
          const timer = setTimeout(() => {
            timers.delete(timer)
            if (!res.destroyed) ok()
          }, answer.ms)
          timers.add(timer)
          return
        }
        case 'malformed':
          res.setHeader('content-type', 'application/json')
          res.end(action === 'update' ? '{"user": {' : '{"refreshToken": "')
          return
        case 'mislabelled':
          if (action === 'update') return ok()
          res.setHeader('content-type', 'application/json')
          res.end(token(12))
          return
        case 'unquoted':
          if (action === 'update') return ok()
          res.setHeader('content-type', 'application/json')
          res.end(`{"refreshToken": ${token()}}`)
          return
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  upstream.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  upstream.close = async () => {
    for (const timer of timers) clearTimeout(timer)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return upstream
}
