import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { SsoError } from '../../src/core/errors'
import {
  callUpstream,
  headerValueProblem,
  pathSegment,
  pathSegmentProblem,
  type UpstreamPolicy,
  upstreamUrl,
} from '../../src/core/upstream'

const refuse = (problem: string) => new Error(`value ${problem}`)

describe('pathSegment', () => {
  it.each([
    ['alice', 'alice'],
    ['alice l', 'alice%20l'],
    ['a/b', 'a%2Fb'],
    ['a\\b', 'a%5Cb'],
    ['a?b#c', 'a%3Fb%23c'],
    ['%2e%2e', '%252e%252e'],
    ['...', '...'],
    ['.x', '.x'],
    ["!'()*", '%21%27%28%29%2A'],
    ['-._~', '-._~'],
    ['é', '%C3%A9'],
    ['😀', '%F0%9F%98%80'],
    ['\u0000\n', '%00%0A'],
  ])('encodes %j as the one segment %j', (value, encoded) => {
    expect(pathSegment(value, refuse)).toBe(encoded)
    // What the URL parser keeps is what was built: one segment, nothing collapsed.
    expect(new URL(`https://api.example/v1/${encoded}/x`).pathname).toBe(`/v1/${encoded}/x`)
  })

  it.each([
    ['.', 'must not be "." or ".." (the URL parser would collapse it)'],
    ['..', 'must not be "." or ".." (the URL parser would collapse it)'],
    ['', 'must not be empty'],
    ['a\uD800', 'must be well-formed Unicode (it holds a lone surrogate)'],
    ['\uDC00b', 'must be well-formed Unicode (it holds a lone surrogate)'],
    [42, 'must be a string'],
    [undefined, 'must be a string'],
  ])('refuses %j with the error refuse() builds, naming the problem', (value, problem) => {
    expect(pathSegmentProblem(value)).toBe(problem)
    expect(() => pathSegment(value, refuse)).toThrow(new Error(`value ${problem}`))
  })

  it('never quotes the value in the problem', () => {
    expect(pathSegmentProblem('secret\uD800')).not.toContain('secret')
  })
})

