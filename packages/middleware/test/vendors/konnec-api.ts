import { randomUUID } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KONNEC } from '@sso/fixtures'

export { KONNEC }

export type KonnecMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; times?: number }
  | { kind: 'hang' }
  | { kind: 'reset'; times?: number }
  | { kind: 'malformed' }
  | { kind: 'plain' }
  | { kind: 'field'; field: string }
  /** Every call answered with this 3xx and `Location`. */
  | { kind: 'redirect'; status: number; location: string }
  /**
   * generate-token answers a JSON body of exactly `bytes` bytes holding a fresh token (so only
   * the size can make it fail), with `Content-Length` or chunked.
   */
  | { kind: 'big'; bytes: number; contentLength: boolean }
  /** generate-token streams a body that never ends, until the client closes the socket. */
  | { kind: 'endless' }
  /** generate-token announces `contentLength` bytes, sends the headers and then nothing. */
  | { kind: 'announce'; contentLength: number }

/** One streamed answer body, seen from the server: how much it wrote, and whether it ended. */
export interface KonnecStream {
  written: number
  /** `true` when the whole body was written before the socket closed. */
  finished: boolean
  /** Resolves when the response's socket closes. */
  closed: Promise<void>
}

export interface KonnecCall {
  action: string
  username: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A real HTTP stand-in for Konnec's two API calls, on 127.0.0.1, with failure modes. */
export async function startKonnecApi() {
  const calls: KonnecCall[] = []
  /** Every request target that reached the server, matched or not. */
  const requests: string[] = []
  const streams: KonnecStream[] = []
  const issued = new Set<string>()
  let mode: KonnecMode = { kind: 'ok' }
  let failures = 0
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
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
      if (mode.kind === 'redirect') {
        res.statusCode = mode.status
        res.setHeader('location', mode.location)
        res.end('{"moved":true}')
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
      } else if (mode.kind === 'big') {
        const head = JSON.stringify({ refreshToken: token, pad: '' }).slice(0, -2)
        const text = `${head}${'x'.repeat(Math.max(0, mode.bytes - head.length - 2))}"}`
        res.setHeader('content-type', 'application/json')
        if (mode.contentLength) res.setHeader('content-length', Buffer.byteLength(text))
        stream(res, Buffer.from(text))
      } else if (mode.kind === 'endless') {
        res.setHeader('content-type', 'application/json')
        stream(res, undefined)
      } else if (mode.kind === 'announce') {
        res.setHeader('content-type', 'application/json')
        res.setHeader('content-length', mode.contentLength)
        res.flushHeaders()
        streams.push(track(res))
      } else if (mode.kind === 'plain') {
        res.setHeader('content-type', 'text/plain')
        res.end(token)
      } else {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ [mode.kind === 'field' ? mode.field : 'refreshToken']: token }))
      }
    })
  })
  /** Follows a response until its socket closes. */
  const track = (res: ServerResponse): KonnecStream => {
    const seen: KonnecStream = { written: 0, finished: false, closed: Promise.resolve() }
    seen.closed = new Promise((resolve) => res.on('close', () => resolve()))
    res.on('finish', () => {
      seen.finished = true
    })
    return seen
  }
  /** Writes `whole` (or zeros forever) in 16 KiB chunks, as fast as the client reads. */
  const stream = (res: ServerResponse, whole: Buffer | undefined) => {
    const seen = track(res)
    streams.push(seen)
    const filler = Buffer.alloc(16 * 1024, 0x20)
    const pump = () => {
      while (!res.destroyed) {
        if (whole && seen.written >= whole.length) {
          res.end()
          return
        }
        const chunk = whole ? whole.subarray(seen.written, seen.written + filler.length) : filler
        seen.written += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
    }
    pump()
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    requests,
    streams,
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
