import type { IncomingMessage } from 'node:http'

/** Reads one cookie from the request. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** A host-wide, HttpOnly, SameSite=Lax session cookie; `value: undefined` clears it. */
export function sessionCookie(name: string, value: string | undefined): string {
  const base = `${name}=${value ?? ''}; Path=/; HttpOnly; SameSite=Lax`
  return value === undefined ? `${base}; Max-Age=0` : base
}
