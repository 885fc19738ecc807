// The middleware README's Fastify quick start, compiled against the package's sources with this
// app's real type dependencies (fastify, @fastify/session, @fastify/cookie): an API change the
// README does not follow fails here instead of for a new user.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..', '..')
const README = readFileSync(join(ROOT, 'packages/middleware/README.md'), 'utf8')
const HEADING = '### Fastify 5: `@sso/middleware/fastify`'

function fastifyBlock(): string {
  const at = README.indexOf(`\n${HEADING}\n`)
  if (at === -1) throw new Error(`README has no heading ${HEADING}`)
  const open = README.indexOf('```ts\n', at)
  return README.slice(open + 6, README.indexOf('\n```', open + 6) + 1)
}

/**
 * Type-checks virtual files placed in this folder (so node_modules resolve) in one program (the
 * Fastify types are slow to load); the errors, by file name.
 */
function typecheck(files: Record<string, string>): Record<string, string[]> {
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
    typeRoots: [join(ROOT, 'node_modules/@types')],
    paths: { '@sso/middleware/fastify': [join(ROOT, 'packages/middleware/src/fastify.ts')] },
    allowImportingTsExtensions: true,
  }
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (n) => virtual.has(n) || fileExists(n)
  host.readFile = (n) => virtual.get(n) ?? readFile(n)
  host.getSourceFile = (n, language, onError, create) => {
    const text = virtual.get(n)
    return text === undefined
      ? getSourceFile(n, language, onError, create)
      : ts.createSourceFile(n, text, language)
  }
  const program = ts.createProgram([...virtual.keys()], options, host)
  const errors: Record<string, string[]> = Object.fromEntries(
    Object.keys(files).map((n) => [n, []]),
  )
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = d.file?.fileName.replace(`${HERE}/`, '') ?? ''
    const list = errors[name] ?? []
    list.push(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    errors[name] = list
  }
  return errors
}

describe("the middleware README's Fastify quick start", () => {
  it('compiles against the plugin with @fastify/session, and a changed API does not', {
    timeout: 120_000,
  }, () => {
    const snippet = fastifyBlock()
    expect(snippet).toContain("from '@sso/middleware/fastify'")
    expect(snippet).toContain('app.register(ssoPlugin, {')
    // Modules, for the top-level awaits; the broken copy has its own session declaration.
    const broken = snippet
      .replace('loginUrl:', 'loginURL:')
      .replace(/declare module[\s\S]*?\n}\n/, '')
    const errors = typecheck({
      'readme-fastify.ts': `${snippet}\nexport {}\n`,
      'readme-broken.ts': `${broken}\nexport {}\n`,
    })
    expect(errors['readme-fastify.ts']).toEqual([])
    expect(errors['readme-broken.ts']?.join('\n')).toContain("'loginURL' does not exist")
  })
})
