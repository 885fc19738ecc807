// The workspace's shared fixtures (packages/fixtures, @sso/fixtures) for the plain-Node scripts.
//
// @sso/fixtures is TypeScript source, and the processes the benchmarks measure must run plain
// Node on the built dist (no loader thread, no sources). So the first process to ask loads the
// two leaf modules it needs through tsx's scoped `tsImport` and hands the values down to its
// children in SSO_SCRIPT_FIXTURES, which every child inherits (scripts/lib/child.mjs).
// Only users.ts and secrets.ts: the package's index also loads vitest, Express 4 and the
// middleware's source.
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const FIXTURES_SRC = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages',
  'fixtures',
  'src',
)
const VARIABLE = 'SSO_SCRIPT_FIXTURES'

async function load() {
  if (process.env[VARIABLE]) return JSON.parse(process.env[VARIABLE])
  const { tsImport } = await import('tsx/esm/api')
  const from = (file) => tsImport(pathToFileURL(join(FIXTURES_SRC, file)).href, import.meta.url)
  const [{ ADA, ALICE }, { SECRETS, KONNEC }] = await Promise.all([
    from('users.ts'),
    from('secrets.ts'),
  ])
  const fixtures = { ADA, ALICE, SECRETS, KONNEC }
  process.env[VARIABLE] = JSON.stringify(fixtures)
  return fixtures
}

/** `{ ADA, ALICE, SECRETS, KONNEC }` as @sso/fixtures exports them. */
export const FIXTURES = Object.freeze(await load())
