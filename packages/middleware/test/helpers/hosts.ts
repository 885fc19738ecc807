import type { IncomingMessage } from 'node:http'
import { type SsoOptions, ssoHandler, ssoMiddleware } from '../../src/index'
import { APP_HEADER, FRAMEWORKS, type Framework } from './frameworks'
import { type Listening, listen } from './listen'
import { type RawResponse, rawRequest } from './raw-http'

/** What the app saw of one request, whichever host served it. */
export interface Sent {
  status: number
  headers: Headers
  body: string
  /** The middleware handed the request on (`next()`, or `null` from the Fetch handler). */
  passedOn: boolean
  /** The request reached the app's error handler (`next(err)`, or a throw from the Fetch handler). */
  appError: boolean
}

export interface Running {
  /** Sends `path` (with query) like a browser would, never following redirects. */
  send(path: string, init?: RequestInit): Promise<Sent>
  /** `http://127.0.0.1:<port>`, the origin browsers see (node hosts only). */
  url?: string
  /** Sends a raw request head over TCP (node hosts only). */
  raw?(head: string): Promise<RawResponse>
  /** Errors that reached the app's error handler. */
  errors: unknown[]
  ready: Promise<void>
  close(): Promise<void>
}

/** Options with the request type left open: the tests' `getUser`s ignore the request. */
// biome-ignore lint/suspicious/noExplicitAny: one options object serves every adapter's request type
export type AnyOptions = SsoOptions<any>

export interface Host {
  name: string
  /** Whether the host can mount the middleware under a path prefix. */
  mounts: boolean
  start(options: AnyOptions, mountPath?: string): Promise<Running>
}

/** The origin Fetch-adapter requests are addressed to. */
export const FETCH_ORIGIN = 'http://app.example'

function connectHost(framework: Framework): Host {
  return {
    name: `ssoMiddleware on ${framework.name}`,
    mounts: framework.mounts,
    async start(options, mountPath) {
      const middleware = ssoMiddleware(options as SsoOptions<IncomingMessage>)
      const errors: unknown[] = []
      const server: Listening = await listen(framework.app(middleware, { errors, mountPath }))
      return {
        errors,
        url: server.url,
        ready: middleware.ready,
        close: () => server.close(),
        raw: (head) => rawRequest(server.port, head),
        async send(path, init) {
          const response = await fetch(`${server.url}${path}`, { redirect: 'manual', ...init })
          const app = response.headers.get(APP_HEADER)
          return {
            status: response.status,
            headers: response.headers,
            body: await response.text(),
            passedOn: app === 'not-found',
            appError: app === 'error-handler',
          }
        },
      }
    },
  }
}

/** `ssoHandler` behind a stand-in framework: `null` → 404, a throw → its error handler. */
const fetchHost: Host = {
  name: 'ssoHandler (Fetch)',
  mounts: false,
  async start(options, mountPath) {
    if (mountPath) throw new Error('the Fetch handler has no mount path')
    const handler = ssoHandler(options as SsoOptions<Request>)
    const errors: unknown[] = []
    return {
      errors,
      ready: handler.ready,
      close: async () => {},
      async send(path, init) {
        let response: Response | null
        try {
          response = await handler(new Request(`${FETCH_ORIGIN}${path}`, init))
        } catch (error) {
          errors.push(error)
          return { status: 500, headers: new Headers(), body: '', passedOn: false, appError: true }
        }
        if (response === null) {
          return { status: 404, headers: new Headers(), body: '', passedOn: true, appError: false }
        }
        return {
          status: response.status,
          headers: response.headers,
          body: await response.text(),
          passedOn: false,
          appError: false,
        }
      },
    }
  },
}

/** Every host the middleware core runs behind, for `describe.each`. */
export const HOSTS: Host[] = [...FRAMEWORKS.map(connectHost), fetchHost]
