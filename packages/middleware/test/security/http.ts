import { Agent, type IncomingHttpHeaders, request } from 'node:http'
import { rawRequest } from '@sso/fixtures'

/** One answer, read whole. */
export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** Wall-clock time from sending to the last byte, in ms. */
  ms: number
}

export interface Send {
  method?: string
  /** The request target exactly as sent (path and query, already encoded). */
  path: string
  headers?: Record<string, string>
  body?: string
  /** Fails the request (and so the test) when no answer comes in time. (default: 10 s) */
  timeoutMs?: number
}

// Keep-alive, so a corpus of thousands of cases does not open thousands of sockets.
const agent = new Agent({ keepAlive: true, maxSockets: 16 })

/**
 * Sends one request to 127.0.0.1:`port` with `node:http`, which (unlike `fetch`) lets a test
 * choose any method, any `Host`/`Origin`/`Sec-Fetch-Site` header and any request target.
 */
export function send(port: number, init: Send): Promise<Reply> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: init.method ?? 'GET',
        path: init.path,
        // Node sends no length for a DELETE/OPTIONS body by default; the server would then
        // read the body as the next request.
        headers:
          init.body === undefined
            ? init.headers
            : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        timeout: init.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        )
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer to ${init.path} in time`)))
    req.on('error', reject)
    req.end(init.body)
  })
}

/**
 * Sends a raw request head byte for byte over TCP (for absolute-form targets such as
 * `GET http://evil.com/sso/x HTTP/1.1`) and parses the status line and headers of the answer:
 * the fixtures' `rawRequest`, timed.
 */
export async function sendRaw(port: number, head: string): Promise<Reply> {
  const started = performance.now()
  const reply = await rawRequest(port, head)
  return { ...reply, ms: performance.now() - started }
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
