import type { IncomingMessage } from 'node:http'
import { Refusal } from './core'
import type { SimulatorContext } from './core'

/**
 * One query parameter: `undefined` when absent; a repeated one is refused, never guessed at.
 */
export function queryParam(url: URL, name: string): string | undefined {
  const values = url.searchParams.getAll(name)
  if (values.length > 1) {
    throw new Refusal(
      400,
      'bad_request',
      `The "${name}" parameter was given more than once.`,
      false,
    )
  }
  return values[0]
}

/** Refuses any method but the allowed ones with a 405. */
export function allowMethods(ctx: SimulatorContext, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) {
    ctx.res.setHeader('Allow', methods.join(', '))
    throw new Refusal(405, 'method_not_allowed', `Use ${methods.join(' or ')} here.`, false)
  }
}

/** Reads a JSON request body (at most `limit` bytes); `undefined` when empty. */
export async function readJsonBody(req: IncomingMessage, limit = 65_536): Promise<unknown> {
  // Mounted behind a body parser (express.json), the stream is already consumed.
  const parsed = (req as IncomingMessage & { body?: unknown }).body
  if (parsed !== undefined && req.readableEnded) return parsed
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > limit) throw new BodyError(413, 'body_too_large', 'The request body is too large.')
    chunks.push(buf)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new BodyError(400, 'bad_json', 'The request body is not valid JSON.')
  }
}

/** A request-body problem on a JSON API route. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'BodyError'
  }
}

/**
 * Reads an `application/x-www-form-urlencoded` body (at most `limit` bytes), as a browser's form
 * POST sends it. Another Content-Type is a 415, a larger body a 413 (`BodyError`).
 */
export async function readFormBody(req: IncomingMessage, limit = 32_768): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    throw new BodyError(
      415,
      'unsupported_media_type',
      'The request body must be a form (application/x-www-form-urlencoded).',
    )
  }
  // Mounted behind a body parser (express.urlencoded), the stream is already consumed.
  const parsed = (req as IncomingMessage & { body?: unknown }).body
  if (typeof parsed === 'object' && parsed !== null && req.readableEnded) {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(parsed)) {
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item))
    }
    return params
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > limit) throw new BodyError(413, 'body_too_large', 'The request body is too large.')
    chunks.push(buf)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

/** One form field: `undefined` when absent; a repeated one is refused, never guessed at. */
export function formParam(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name)
  if (values.length > 1) {
    throw new Refusal(400, 'bad_request', `The "${name}" field was given more than once.`, false)
  }
  return values[0]
}
