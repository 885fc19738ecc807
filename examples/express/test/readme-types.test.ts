// The middleware README's quick starts (Express, and Fetch for Next.js) are compiled here against
// the package's sources, with the app's real type dependencies (express, express-session), so a
// change of the API that the README does not follow fails this test instead of a new user.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..', '..')
const README = readFileSync(join(ROOT, 'packages/middleware/README.md'), 'utf8')

/** The first ```ts block after the heading `heading`. */
function blockAfter(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`)
  if (at === -1) throw new Error(`README has no heading ${JSON.stringify(heading)}`)
  const open = README.indexOf('```ts\n', at)
  const close = README.indexOf('\n```', open + 6)
  return README.slice(open + 6, close + 1)
}

/** The app's own module in the tenants example (`./tenant-store`), as declarations. */
const TENANT_STORE = `
import type { IncomingMessage } from 'node:http'
import type { SsoUser } from '@sso/middleware'
export declare function sessionUser(req: IncomingMessage): Promise<SsoUser | null>
export declare function isMember(userId: string, tenant: string): Promise<boolean>
export declare function findTenant(
  tenant: string,
  options: { signal: AbortSignal },
): Promise<{ kustomerHost?: string; communityUrl?: string } | null>
export declare function readSecret(name: string, options: { signal: AbortSignal }): Promise<string>
`

/** Modules the snippets import that stand for the app's own code. */
const APP_STUBS = `
declare module '@/lib/session' {
  import type { SsoUser } from '@sso/middleware'
  export function getSessionUser(request: Request): Promise<SsoUser | null>
}
`

/** Type-checks `files` (virtual, placed in this folder so node_modules resolve) and returns the errors. */
function typecheck(files: Record<string, string>): string[] {
  const virtual = new Map(Object.entries(files).map(([name, text]) => [join(HERE, name), text]))
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types'), join(HERE, '..', 'node_modules/@types')],
    paths: { '@sso/middleware': [join(ROOT, 'packages/middleware/src/index.ts')] },
    allowImportingTsExtensions: true,
  }
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (name) => virtual.has(name) || fileExists(name)
  host.readFile = (name) => virtual.get(name) ?? readFile(name)
  host.getSourceFile = (name, language, onError, create) => {
    const text = virtual.get(name)
    return text === undefined
      ? getSourceFile(name, language, onError, create)
      : ts.createSourceFile(name, text, language)
  }
  const program = ts.createProgram([...virtual.keys()], options, host)
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) =>
        `${d.file?.fileName.replace(HERE, '.') ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    )
}

describe("the middleware README's quick starts (and its tenants example) compile", () => {
  it.each([
    ['Express', '## Quick start (Express)', 'readme-express.ts'],
    ['Fetch (Next.js route handler)', '### Fetch API: Next.js, Hono, Bun, Deno', 'readme-fetch.ts'],
    ['Many tenants', '## Many tenants', 'readme-tenants.ts'],
  ])('%s', (_name, heading, file) => {
    const snippet = blockAfter(heading)
    expect(snippet).toContain("from '@sso/middleware'")
    expect(snippet).toMatch(/sso(Middleware|Handler)\(/)
    expect(
      typecheck({
        [file]: snippet,
        'readme-stubs.d.ts': APP_STUBS,
        'tenant-store.d.ts': TENANT_STORE,
      }),
    ).toEqual([])
  })

  it('fails on a snippet that no longer matches the API', () => {
    const broken = blockAfter('## Quick start (Express)').replace('loginUrl:', 'loginURL:')
    const errors = typecheck({ 'readme-broken.ts': broken, 'readme-stubs.d.ts': APP_STUBS })
    expect(errors.join('\n')).toContain("'loginURL' does not exist")
  })
})