describe('upstreamUrl', () => {
  it('joins literals and encoded values under the base', () => {
    const user = pathSegment('a/../b', refuse)
    expect(upstreamUrl('https://api.example/v1', ['users', user, 'update'])).toBe(
      'https://api.example/v1/users/a%2F..%2Fb/update',
    )
  })

  it.each(['..', '.', '%2e%2E', '.%2e', 'a/b', 'a b', '', '%zz', 'a?b', 'a#b', 'é'])(
    'refuses the unencoded segment %j as a bug, before any call',
    (segment) => {
      let caught: unknown
      try {
        upstreamUrl('https://api.example', ['users', segment])
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(SsoError)
      expect((caught as SsoError).code).toBe('ERR_SSO_INTERNAL')
      expect((caught as SsoError).message).toBe('An upstream URL segment was not encoded.')
    },
  )
})

describe('headerValueProblem', () => {
  it.each([
    ['konnec-key-0123', undefined],
    ['a b', undefined],
    ['caf\u00e9', undefined],
    ['k\n', 'must not hold control characters or line breaks'],
    ['k\r', 'must not hold control characters or line breaks'],
    ['\u0000', 'must not hold control characters or line breaks'],
    ['k\u007f', 'must not hold control characters or line breaks'],
    ['\tk', 'must not hold control characters or line breaks'],
    ['k€', 'must hold only Latin-1 characters'],
    [' k', 'must not start or end with a space'],
    ['k ', 'must not start or end with a space'],
  ])('%j: %s', (value, problem) => {
    expect(headerValueProblem(value)).toBe(problem)
    // Whatever it accepts, fetch's Headers takes as is (it refuses more: DEL and other controls,
    // which Headers lets through but RFC 9110 does not).
    if (problem === undefined) {
      expect(new Headers({ 'x-api-key': value }).get('x-api-key')).toBe(value)
    }
  })
})

describe('callUpstream', () => {
  type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void
  const SECRET = 'upstream-unit-api-key-0123456789abcdef'
  let handler: Handler = (_req, res) => res.end('ok')
  let seen: { url: string; key: string | undefined; body: string }[] = []
  let base = ''
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      seen.push({ url: req.url ?? '', key: req.headers['x-api-key'] as string, body })
      handler(req, res, seen.length)
    })
  })
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  beforeEach(() => {
    seen = []
    handler = (_req, res) => res.end('ok')
  })

  const policy: UpstreamPolicy = {
    vendor: 'acme',
    label: "Acme's update",
    userMessage: 'Acme is not answering.',
    timeoutMs: 300,
    retryDelayMs: 5,
    maxBodyBytes: 1024,
  }
  const call = (extra: Partial<UpstreamPolicy> = {}, url = `${base}/v1/users/u-1/update`) =>
    callUpstream(
      { url, headers: { 'x-api-key': SECRET }, body: '{"name":"n"}' },
      { ...policy, ...extra },
    )
  /** The SsoError a failing call throws, checked for code, status, message and leaks. */
  const failure = async (promise: Promise<unknown>, status: number, message: string) => {
    const error = await promise.then(
      () => {
        throw new Error('expected a failure')
      },
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(SsoError)
    const sso = error as SsoError
    expect(sso.code).toBe('ERR_SSO_VENDOR_UNAVAILABLE')
    expect(sso.status).toBe(status)
    expect(sso.vendor).toBe('acme')
    expect(sso.userMessage).toBe('Acme is not answering.')
    expect(sso.message).toBe(`Acme's update ${message}`)
    const printed = inspect(sso, { depth: 10 })
    for (const leak of [SECRET, '127.0.0.1', 'u-1', '/v1/']) expect(printed).not.toContain(leak)
    return sso
  }

  it('sends the method, headers and body, and answers the text and its type', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'text/plain; charset=utf-8')
      res.end('\uFEFFhello é')
    }
    const answer = await call()
    expect(answer).toEqual({
      status: 200,
      text: 'hello é',
      contentType: 'text/plain; charset=utf-8',
    })
    expect(seen).toEqual([{ url: '/v1/users/u-1/update', key: SECRET, body: '{"name":"n"}' }])
  })

  it('decodes a multi-byte character split across chunks', async () => {
    const bytes = Buffer.from('ab😀cd')
    handler = (_req, res) => {
      res.write(bytes.subarray(0, 3))
      setTimeout(() => res.end(bytes.subarray(3)), 20)
    }
    expect((await call()).text).toBe('ab😀cd')
  })

  it.each([502, 503, 504])('retries a %i exactly once, then fails with a 502', async (status) => {
    handler = (_req, res) => {
      res.statusCode = status
      res.end(`{"error":"${SECRET}"}`)
    }
    await failure(call(), 502, `call answered ${status}.`)
    expect(seen).toHaveLength(2)
  })

  it('retries a 503 once and returns the second answer', async () => {
    handler = (_req, res, n) => {
      res.statusCode = n === 1 ? 503 : 200
      res.end(n === 1 ? 'busy' : 'second')
    }
    expect((await call()).text).toBe('second')
    expect(seen).toHaveLength(2)
  })

  it.each([500, 400, 401, 404, 429])('does not retry a %i', async (status) => {
    handler = (_req, res) => {
      res.statusCode = status
      res.end()
    }
    await failure(call(), 502, `call answered ${status}.`)
    expect(seen).toHaveLength(1)
  })

  it('does not retry a timeout, and answers 504', async () => {
    handler = () => {}
    await failure(call({ timeoutMs: 100 }), 504, 'call timed out after 100 ms.')
    expect(seen).toHaveLength(1)
  })

  it('answers 504 when the body stalls past the timeout', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'text/plain')
      res.write('partial')
    }
    await failure(call({ timeoutMs: 150 }), 504, 'answer timed out after 150 ms.')
    expect(seen).toHaveLength(1)
  })

  it('answers 502 with a redacted cause when the body is cut off', async () => {
    handler = (req, res) => {
      res.setHeader('content-length', '100')
      res.write('short')
      setTimeout(() => req.socket.destroy(), 20)
    }
    const error = await failure(call(), 502, 'answer was cut off.')
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('retries a connection reset once, then fails with a redacted cause', async () => {
    handler = (req) => req.socket.destroy()
    const error = await failure(call(), 502, 'call failed to connect.')
    expect(seen).toHaveLength(2)
    expect((error.cause as Error).message).toMatch(/^[A-Z_]+$|^connection failed$/)
  })

  it.each([301, 302, 303, 307, 308])(
    'never follows a %i: one call, a 502, nothing sent to the target',
    async (status) => {
      handler = (_req, res, n) => {
        if (n > 1) return res.end('followed')
        res.statusCode = status
        res.setHeader('location', `${base}/elsewhere`)
        res.end()
      }
      await failure(
        call(),
        502,
        `call answered a redirect (${status}); redirects are not followed.`,
      )
      expect(seen.map((s) => s.url)).toEqual(['/v1/users/u-1/update'])
    },
  )

  it('reads a body of exactly maxBodyBytes and refuses one byte more, streamed or announced', async () => {
    let size = 1024
    let announce = false
    handler = (_req, res) => {
      if (announce) res.setHeader('content-length', size)
      res.write('a'.repeat(size - 1))
      res.end('b')
    }
    expect((await call()).text).toHaveLength(1024)
    announce = true
    expect((await call()).text).toHaveLength(1024)
    size = 1025
    await failure(call(), 502, 'answer is too large.')
    announce = false
    await failure(call(), 502, 'answer is too large.')
    expect(seen).toHaveLength(4)
  })

  it('refuses an announced Content-Length over the limit without waiting for the body', async () => {
    handler = (_req, res) => {
      res.setHeader('content-length', 10 * 1024 * 1024)
      res.flushHeaders()
    }
    await failure(call({ timeoutMs: 5000 }), 502, 'answer is too large.')
  })
})
