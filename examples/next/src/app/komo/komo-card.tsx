'use client'

import { KomoProvider, type SsoError, useAuthRequestHandler } from '@sso/react'

/** The Komo card, through @sso/react: KomoProvider loads the embed and answers its token requests. */
export function KomoCard({ userId, hubOrigin }: { userId: string | null; hubOrigin: string }) {
  return (
    <KomoProvider
      tokenUrl="/sso/komo/token"
      user={userId}
      hubHost={hubOrigin}
      onError={(error: SsoError) => console.warn(`Komo sign-in failed: ${error.code}`)}
    >
      <Card />
    </KomoProvider>
  )
}

function Card() {
  const { status, error } = useAuthRequestHandler()
  return (
    <section aria-label="Komo card">
      {/* Komo's embed.js draws the card into this element. */}
      <div data-komo-card="demo" />
      <p role="status">
        {error?.code === 'ERR_SSO_UNAUTHENTICATED'
          ? 'Log in to use the card as yourself.'
          : error
            ? `Could not sign you in to Komo (${error.code}).`
            : status === 'ready'
              ? 'Komo has your sign-in.'
              : 'Komo will ask this page who you are.'}
      </p>
    </section>
  )
}
