/**
 * Who is logged in: an object with an `id`, an id string, or `null`/`undefined` for no one.
 *
 * @example
 * ```ts
 * const user: EmbedUser = { id: 'u_123', email: 'ada@example.com' }
 * ```
 */
export type EmbedUser = { readonly id: string | number } | string | null | undefined

/** The user's identity for comparisons: an object's `id`, else the string itself. */
export const userKey = (user: EmbedUser): string | number | null | undefined =>
  (user as { id?: string | number } | null)?.id ?? (user as string | null | undefined)
