// A vendor cannot ship without proving the contract: every file in src/vendors/ needs a fixture
// in @sso/fixtures and a test file here that runs the shared contract on it.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { VENDOR_FIXTURES } from '@sso/fixtures'
import { describe, expect, it } from 'vitest'
import * as sso from '../../src/index'

const here = (path: string) => new URL(path, import.meta.url)
const VENDOR_IDS = readdirSync(here('../../src/vendors/'))
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .map((name) => name.slice(0, -'.ts'.length))
  .sort()

describe('every vendor proves the contract', () => {
  it('finds the built-in vendors', () => {
    expect(VENDOR_IDS).toEqual(expect.arrayContaining(['komo', 'konnec']))
  })

  it.each(VENDOR_IDS)('%s has a fixture in @sso/fixtures, built from its own factory', (id) => {
    expect(
      existsSync(here(`../../../fixtures/src/vendors/${id}.ts`)),
      `fixtures/src/vendors/${id}.ts`,
    ).toBe(true)
    const fixture = VENDOR_FIXTURES.find((f) => f.id === id)
    expect(fixture, `VENDOR_FIXTURES has no "${id}"`).toBeDefined()
    expect((sso as Record<string, unknown>)[fixture?.factory ?? '']).toBe(fixture?.create)
  })

  it.each(VENDOR_IDS)('%s: test/vendors/<id>.test.ts runs the contract, unskipped', (id) => {
    const file = here(`./${id}.test.ts`)
    expect(existsSync(file), `test/vendors/${id}.test.ts is missing`).toBe(true)
    const source = readFileSync(file, 'utf8')
    expect(source).toMatch(new RegExp(`^runVendorContract\\(${id}Fixture\\)$`, 'm'))
    expect(source).not.toMatch(/\.(skip|only|todo)\(|\b[xf](it|describe)\(/)
  })

  it('has no fixture without a vendor', () => {
    expect(VENDOR_FIXTURES.map((f) => f.id).sort()).toEqual(VENDOR_IDS)
  })
})
