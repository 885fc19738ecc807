import { KomoProvider, useAuthRequestHandler } from '@sso/react'
import type { SsoError } from '@sso/react'
import { CannyWidget } from '@sso/react/canny'
import { useIntercom } from '@sso/react/intercom'
import { useCallback, useEffect, useState } from 'react'
import type { FormEvent } from 'react'

interface User {
  id: string
  email: string
  name?: string
}

/** `undefined` while /api/me is in flight. */
type Session = { user: User | null } | undefined

const KOMO_HUB = import.meta.env.VITE_KOMO_HUB ?? 'http://127.0.0.1:4100'
const INTERCOM_ORIGIN = import.meta.env.VITE_INTERCOM_ORIGIN ?? 'http://127.0.0.1:4109'
const INTERCOM_APP_ID = import.meta.env.VITE_INTERCOM_APP_ID ?? 'demo-app'
const CANNY_SDK = import.meta.env.VITE_CANNY_SDK ?? 'http://127.0.0.1:4110/sdk.js'
const CANNY_BOARD_TOKEN = import.meta.env.VITE_CANNY_BOARD_TOKEN ?? 'board-demo'

export function App() {
  const [session, setSession] = useState<Session>()

  // Who is logged in, asked again after an in-place login (a user switch).
  const refresh = useCallback((signal?: AbortSignal) => {
    fetch('/api/me', { credentials: 'same-origin', signal })
      .then((res) => (res.ok ? (res.json() as Promise<{ user: User | null }>) : { user: null }))
      .then(setSession, () => {
        if (!signal?.aborted) setSession({ user: null })
      })
  }, [])
  useEffect(() => {
    const controller = new AbortController()
    refresh(controller.signal)
    return () => controller.abort()
  }, [refresh])

  // Logging out in place, rather than by navigation, lets KomoProvider, the Messenger and the
  // Canny board see the user become null and sign them out too; without JavaScript the form
  // still posts normally.
  async function logout(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    await fetch('/logout', { method: 'POST', credentials: 'same-origin', redirect: 'manual' })
    setSession({ user: null })
  }

  // Switching user in place: the bindings see one user replace the other, without a reload.
  async function switchUser(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const body = new URLSearchParams()
    for (const [key, value] of new FormData(event.currentTarget)) body.append(key, String(value))
    await fetch('/login', { method: 'POST', credentials: 'same-origin', redirect: 'manual', body })
    refresh()
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
          <>
            <form method="post" action="/logout" onSubmit={logout}>
              <p>
                Logged in as <strong>{user.name ?? user.email}</strong> ({user.email})
              </p>
              <button type="submit">Log out</button>
            </form>
            <LoginForm title="Switch to another user" button="Switch user" onSubmit={switchUser} />
          </>
        ) : (
          <LoginForm title="Log in to the demo app" button="Log in" />
        )}
        <KomoCard />
        <Messenger user={user} />
        <CannyBoard user={user} />
      </main>
    </KomoProvider>
  )
}

function LoginForm(props: {
  title: string
  button: string
  onSubmit?: (event: FormEvent<HTMLFormElement>) => void
}) {
  return (
    <form method="post" action="/login" onSubmit={props.onSubmit}>
      <h2>{props.title}</h2>
      <label>
        Email <input name="email" type="email" autoComplete="email" required />
      </label>
      <label>
        Name <input name="name" autoComplete="name" />
      </label>
      <button type="submit">{props.button}</button>
    </form>
  )
}

/**
 * The Intercom Messenger: `useIntercom` boots it with the token from `POST /sso/intercom/token`
 * once someone is logged in (the Messenger script draws its own launcher and panel), boots it
 * again before the token expires, and shuts it down on logout or a user switch.
 */
function Messenger({ user }: { user: User | null }) {
  const { status, error } = useIntercom({
    appId: INTERCOM_APP_ID,
    user,
    scriptUrl: `${INTERCOM_ORIGIN}/widget/${encodeURIComponent(INTERCOM_APP_ID)}`,
    onError: (error: SsoError) => console.warn(`Intercom sign-in failed: ${error.code}`),
  })
  return (
    <section aria-label="Intercom Messenger">
      <h2>Intercom Messenger</h2>
      <p role="status">
        {!user
          ? 'Log in above to chat with us as yourself.'
          : error
            ? `Chat is unavailable (${error.code}).`
            : status === 'ready'
              ? 'The Messenger knows who you are.'
              : 'Starting the Messenger…'}
      </p>
    </section>
  )
}

/**
 * A Canny feedback board: `<CannyWidget>` renders it with the token from `POST /sso/canny/token`
 * once someone is logged in, and removes it on logout or a user switch (Canny has no sign-out).
 */
function CannyBoard({ user }: { user: User | null }) {
  return (
    <section aria-label="Canny board">
      <h2>Feedback board</h2>
      {user ? null : <p>Log in above to see the board and vote as yourself.</p>}
      <CannyWidget
        boardToken={CANNY_BOARD_TOKEN}
        basePath="/"
        user={user}
        scriptUrl={CANNY_SDK}
        onError={(error: SsoError) => console.warn(`Canny sign-in failed: ${error.code}`)}
      />
    </section>
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
