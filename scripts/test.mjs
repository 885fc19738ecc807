#!/usr/bin/env node
// The whole test suite, as the README's second command and CI run it: build, lint, typecheck,
// packaging checks, a short load and fault run, then every vitest project (unit, integration and browser tests). The last
// line is `N passed, N failed`, read from vitest's JSON report, for CI.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { ensureChromium } from './ensure-chromium.mjs'

const report = '.vitest-report.json'
const run = (cmd, args, opts = {}) => {
  const res = spawnSync(cmd, args, { stdio: 'inherit', shell: false, ...opts })
  return res.status ?? 1
}
// Under `npx pnpm@…` pnpm may not be on PATH by name; npm_execpath points at the running one.
const PNPM = process.env.npm_execpath?.includes('pnpm') ? process.env.npm_execpath : 'pnpm'
const pnpm = (...args) => run(PNPM, args)

for (const [label, args] of [
  ['build', ['build']],
  ['lint', ['lint']],
  ['typecheck', ['typecheck']],
  ['packaging', ['check:packages']],
  ['cold start (budget)', ['cold-start']],
  ['load and faults (short)', ['loadtest', '--short']],
]) {
  console.log(`\n── ${label} ──`)
  if (pnpm(...args) !== 0) {
    console.error(`\n${label} failed`)
    console.log('0 passed, 1 failed')
    process.exit(1)
  }
}

ensureChromium()

console.log('\n── vitest ──')
rmSync(report, { force: true })
const extra = process.argv.slice(2)
const status = run(PNPM, [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extra,
])
let passed = 0
let failed = 0
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed = json.numPassedTests ?? 0
  failed = (json.numFailedTests ?? 0) + (json.numRuntimeErrorTestSuites ?? 0)
  if (json.numPendingTests || json.numTodoTests) {
    console.error(
      `skipped or todo tests are not allowed: ${json.numPendingTests} skipped, ${json.numTodoTests} todo`,
    )
    failed += json.numPendingTests + json.numTodoTests
  }
}
if (status !== 0 && failed === 0) failed = 1
console.log(`${passed} passed, ${failed} failed`)
process.exit(status === 0 && failed === 0 ? 0 : 1)
