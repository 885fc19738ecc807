import type { SimulatorContext } from './core'
import { sendJson } from './respond'

/** CORS headers of a vendor's public JSON API, which its SDK calls from any page. */
export const OPEN_CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Max-Age': '600',
}

/**
 * For a public POST-only JSON API (Komo's `/api/verify`, Featurebase's SDK boot): answers a
 * preflight (204, the requested headers allowed) or any other method but POST (405 JSON), and
 * returns `true` when it did; `false` leaves a POST to the route.
 */
export function answeredPreflightOrMethod(ctx: SimulatorContext): boolean {
  if (ctx.method === 'OPTIONS') {
    const requested = ctx.req.headers['access-control-request-headers']
    ctx.res.writeHead(204, {
      ...OPEN_CORS,
      'Access-Control-Allow-Headers': typeof requested === 'string' ? requested : 'Content-Type',
      Vary: 'Access-Control-Request-Headers',
    })
    ctx.res.end()
    return true
  }
  if (ctx.method !== 'POST') {
    sendJson(
      ctx.res,
      405,
      { error: { code: 'method_not_allowed', message: 'Use POST.' } },
      { ...OPEN_CORS, Allow: 'POST, OPTIONS' },
    )
    return true
  }
  return false
}
