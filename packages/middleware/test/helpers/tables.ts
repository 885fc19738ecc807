/**
 * Rows for `describe.each(...)('%s', (_name, row) => ...)`: vitest prints `%s` bare, where
 * `$name` would be quoted and cut short.
 *
 * @example
 * describe.each(byName(HOSTS))('%s', (_name, host) => { ... })
 */
export function byName<T extends { name: string }>(rows: readonly T[]): [string, T][] {
  return rows.map((row) => [row.name, row])
}
