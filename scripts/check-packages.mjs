#!/usr/bin/env node
// Packaging budgets, checked in CI (not timed tests): publint and @arethetypeswrong/cli clean for
// every published package, @sso/middleware's runtime dependencies exactly jose and
// path-to-regexp, and @sso/react within its size budget. Run after `pnpm build`.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const PACKAGES = ['packages/middleware', 'packages/react', 'packages/testing']
const EXPECTED_DEPENDENCIES = {
  'packages/middleware': ['jose', 'path-to-regexp'],
  'packages/react': [],
  'packages/testing': ['jose'],
}
let failed = false
const fail = (message) => {
  console.error(`✗ ${message}`)
  failed = true
}
const run = (cmd, args, cwd) => spawnSync(cmd, args, { cwd, stdio: 'inherit' }).status === 0

for (const dir of PACKAGES) {
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'))
  const deps = Object.keys(pkg.dependencies ?? {}).sort()
  const expected = EXPECTED_DEPENDENCIES[dir]
  if (JSON.stringify(deps) !== JSON.stringify(expected)) {
    fail(`${pkg.name}: runtime dependencies are [${deps}], expected exactly [${expected}]`)
  } else {
    console.log(`✓ ${pkg.name}: runtime dependencies [${deps.join(', ')}]`)
  }
  if (!run('pnpm', ['exec', 'publint', '--strict'], dir)) fail(`${pkg.name}: publint`)
  if (
    !run(
      'pnpm',
      ['exec', 'attw', '--pack', '.', '--profile', 'node16', '--format', 'table-flipped'],
      dir,
    )
  ) {
    fail(`${pkg.name}: @arethetypeswrong/cli`)
  }
}
if (!run('node', ['scripts/size.mjs'], 'packages/react')) fail('@sso/react: size budget')

if (failed) process.exit(1)
console.log('packaging checks passed')
