import { KomoProvider, useAuthRequestHandler } from '@sso/react'
import type { SsoError } from '@sso/react'
import { useEffect, useState } from 'react'
import type { FormEvent } from 'react'

interface User {
  id: string
  email: string
  name?: string
}

/** `undefined` while /api/me is in flight. */
type Session = { user: User | null } | undefined

const KOMO_HUB = import.meta.env.VITE_KOMO_HUB ?? 'http://127.0.0.1:4100'

export function App() {
  const [session, setSession] = useState<Session>()

  useEffect(() => {
    const controller = new AbortController()
    fetch('/api/me', { credentials: 'same-origin', signal: controller.signal })
      .then((res) => (res.ok ? (res.json() as Promise<{ user: User | null }>) : { user: null }))
      .then(setSession, () => {
        if (!controller.signal.aborted) setSession({ user: null })
      })
    return () => controller.abort()
  }, [])

  // Logging out in place, rather than by navigation, lets KomoProvider see the user become null
  // and sign them out of Komo too; without JavaScript the form still posts normally.
  async function logout(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    await fetch('/logout', { method: 'POST', credentials: 'same-origin', redirect: 'manual' })
    setSession({ user: null })
  }

  const user = session?.user ?? null
  return (
    <KomoProvider
      tokenUrl="/sso/komo/token"
      user={user}
      hubHost={KOMO_HUB}
      onError={(error: SsoError) => console.warn(`Komo sign-in failed: ${error.code}`)}
    >
      <main>
        <h1>@sso/react + Komo</h1>
        {session === undefined ? (
          <p>Loading…</p>
        ) : user ? (
          <form method="post" action="/logout" onSubmit={logout}>
            <p>
              Logged in as <strong>{user.name ?? user.email}</strong> ({user.email})
            </p>
            <button type="submit">Log out</button>
          </form>
        ) : (
          <LoginForm />
        )}
        <KomoCard />
      </main>
    </KomoProvider>
  )
}

function LoginForm() {
  return (
    <form method="post" action="/login">
      <h2>Log in to the demo app</h2>
      <label>
        Email <input name="email" type="email" autoComplete="email" required />
      </label>
      <label>
        Name <input name="name" autoComplete="name" />
      </label>
      <button type="submit">Log in</button>
    </form>
  )
}

function KomoCard() {
  const { status, error } = useAuthRequestHandler()
  return (
    <section aria-label="Komo card">
      <h2>Komo card</h2>
      {/* Komo's embed.js renders the card into this element. */}
      <div data-komo-card="demo" />
      <p role="status">
        {error?.code === 'ERR_SSO_UNAUTHENTICATED'
          ? 'Log in above to use the card as yourself.'
          : error
            ? `Could not sign you in to Komo (${error.code}).`
            : status === 'loading'
              ? 'Signing you in to Komo…'
              : status === 'ready'
                ? 'Komo has your sign-in.'
                : 'Click the card: Komo will ask this page who you are.'}
      </p>
    </section>
  )
}
