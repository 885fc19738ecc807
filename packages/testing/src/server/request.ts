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
