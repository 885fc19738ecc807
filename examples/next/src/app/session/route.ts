import { parseLogin, userIdFor } from '@sso/example-vendors'
import { isSafeRelativePath } from '@sso/middleware/fetch'
import { getSession } from '../../lib/session'
import { crossSite, seeOther } from '../respond'

/** The login form's POST: seals the user into the session cookie, then goes back to `returnTo`. */
export async function POST(request: Request): Promise<Response> {
  if (crossSite(request)) return new Response('Cross-site login refused', { status: 403 })
  const form = await request.formData()
  const raw = form.get('returnTo')
  const returnTo = typeof raw === 'string' && isSafeRelativePath(raw) ? raw : '/'
  const login = parseLogin(form.get('email'), form.get('name'))
  if (!login) return seeOther(`/login?returnTo=${encodeURIComponent(returnTo)}&error=1`)
  const session = await getSession()
  session.user = { id: await userIdFor(login.email), ...login }
  await session.save()
  return seeOther(returnTo)
}
