import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readmeBlockAfter, typecheckSnippet } from '../../vendors/test/readme'

const HERE = fileURLToPath(new URL('.', import.meta.url))

describe("the middleware README's Hono section", () => {
  const snippet = readmeBlockAfter('#### Hono')

  it("is ssoHandler with Hono's c as context, and compiles with hono", () => {
    expect(snippet).toContain("from '@sso/middleware/fetch'")
    expect(snippet).toContain('(await sso(c.req.raw, c)) ?? c.notFound()')
    expect(typecheckSnippet(HERE, snippet)).toEqual([])
  })

  it('fails to compile once it no longer matches the API', () => {
    const broken = snippet.replace(
      'getUser: async (_request, c)',
      'getUser: async (_request, c: string)',
    )
    expect(typecheckSnippet(HERE, broken)).not.toEqual([])
  })
})
