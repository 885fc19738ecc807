import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readmeBlockAfter, typecheckSnippet } from '../../vendors/test/readme'

const HERE = fileURLToPath(new URL('.', import.meta.url))

describe("the middleware README's Next.js section", () => {
  const snippet = readmeBlockAfter('#### Next.js (App Router)')

  it('is a lazy catch-all route handler on @sso/middleware/fetch that compiles with next and iron-session', () => {
    expect(snippet).toContain("from '@sso/middleware/fetch'")
    expect(snippet).toContain('ssoHandler<Request, RouteContext>(() => ({')
    expect(snippet).toContain('response.headers.append(')
    expect(typecheckSnippet(HERE, snippet)).toEqual([])
  })

  it('fails to compile once it no longer matches the API', () => {
    const broken = snippet.replace('sso(request, ctx)', 'sso(request)')
    expect(typecheckSnippet(HERE, broken).join('\n')).toMatch(/Expected 2 arguments/)
  })
})
