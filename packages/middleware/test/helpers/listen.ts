import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Listening {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string
  /** The port the server listens on. */
  port: number
  /** Closes the server and every connection still open (keep-alive included). */
  close(): Promise<void>
}

/**
 * Starts a `node:http` server for `handler` on 127.0.0.1 with a free port. Anything with the
 * `(req, res)` shape works: a bare listener, an Express app, a Connect app.
 *
 * @example
 * const server = await listen(app)
 * try { await fetch(`${server.url}/sso/acme/login`) } finally { await server.close() }
 */
export async function listen(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
