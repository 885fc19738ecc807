import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A running simulator server.
 *
 * @example
 * ```ts
 * const { url, close }: ListeningSimulator = await sim.listen()
 * afterAll(close)
 * ```
 */
export interface ListeningSimulator {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string
  /** Stops listening and closes every open socket (keep-alive ones included). */
  close(): Promise<void>
}

/** Serves `handle` on `host:port` (0 = any free port); resolves once listening. */
export async function listen(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host: string,
): Promise<ListeningSimulator> {
  const server = createServer(handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://${shownHost(host)}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A host a client can dial: the loopback for a wildcard bind, IPv6 in brackets. */
function shownHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
