import { getIronSession, type SessionOptions } from 'iron-session'
import { cookies } from 'next/headers'

/** What the session cookie holds: who is signed in. */
export interface SessionUser {
  id: string
  email: string
  name: string
}

export interface SessionData {
  user?: SessionUser
}

export const SESSION_COOKIE = 'next_demo_session'

/**
 * iron-session seals the cookie (AES-256-CBC, then HMAC-SHA-256, with a key derived from the
 * password): nobody can read or forge it. Read at request time: `next build` needs no password.
 */
function sessionOptions(): SessionOptions {
  const password = process.env.SESSION_PASSWORD
  if (!password || password.length < 32) {
    throw new Error(
      'SESSION_PASSWORD must be set, at least 32 characters (the start script sets one)',
    )
  }
  return {
    cookieName: SESSION_COOKIE,
    password,
    ttl: 8 * 3600,
    cookieOptions: {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      // Over plain http on 127.0.0.1 in the example; https in production.
      secure: process.env.NODE_ENV === 'production' && process.env.SESSION_INSECURE !== '1',
    },
  }
}

/** The request's session, through Next's own cookies API (route handlers and server components). */
export async function getSession() {
  return getIronSession<SessionData>(await cookies(), sessionOptions())
}

export async function currentUser(): Promise<SessionUser | null> {
  return (await getSession()).user ?? null
}

/** A `Set-Cookie` value that deletes the session cookie. */
export const CLEAR_SESSION_COOKIE = `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`
