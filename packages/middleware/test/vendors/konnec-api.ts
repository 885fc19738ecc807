import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export const KONNEC = { orgId: 'org-42', apiKey: 'konnec-fixture-api-key-0123456789' } as const

export type KonnecMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; times?: number }
  | { kind: 'hang' }
  | { kind: 'reset'; times?: number }
  | { kind: 'malformed' }
  | { kind: 'plain' }
  | { kind: 'field'; field: string }

export interface KonnecCall {
  action: string
  username: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A real HTTP stand-in for Konnec's two API calls, on 127.0.0.1, with failure modes. */
export async function startKonnecApi() {
  const calls: KonnecCall[] = []
  const issued = new Set<string>()
  let mode: KonnecMode = { kind: 'ok' }
  let failures = 0
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const m = /^\/api\/organization\/([^/]+)\/user\/([^/]+)\/(update|generate-token)$/.exec(
        req.url ?? '',
      )
      if (!m) {
        res.statusCode = 404
        res.end()
        return
      }
      const action = m[3] as string
      calls.push({
        action,
        username: decodeURIComponent(m[2] as string),
        headers: req.headers,
        body,
      })
      if (req.headers['x-api-key'] !== KONNEC.apiKey || req.headers['x-org-id'] !== KONNEC.orgId) {
        res.statusCode = 401
        res.end('{"error":"unauthorized"}')
        return
      }
      const limited = 'times' in mode && mode.times !== undefined
      const active = !limited || failures < ((mode as { times?: number }).times ?? 0)
      if (mode.kind === 'hang') return
      if (mode.kind === 'reset' && active) {
        failures++
        req.socket.destroy()
        return
      }
      if (mode.kind === 'status' && active) {
        failures++
        res.statusCode = mode.status
        res.end('{"error":"upstream"}')
        return
      }
      if (action === 'update') {
        res.setHeader('content-type', 'application/json')
        res.end('{"ok":true}')
        return
      }
      const token = `rt-${randomUUID()}`
      issued.add(token)
      if (mode.kind === 'malformed') {
        res.setHeader('content-type', 'application/json')
        res.end('{"refreshToken": "trunc')
      } else if (mode.kind === 'plain') {
        res.setHeader('content-type', 'text/plain')
        res.end(token)
      } else {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ [mode.kind === 'field' ? mode.field : 'refreshToken']: token }))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    issued,
    setMode(next: KonnecMode) {
      mode = next
      failures = 0
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
