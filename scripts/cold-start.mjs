#!/usr/bin/env node
// Cold start, as a serverless route handler pays it on every new instance: a fresh `node` process
// that imports @sso/middleware and builds a handler with one HS256 vendor, against the same
// process importing a trivial module. Used by `pnpm bench` (the numbers) and by the test suite
// as a budget: a generous ratio, never a timed test, plus the one exact check that an HS256-only
// app never loads jose. Run after `pnpm build`.
//
// `node scripts/cold-start.mjs [--runs N]`
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
// A workspace package that depends on @sso/middleware: resolves it to the built dist/.
const CWD = join(ROOT, 'packages', 'testing')
/** The budget CI holds the package to: generous, for a loaded machine; the target is +15 ms. */
export const BUDGET = { esm: 2.5, cjs: 2.5 }

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}

const timed = (body) =>
  `const t=performance.now();${body};process.stdout.write(String(performance.now()-t))`
const HANDLER =
  "m.ssoHandler({ getUser: () => null, vendors: [m.komo({ secret: 'x'.repeat(32) })] })"

/** Runs each variant `runs` times, interleaved; wall and in-process times in ms. */
export function coldStart({ runs = 9 } = {}) {
  const tmp = mkdtempSync(join(os.tmpdir(), 'sso-cold-'))
  try {
    const trivialMjs = join(tmp, 'trivial.mjs')
    const trivialCjs = join(tmp, 'trivial.cjs')
    writeFileSync(trivialMjs, 'export const ok = true\n')
    writeFileSync(trivialCjs, 'exports.ok = true\n')
    const variants = {
      trivialEsm: [
        '--input-type=module',
        '-e',
        timed(`await import(${JSON.stringify(pathToFileURL(trivialMjs).href)})`),
      ],
      esm: [
        '--input-type=module',
        '-e',
        timed(`const m = await import('@sso/middleware/fetch');${HANDLER}`),
      ],
      trivialCjs: ['--input-type=commonjs', '-e', timed(`require(${JSON.stringify(trivialCjs)})`)],
      cjs: [
        '--input-type=commonjs',
        '-e',
        timed(`const m = require('@sso/middleware');${HANDLER}`),
      ],
    }
    const wall = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
    const inner = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
    for (let i = 0; i < runs; i++) {
      for (const [key, args] of Object.entries(variants)) {
        const start = process.hrtime.bigint()
        const res = spawnSync(process.execPath, args, { cwd: CWD, encoding: 'utf8' })
        const ms = Number(process.hrtime.bigint() - start) / 1e6
        if (res.status !== 0) throw new Error(`cold start ${key} failed: ${res.stderr}`)
        wall[key].push(ms)
        inner[key].push(Number(res.stdout))
      }
    }
    return {
      wall,
      inner,
      joseLoaded: joseLoaded(),
      /** The median of per-round ratios `a / b` of wall times. */
      ratio: (a, b) => median(wall[a].map((v, i) => v / wall[b][i])),
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/** Whether building an HS256 handler loads jose: CommonJS's module cache says it exactly. */
function joseLoaded() {
  const res = spawnSync(
    process.execPath,
    [
      '--input-type=commonjs',
      '-e',
      `const m = require('@sso/middleware');${HANDLER}.ready.then(() => process.stdout.write(String(Object.keys(require.cache).some((k) => /[\\\\/]jose[\\\\/]/.test(k)))))`,
    ],
    { cwd: CWD, encoding: 'utf8' },
  )
  if (res.status !== 0) throw new Error(`jose check failed: ${res.stderr}`)
  return res.stdout === 'true'
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--runs')
  const runs = at === -1 ? 9 : Number(process.argv[at + 1])
  const result = coldStart({ runs })
  const m = (key) => median(result.wall[key])
  let failed = false
  for (const [kind, trivial] of [
    ['esm', 'trivialEsm'],
    ['cjs', 'trivialCjs'],
  ]) {
    const ratio = result.ratio(kind, trivial)
    const ok = ratio <= BUDGET[kind]
    failed ||= !ok
    console.log(
      `${ok ? '✓' : '✗'} cold start (${kind}): ${m(kind).toFixed(1)} ms vs ${m(trivial).toFixed(1)} ms for a trivial module, ` +
        `${ratio.toFixed(2)}× (budget ${BUDGET[kind]}×; +${(m(kind) - m(trivial)).toFixed(1)} ms, median of ${runs})`,
    )
  }
  if (result.joseLoaded) {
    failed = true
    console.log('✗ an HS256-only handler loads jose: it must load only for a private key')
  } else {
    console.log('✓ an HS256-only handler never loads jose')
  }
  process.exit(failed ? 1 : 0)
}
