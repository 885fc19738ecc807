import { vendorLinks } from '@sso/example-vendors'
import { currentUser } from '../lib/session'
import { SignedIn } from './signed-in'

// Read per request: the session, and the vendors' URLs from the environment.
export const dynamic = 'force-dynamic'

export default async function Home() {
  const user = await currentUser()
  return (
    <main>
      <h1>@sso on Next.js</h1>
      <SignedIn user={user} returnTo="/" />
      <p>
        Each link starts the vendor's sign-in where the vendor starts it (here its local simulator):
      </p>
      <ul>
        {vendorLinks(process.env).map((link) => (
          <li key={link.id}>
            {/* A plain link, not next/link: these leave the app or hit a route handler. */}
            <a href={link.href}>{link.name}</a>: {link.note}
          </li>
        ))}
      </ul>
      {/* The inspector exists with `next dev` only (NODE_ENV, inlined by Next, says which). */}
      {process.env.NODE_ENV === 'production' ? null : (
        <p>
          <a id="inspector" href="/sso/_inspect">
            Inspect what each vendor would receive
          </a>{' '}
          <small>
            (the development inspector: routes, settings, warnings and your decoded tokens,
            signatures removed)
          </small>
        </p>
      )}
    </main>
  )
}
