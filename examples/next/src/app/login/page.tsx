import { isSafeRelativePath } from '@sso/middleware/fetch'

export default async function Login({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}) {
  const { returnTo, error } = await searchParams
  // Only a relative path of this app: anything else (`//evil.example`, `/\evil`, a URL) is dropped.
  const back = typeof returnTo === 'string' && isSafeRelativePath(returnTo) ? returnTo : '/'
  return (
    <main>
      <h1>Log in</h1>
      <p>This example's login has no password: type any email and a name.</p>
      {error ? <p role="alert">Enter a valid email and a name.</p> : null}
      {/* A plain form post to a route handler, so the redirect after it is a real navigation. */}
      <form method="post" action="/session">
        <input type="hidden" name="returnTo" value={back} />
        <label>
          Email <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Name <input name="name" autoComplete="name" required />
        </label>
        <button type="submit">Log in</button>
      </form>
    </main>
  )
}
