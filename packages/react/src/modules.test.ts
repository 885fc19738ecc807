// @vitest-environment node
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const SRC = new URL('./', import.meta.url)
const modules = readdirSync(SRC).filter((name) => /\.tsx?$/.test(name) && !/\.test\./.test(name))
const read = (name: string) => readFileSync(new URL(name, SRC), 'utf8')

/** What `name` imports: package names, and local modules by file name. */
function importsOf(name: string): string[] {
  const specifiers = [...read(name).matchAll(/\bfrom '([^']+)'/g)].map((match) => match[1] ?? '')
  return specifiers.map((specifier) => {
    if (!specifier.startsWith('./')) return specifier
    const base = specifier.slice(2)
    return modules.find((file) => file.replace(/\.tsx?$/, '') === base) ?? specifier
  })
}

/** Every module reachable from `entry` through local imports, type-only ones included. */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  seen.add(entry)
  for (const dependency of importsOf(entry)) {
    if (modules.includes(dependency) && !seen.has(dependency)) reachable(dependency, seen)
  }
  return seen
}

describe('source modules', () => {
  it('has no import cycle, type-only imports included', () => {
    const cycles = modules.filter((name) =>
      importsOf(name).some(
        (dependency) => modules.includes(dependency) && reachable(dependency).has(name),
      ),
    )
    expect(cycles).toEqual([])
  })

  it('keeps React out of the @sso/react/token-store entry and everything it imports', () => {
    const store = [...reachable('token-store.ts')].sort()
    expect(store).toEqual(['errors.ts', 'token-store.ts'])
    for (const name of store) {
      expect(importsOf(name).filter((specifier) => !specifier.endsWith('.ts'))).toEqual([])
      expect(read(name)).not.toMatch(/^\s*['"]use client['"]/)
    }
  })

  // The built entries (tsup.config.ts): the React ones, and `embed`, the push bindings' shared hook.
  const REACT_ENTRIES = [
    'canny.ts',
    'embed.ts',
    'featurebase.ts',
    'index.ts',
    'intercom.ts',
    'metabase.ts',
  ]

  it("marks exactly the React entries with 'use client', as their first statement", () => {
    for (const entry of REACT_ENTRIES) expect(read(entry)).toMatch(/^'use client'\n/)
    expect(modules.filter((name) => /^\s*['"]use client['"]/.test(read(name)))).toEqual(
      REACT_ENTRIES,
    )
  })

  it('keeps the Metabase entry free of the push bindings’ hook, and user.ts free of React', () => {
    expect([...reachable('metabase.ts')].sort()).toEqual([
      'errors.ts',
      'metabase.ts',
      'token-store.ts',
      'user.ts',
    ])
    expect(importsOf('user.ts')).toEqual([])
  })

  it('builds every push binding on the one shared hook and the one store', () => {
    for (const binding of ['canny.ts', 'featurebase.ts', 'intercom.ts']) {
      expect(importsOf(binding)).toEqual(expect.arrayContaining(['embed.ts', 'token-store.ts']))
      expect(read(binding)).not.toMatch(/createTokenStore|useSyncExternalStore/)
    }
  })
})
