// HTTP as every script speaks it: servers on a free loopback port, one request helper that
// never follows redirects (so each answer can be judged), cookies carried by hand, and the
// demo's form login.
import { Agent, createServer, request } from 'node:http'

/** Listens on 127.0.0.1 at a free port (unless told otherwise). */
export function listen(handler, { host = '127.0.0.1', port = 0, keepAliveTimeout } = {}) {
  const server = createServer(handler)
  if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const { port: bound } = server.address()
      resolve({ server, port: bound, url: `http://${host}:${bound}` })
    })
  })
}

/** Closes a server and every connection still open to it. */
export function closeServer(server) {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** Without an agent of the caller's: one connection per request, none left open afterwards. */
const oneShot = new Agent({ keepAlive: false })

/**
 * One request; resolves with `{ status, headers, body, ms }`, never rejects (a network error or
 * a timeout becomes status 0 with the error as body). Redirects are not followed.
 */
export function send(
  url,
  { method = 'GET', headers = {}, body, agent = oneShot, timeout = 15_000 } = {},
) {
  const started = performance.now()
  return new Promise((resolve) => {
    const u = new URL(url)
    const failed = (error) =>
      resolve({ status: 0, headers: {}, body: String(error), ms: performance.now() - started })
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method,
        agent,
        headers:
          body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout,
      },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        )
        res.on('error', failed)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', failed)
    req.end(body)
  })
}

/** The `name=value` pairs a response sets (all, or the one named), for a `cookie` header. */
export function cookiesOf(response, name) {
  const pairs = (response.headers['set-cookie'] ?? []).map((c) => c.split(';')[0])
  return name === undefined ? pairs : pairs.filter((p) => p.startsWith(`${name}=`))
}

/**
 * Requests `url`, then follows up to `hops` redirects as a browser would, each carrying the
 * cookies the previous answer set (and nothing else). `options` (agent, timeout) go to every
 * request. Resolves with the last answer and every answer in order.
 */
export async function follow(url, { hops = 3, headers = {}, ...options } = {}) {
  const chain = [await send(url, { ...options, headers })]
  let at = url
  for (let hop = 0; hop < hops; hop++) {
    const last = chain.at(-1)
    if (last.status < 300 || last.status >= 400 || !last.headers.location) break
    const jar = cookiesOf(last).join('; ')
    at = new URL(last.headers.location, at).href
    chain.push(await send(at, { ...options, headers: jar ? { cookie: jar } : {} }))
  }
  return { response: chain.at(-1), chain }
}

/** Logs in to the demo (examples/express) with its form; resolves with the session cookie. */
export async function logInToDemo(appUrl, { email, name, agent }) {
  const response = await send(`${appUrl}/login`, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, name, returnTo: '/' }).toString(),
  })
  const [cookie] = cookiesOf(response, 'demo.sid')
  if (response.status !== 303 || !cookie) {
    throw new Error(`demo login of ${email} answered ${response.status}`)
  }
  return cookie
}
