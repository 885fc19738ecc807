import type { SessionUser } from '../lib/session'

/** Who is signed in, with a logout button; or a login link that comes back to `returnTo`. */
export function SignedIn({ user, returnTo }: { user: SessionUser | null; returnTo: string }) {
  if (!user) {
    return (
      <p>
        You are not signed in.{' '}
        <a href={`/login?returnTo=${encodeURIComponent(returnTo)}`}>Log in</a>
      </p>
    )
  }
  return (
    <form method="post" action="/logout">
      <p>
        Signed in as <strong>{user.name}</strong> ({user.email})
      </p>
      <button type="submit">Log out</button>
    </form>
  )
}
