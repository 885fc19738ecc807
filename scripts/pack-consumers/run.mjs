// The packages as a user gets them (helmet's "project setups", TanStack's test:build): `pnpm pack`
// each package, install the tarballs with npm into an ESM and a CommonJS consumer project made
// from the templates next to this file, type-check each consumer against the installed .d.ts
// and run it. Nothing here reads the sources. Run after `pnpm build`; cleans up after itself.
//
// `node scripts/pack-consumers/run.mjs [--keep]` (also run by scripts/check-packages.mjs)
import { execFile } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
export const PACKAGES = ['packages/middleware', 'packages/react', 'packages/testing']
const CONSUMERS = [
  { name: 'esm', main: 'consumer.mjs', nodeTypes: true },
  { name: 'cjs', main: 'consumer.cjs', nodeTypes: true },
  // A Fetch-runtime app without @types/node: type-checked only.
  { name: 'fetch-only', main: undefined, nodeTypes: false },
]
/**
 * Every consumer type-checks with the oldest TypeScript each entry supports (the READMEs'
 * "Requirements") and the current one, with `skipLibCheck: false`: 5.0 for everything but the
 * Fastify plugin, whose own types (Fastify 5's) need 5.4.
 */
const tsc = (pkg) => join(ROOT, 'node_modules', pkg, 'bin', 'tsc')
const COMPILERS = [
  { label: 'TypeScript 5.0', tsc: tsc('typescript-5.0'), skip: /^fastify\./ },
  { label: 'TypeScript 5.4', tsc: tsc('typescript-5.4') },
  { label: 'TypeScript 6.0', tsc: tsc('typescript') },
]

/** `tsc -p` on the consumer, or on a copy of its tsconfig without the files `skip` matches. */
function tscArgs(dir, skip) {
  if (!skip) return ['-p', dir]
  const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'))
  const files = config.files.filter((file) => !skip.test(file))
  if (files.length === config.files.length) return ['-p', dir]
  const narrowed = join(dir, 'tsconfig.narrowed.json')
  writeFileSync(narrowed, JSON.stringify({ extends: './tsconfig.json', files }))
  return ['-p', narrowed]
}
/** What a tarball may hold: the build, the manifest and the usual documents. */
const ALLOWED =
  /^package\/(dist\/.+|package\.json|README(\.md)?|LICENSE(\.md|\.txt)?|CHANGELOG\.md)$/i
// Under `npx pnpm@…` pnpm may not be on PATH by name; npm_execpath points at the running one.
const PNPM = process.env.npm_execpath?.includes('pnpm') ? process.env.npm_execpath : 'pnpm'

async function run(cmd, args, cwd, label) {
  try {
    return await exec(cmd, args, {
      cwd,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, NODE_ENV: 'production' },
    })
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim()
    throw new Error(`${label} failed:\n${output || error.message}`)
  }
}

/** Resolves with one line per step; throws with the failing step's output. */
export async function checkPackedConsumers({ keep = false, log = console.log } = {}) {
  const started = Date.now()
  const tmp = mkdtempSync(join(os.tmpdir(), 'sso-pack-'))
  const cleanup = () => rmSync(tmp, { recursive: true, force: true })
  const onSignal = () => {
    cleanup()
    process.exit(130)
  }
  if (!keep) process.once('SIGINT', onSignal)
  try {
    const tarballs = join(tmp, 'tarballs')
    mkdirSync(tarballs)
    // One at a time: pnpm runs `prepack` scripts and writes into the package directory.
    for (const dir of PACKAGES) {
      await run(PNPM, ['pack', '--pack-destination', tarballs], join(ROOT, dir), `pnpm pack ${dir}`)
    }
    const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'))
    if (files.length !== PACKAGES.length) {
      throw new Error(`expected ${PACKAGES.length} tarballs, got ${files.join(', ')}`)
    }
    for (const file of files) {
      const { stdout } = await run(
        'tar',
        ['-tzf', join(tarballs, file)],
        tarballs,
        `tar -tzf ${file}`,
      )
      const stray = stdout.split('\n').filter((entry) => entry && !ALLOWED.test(entry))
      if (stray.length)
        throw new Error(`${file} holds files a user should not get: ${stray.join(', ')}`)
      const kb = (statSync(join(tarballs, file)).size / 1024).toFixed(1)
      log(`✓ packed ${file} (${kb} kB, ${stdout.trim().split('\n').length} files)`)
    }

    const paths = files.map((f) => join(tarballs, f))
    await Promise.all(
      CONSUMERS.map(async ({ name, main, nodeTypes }) => {
        const dir = join(tmp, name)
        cpSync(join(HERE, name), dir, { recursive: true })
        await run(
          'npm',
          [
            'install',
            '--no-audit',
            '--no-fund',
            '--no-package-lock',
            '--prefer-offline',
            '--loglevel=error',
            ...paths,
          ],
          dir,
          `npm install (${name} consumer)`,
        )
        if (nodeTypes) {
          // Types a real app would have installed; taken from the workspace, not the registry.
          const types = join(dir, 'node_modules', '@types')
          mkdirSync(types, { recursive: true })
          symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(types, 'node'), 'dir')
          symlinkSync(
            join(ROOT, 'packages', 'react', 'node_modules', '@types', 'react'),
            join(types, 'react'),
            'dir',
          )
        }
        for (const { label, tsc, skip } of COMPILERS) {
          const args = [tsc, ...tscArgs(dir, skip)]
          await run(process.execPath, args, dir, `tsc, ${label} (${name} consumer)`)
        }
        const checked = `TypeScript ${COMPILERS.map((c) => c.label.replace('TypeScript ', '')).join(', ')}`
        if (!main) {
          log(`✓ ${name} consumer: types check with ${checked}`)
          return
        }
        const { stdout } = await run(
          process.execPath,
          [main],
          dir,
          `node ${main} (${name} consumer)`,
        )
        log(`✓ ${name} consumer: types check with ${checked}; ${stdout.trim()}`)
      }),
    )
    log(
      `✓ packed consumers passed in ${((Date.now() - started) / 1000).toFixed(1)} s${keep ? ` (kept in ${tmp})` : ''}`,
    )
  } finally {
    process.off('SIGINT', onSignal)
    if (!keep) cleanup()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  checkPackedConsumers({ keep: process.argv.includes('--keep') }).catch((error) => {
    console.error(`✗ ${error.message}`)
    process.exit(1)
  })
}
