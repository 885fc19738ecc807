import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { KonnecApiRoute, KonnecFault } from './faults'

/**
 * One API answer as it went out on the wire, recorded live (the fields change while it streams).
 *
 * @example
 * ```ts
 * konnec.inject({ kind: 'endless', on: 'generate-token' })
 * // ... the app gives up on the answer ...
 * const answer = konnec.responses.at(-1)!
 * await answer.closed
 * expect(answer).toMatchObject({ action: 'generate-token', finished: false, closedEarly: true })
 * expect(answer.bytesWritten).toBeLessThan(16 * 1024 * 1024)
 * ```
 */
export interface KonnecResponse {
  readonly action: KonnecApiRoute
  /** The request target, as `requests` recorded it. */
  readonly target: string
  /** The kind of the injected fault that hit this call, if one did. */
  readonly fault: KonnecFault['kind'] | undefined
  /** The status sent, or `undefined` while (or when) no status line went out (`hang`, `reset`). */
  readonly status: number | undefined
  /**
   * Body bytes handed to the connection so far, headers not included. A client that went away may
   * not have read them all (socket buffers hold a few MiB).
   */
  readonly bytesWritten: number
  /** The whole answer was written. */
  readonly finished: boolean
  /** The connection closed before the whole answer was written (client gone, reset, `close()`). */
  readonly closedEarly: boolean
  /** Resolves once the answer is over: written whole, or its connection closed. */
  readonly closed: Promise<void>
}

type Recorded = { -readonly [K in keyof KonnecResponse]: KonnecResponse[K] }

const CHUNK = 16 * 1024
const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
}

/** Writes one API answer and keeps its `KonnecResponse` up to date. */
export class ApiWire {
  readonly record: KonnecResponse
  readonly #res: ServerResponse
  readonly #rec: Recorded

  constructor(res: ServerResponse, action: KonnecApiRoute, target: string) {
    this.#res = res
    let resolveClosed: () => void = () => {}
    this.#rec = {
      action,
      target,
      fault: undefined,
      status: undefined,
      bytesWritten: 0,
      finished: false,
      closedEarly: false,
      closed: new Promise((resolve) => {
        resolveClosed = resolve
      }),
    }
    this.record = this.#rec
    res.once('finish', () => {
      this.#rec.finished = true
    })
    res.once('close', () => {
      if (!this.#rec.finished) this.#rec.closedEarly = true
      resolveClosed()
    })
  }

  set fault(kind: KonnecFault['kind'] | undefined) {
    this.#rec.fault = kind
  }

  /** Whether the connection is gone (then nothing more can be written). */
  get gone(): boolean {
    return this.#res.destroyed
  }

  /** A JSON answer in one write, with the API's usual headers. */
  json(status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    this.send(status, { ...JSON_HEADERS, ...headers }, JSON.stringify(body))
  }

  /** A text answer labelled `contentType` (which may lie about it), in one write. */
  text(status: number, contentType: string, body: string): void {
    this.send(status, { ...JSON_HEADERS, 'Content-Type': contentType }, body)
  }

  /** A whole answer in one write (Node adds `Content-Length`). */
  send(status: number, headers: OutgoingHttpHeaders, body: string | Buffer = ''): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body
    this.#head(status, headers)
    this.#rec.bytesWritten += bytes.length
    this.#res.end(bytes)
  }

  /**
   * Streams `body` (or JSON whitespace forever when `undefined`) in 16 KiB chunks, as fast as the
   * client reads; chunked unless the headers carry a `Content-Length`.
   */
  stream(status: number, headers: OutgoingHttpHeaders, body: Buffer | undefined): void {
    this.#head(status, { ...JSON_HEADERS, ...headers })
    const filler = Buffer.alloc(CHUNK, 0x20)
    const res = this.#res
    const pump = (): void => {
      while (!res.destroyed) {
        const offset = this.#rec.bytesWritten
        if (body && offset >= body.length) {
          res.end()
          return
        }
        const chunk = body ? body.subarray(offset, offset + CHUNK) : filler
        this.#rec.bytesWritten += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
    }
    pump()
  }

  /** Sends the status line and headers now, and then nothing. */
  headersOnly(status: number, headers: OutgoingHttpHeaders): void {
    this.#head(status, { ...JSON_HEADERS, ...headers })
    this.#res.flushHeaders()
  }

  /** Destroys the connection without an answer. */
  reset(): void {
    this.#res.socket?.destroy()
  }

  #head(status: number, headers: OutgoingHttpHeaders): void {
    this.#rec.status = status
    this.#res.writeHead(status, headers)
  }
}

/**
 * `json` padded with a `"pad"` field of `x`s to exactly `bytes` bytes, or `undefined` when the
 * answer is already too long for that.
 */
export function padJson(json: string, bytes: number): Buffer | undefined {
  const empty = json === '{}'
  const overhead = Buffer.byteLength(json) + (empty ? '"pad":""'.length : ',"pad":""'.length)
  if (!json.endsWith('}') || overhead > bytes) return undefined
  const pad = `${empty ? '' : ','}"pad":"${'x'.repeat(bytes - overhead)}"`
  return Buffer.from(`${json.slice(0, -1)}${pad}}`)
}
