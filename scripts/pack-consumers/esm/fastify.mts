// Type-checked (never run) against the installed tarballs, beside a real `fastify`: the `import`
// condition's .d.ts of `@sso/middleware/fastify` and `@sso/middleware/fetch`. Only the packed
// consumers compile it (the workspace has no `fastify` at its root: see tsconfig.json's exclude).
import {
  komo,
  type SsoFastifyHandle,
  type SsoFastifyOptions,
  type SsoUser,
  ssoPlugin,
} from '@sso/middleware/fastify'
import { type SsoFetchHandler, ssoHandler } from '@sso/middleware/fetch'
import Fastify, { type FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyRequest {
    account?: SsoUser
  }
}

const app = Fastify()
const options: SsoFastifyOptions = {
  getUser: (request: FastifyRequest) => request.account ?? null,
  loginUrl: '/login',
  vendors: [komo({ secret: 'x'.repeat(32) })],
  onLogout: (_request, reply) => {
    reply.header('clear-site-data', '"cookies"')
  },
}
export const registered: PromiseLike<unknown> = app.register(ssoPlugin, {
  ...options,
  prefix: '/app',
})
export const handle: SsoFastifyHandle = app.sso
export const ready: Promise<void> = app.sso.ready
// @ts-expect-error loginURL is not an option (loginUrl is)
app.register(ssoPlugin, { getUser: () => null, loginURL: '/login' })

export const handler: SsoFetchHandler = ssoHandler({
  getUser: (request: Request) => (request.headers.get('x-user') ? null : null),
  vendors: [komo({ secret: 'y'.repeat(32) })],
})
export const answer: Promise<Response | null> = handler(new Request('http://app.example/sso'))
