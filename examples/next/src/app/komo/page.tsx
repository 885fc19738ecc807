import { komoHubOrigin } from '@sso/example-vendors'
import { currentUser } from '../../lib/session'
import { SignedIn } from '../signed-in'
import { KomoCard } from './komo-card'

export const dynamic = 'force-dynamic'

export default async function Komo() {
  const user = await currentUser()
  return (
    <main>
      <h1>Komo card</h1>
      <SignedIn user={user} returnTo="/komo" />
      <p>
        Click <strong>Open card</strong>, and the embed asks this page who you are: the page posts
        to <code>/sso/komo/token</code> for a signed token.
      </p>
      {/* Only what the browser may know: the user's id and the hub's origin, no secret. */}
      <KomoCard userId={user?.id ?? null} hubOrigin={komoHubOrigin(process.env)} />
      <p>
        <a href="/">Back</a>
      </p>
    </main>
  )
}
