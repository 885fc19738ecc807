import { type SsoRouteContext, sso } from '../../../lib/sso'

// Every vendor route under /sso: `sso` answers its own and `null` for anything else.
async function handle(request: Request, ctx: SsoRouteContext): Promise<Response> {
  return (await sso(atPublicOrigin(request), ctx)) ?? new Response('Not found', { status: 404 })
}

export { handle as GET, handle as POST, handle as HEAD }

/**
 * `next start` builds `request.url` from its own hostname (`http://localhost:3000`), not from
 * the host the browser asked for (vercel/next.js#37536), and Komo's token endpoint compares the
 * browser's `Origin` with the request's origin: give the handler the app's public origin,
 * `APP_URL` (read per request, so `next build` needs none).
 */
function atPublicOrigin(request: Request): Request {
  const publicUrl = process.env.APP_URL
  if (!publicUrl)
    throw new Error('APP_URL must be set to the origin browsers use (the start script sets it)')
  const url = new URL(request.url)
  const origin = new URL(publicUrl)
  if (url.origin === origin.origin) return request
  url.protocol = origin.protocol
  url.host = origin.host
  return new Request(url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: request.signal,
    // A streamed body (a POST's) must say so to be passed on.
    ...(request.body ? { duplex: 'half' } : {}),
  } as RequestInit)
}
