// Who may open the development inspector (`/sso/_inspect`). It is mounted only outside
// production: under `next start` (NODE_ENV=production) the route does not exist; with `next dev`
// it does, and this decides who gets it.

/** Headers that name a hop other than Next itself (a tunnel, a port forward, a proxy). */
const PROXY_HEADERS = ['forwarded', 'x-real-ip', 'via']
const LOOPBACK = /^(::1|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i

/**
 * Not a network check: a route handler never sees the client's address. What keeps other
 * machines out is the address the server listens on, which the example's scripts pass to
 * `next dev -H` and name in `LISTEN_HOST` (serve.ts): only a loopback address lets anyone in.
 * Plain `next dev` listens on every interface and sets no `LISTEN_HOST`: nobody gets the page.
 *
 * A tunnel or port forward onto that loopback server would bring in other machines: a request
 * naming a proxy hop is refused. Next itself fills `X-Forwarded-For` with the socket's address
 * when a request has none, so that header must be one loopback address; a client that reaches
 * the server could forge it, which is why it only backs up the listening address, never replaces it.
 *
 * On a deployed preview (NODE_ENV=production, so `dangerouslyEnableInProduction: true` as well)
 * none of this holds: check who is signed in instead, e.g. that the session's user is staff.
 */
export function inspectorAllowed(request: Request, listenHost = process.env.LISTEN_HOST): boolean {
  if (!listenHost || !LOOPBACK.test(listenHost.replace(/^\[|\]$/g, ''))) return false
  if (PROXY_HEADERS.some((name) => request.headers.has(name))) return false
  const forwardedFor = request.headers.get('x-forwarded-for')
  return forwardedFor === null || LOOPBACK.test(forwardedFor.trim())
}
