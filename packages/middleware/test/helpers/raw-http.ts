import { connect } from 'node:net'

export interface RawResponse {
  status: number
  /** Lower-case header names; a repeated header keeps its last value. */
  headers: Record<string, string>
  body: string
}

/**
 * Sends `head` (request line and headers, without the blank line) byte for byte over a TCP
 * socket and reads the whole answer. For request targets `fetch` cannot send, such as the
 * absolute form `GET http://evil.example/sso/x HTTP/1.1`. Always sends `Connection: close`.
 *
 * @example
 * const res = await rawRequest(port, 'GET http://evil.example/sso/x HTTP/1.1\r\nHost: evil.example')
 */
export function rawRequest(port: number, head: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      socket.end()
      resolve(parse(Buffer.concat(chunks).toString('latin1')))
    })
    socket.write(`${head}\r\nConnection: close\r\n\r\n`, 'latin1')
  })
}

function parse(text: string): RawResponse {
  const split = text.indexOf('\r\n\r\n')
  const head = split === -1 ? text : text.slice(0, split)
  const body = split === -1 ? '' : text.slice(split + 4)
  const [statusLine = '', ...lines] = head.split('\r\n')
  const status = Number(statusLine.split(' ')[1])
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status, headers, body }
}
