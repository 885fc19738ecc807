// Compiles a ```ts block of the middleware README against the package's sources and the app's
// real type dependencies (resolved from the calling example's node_modules), so a change of the
// API that the README does not follow fails a test instead of a new user.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const README = readFileSync(join(ROOT, 'packages/middleware/README.md'), 'utf8')

/** The first ```ts block after the heading `heading` (a whole line, e.g. `#### Hono`). */
export function readmeBlockAfter(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`)
  if (at === -1) throw new Error(`README has no heading ${JSON.stringify(heading)}`)
  const open = README.indexOf('```ts\n', at)
  const close = README.indexOf('\n```', open + 6)
  return README.slice(open + 6, close + 1)
}

/** Type-checks `source` as a file in `dir` (so its node_modules resolve); returns the errors. */
export function typecheckSnippet(dir: string, source: string): string[] {
  const file = join(dir, '__readme-snippet.ts')
  const src = (path: string) => join(ROOT, 'packages', path)
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    paths: {
      '@sso/middleware': [src('middleware/src/index.ts')],
      '@sso/middleware/fetch': [src('middleware/src/fetch.ts')],
    },
    allowImportingTsExtensions: true,
  }
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (name) => name === file || fileExists(name)
  host.readFile = (name) => (name === file ? source : readFile(name))
  host.getSourceFile = (name, language, onError, create) =>
    name === file
      ? ts.createSourceFile(name, source, language)
      : getSourceFile(name, language, onError, create)
  const program = ts.createProgram([file], options, host)
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) =>
        `${d.file?.fileName.replace(dir, '.') ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    )
}
