import { compactVerify } from 'jose'
import { expect } from 'vitest'

/** The panel's claims (name → shown value) and checks (name → status), unescaped enough to compare. */
export function panel(text: string) {
  const section = /<section class="received"[\s\S]*?<\/section>/.exec(text)?.[0]
  if (!section) throw new Error(`no received panel on the page:\n${text}`)
  const claims = Object.fromEntries(
    [
      ...section.matchAll(
        /<tr data-claim="([^"]*)"><td><code>[^<]*<\/code><\/td><td><code>([^<]*)<\/code>/g,
      ),
    ].map((m) => [m[1], m[2]]),
  )
  const checks = Object.fromEntries(
    [...section.matchAll(/<li data-check="([^"]*)" data-status="([^"]*)">/g)].map((m) => [
      m[1],
      m[2],
    ]),
  )
  const field = (name: string) =>
    new RegExp(`<dd data-received="${name}">([\\s\\S]*?)</dd>`).exec(section)?.[1]
  /** The four fields above the claims, as shown (escaped). */
  const fields = Object.fromEntries(
    ['parameter', 'algorithm', 'shape', 'lifetime'].map((name) => [name, field(name)]),
  )
  return { section, claims, checks, field, fields }
}

export function expectNoSignature(text: string, token: string) {
  const signature = token.split('.')[2] as string
  expect(signature.length).toBeGreaterThan(20)
  expect(text).not.toContain(signature)
  expect(text).not.toContain(token)
}

/** Every JWT-looking substring of a page (three base64url parts joined by dots). */
export function jwtLike(text: string): string[] {
  return [...text.matchAll(/[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}/g)].map(
    (m) => m[0],
  )
}

/**
 * No substring of the page verifies as a token with this secret: the signature only
 * (`compactVerify`), since a claims check would reject a pinned-clock token as expired anyway.
 */
export async function expectNoVerifiableToken(text: string, secret: string): Promise<void> {
  const key = new TextEncoder().encode(secret)
  for (const candidate of jwtLike(text)) {
    await expect(compactVerify(candidate, key), candidate).rejects.toThrow()
  }
}
