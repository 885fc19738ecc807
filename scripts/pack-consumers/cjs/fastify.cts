// Type-checked (never run) against the installed tarballs, beside a real `fastify`: in a .cts
// file every import resolves through the `require` condition, so this checks the .d.cts files of
// `@sso/middleware/fastify` and `@sso/middleware/fetch`. Only the packed consumers compile it.
import type { SsoFastifyHandle, SsoFastifyOptions } from '@sso/middleware/fastify'
import type { SsoFetchHandler } from '@sso/middleware/fetch'
import type { FastifyInstance } from 'fastify'

declare const plugin: typeof import('@sso/middleware/fastify')
declare const fetchEntry: typeof import('@sso/middleware/fetch')
declare const app: FastifyInstance

const options: SsoFastifyOptions = {
  getUser: (request) => (request.headers['x-user'] ? null : null),
  vendors: [plugin.komo({ secret: 'x'.repeat(32) })],
  onLogout: (_request, reply) => reply.header('clear-site-data', '"cookies"'),
  decorator: 'ssoApp',
}
const registered: PromiseLike<unknown> = app.register(plugin.ssoPlugin, options)
const handle: SsoFastifyHandle = app.sso
const handler: SsoFetchHandler = fetchEntry.ssoHandler({
  getUser: () => null,
  vendors: [fetchEntry.komo({ secret: 'y'.repeat(32) })],
})
void [registered, handle, handler]
