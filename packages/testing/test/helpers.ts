import { SignJWT, UnsecuredJWT } from 'jose'
import type { JWTPayload } from 'jose'
import { onTestFinished } from 'vitest'
import type { Simulator } from '../src/server/core'

/** The pinned clock every test uses: 2025-01-15T12:00:00Z. */
export const NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0)
export const NOW = NOW_MS / 1000
export const now = () => NOW_MS

/** Fixture secrets (32+ bytes, as the middleware requires). */
export const SECRET = 'test-secret-0123456789abcdef-0123456789'
export const OTHER_SECRET = 'another-secret-0123456789abcdef-012345'

/** A fake app; the simulators only link and redirect to it, nothing listens there. */
export const APP = 'http://127.0.0.1:9'

/** Signs claims with a shared secret (UTF-8 bytes), HS256 unless told otherwise. */
export function sign(
  claims: JWTPayload,
  secret: string = SECRET,
  alg: 'HS256' | 'HS384' | 'HS512' = 'HS256',
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT' })
    .sign(new TextEncoder().encode(secret))
}

/** An `alg: none` token with these claims. */
export function unsigned(claims: JWTPayload): string {
  return new UnsecuredJWT(claims).encode()
}

/** Starts a simulator on 127.0.0.1:0 and closes it when the test ends. */
export async function start(sim: Simulator): Promise<string> {
  const { url, close } = await sim.listen()
  onTestFinished(close)
  return url
}

export interface Page {
  status: number
  headers: Headers
  text: string
}

/** A GET (or other request) that never follows redirects. */
export async function request(url: string, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(url, { redirect: 'manual', ...init })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** The href of the `<a id="...">` on a page, unescaped; throws when absent. */
export function linkHref(html: string, id: string): URL {
  const match = new RegExp(`<a [^>]*id="${id}"[^>]*href="([^"]*)"`).exec(html)
  if (!match?.[1]) throw new Error(`no <a id="${id}"> on the page:\n${html}`)
  return new URL(unescapeHtml(match[1]))
}

/** The link's text, to check the button says what the vendor's does. */
export function linkText(html: string, id: string): string | undefined {
  return new RegExp(`<a [^>]*id="${id}"[^>]*>([^<]*)</a>`).exec(html)?.[1]
}

/** `data-code` on the page's `<main>`, or undefined. */
export function pageCode(html: string): string | undefined {
  return /<main [^>]*data-code="([^"]*)"/.exec(html)?.[1]
}

/** `data-state` on the page's `<main>`. */
export function pageState(html: string): string | undefined {
  return /<main [^>]*data-state="([^"]*)"/.exec(html)?.[1]
}

/** The text of the page's `<h1>`, unescaped. */
export function heading(html: string): string | undefined {
  const h1 = /<h1>([\s\S]*?)<\/h1>/.exec(html)?.[1]
  return h1 === undefined ? undefined : unescapeHtml(h1)
}

/**
 * A browser's cookie store for one site: sends what the server set, keeps what it sets
 * (`Max-Age=0` deletes), never follows redirects.
 */
export class CookieJar {
  readonly cookies = new Map<string, string>()

  async request(url: string, init: RequestInit = {}): Promise<Page> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    }
    const res = await fetch(url, { redirect: 'manual', ...init, headers })
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      if (attributes.some((a) => a.trim().toLowerCase() === 'max-age=0')) this.cookies.delete(name)
      else this.cookies.set(name, pair.slice(eq + 1).trim())
    }
    return { status: res.status, headers: res.headers, text: await res.text() }
  }
}
