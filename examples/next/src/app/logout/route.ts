import { getSession } from '../../lib/session'
import { crossSite, seeOther } from '../respond'

export async function POST(request: Request): Promise<Response> {
  if (crossSite(request)) return new Response('Cross-site logout refused', { status: 403 })
  ;(await getSession()).destroy()
  return seeOther('/')
}
