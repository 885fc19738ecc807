#!/usr/bin/env node
// Packaging budgets, checked in CI (not timed tests): publint and @arethetypeswrong/cli clean for
// every published package (attw on every subpath), @sso/middleware's runtime dependencies exactly
// jose and path-to-regexp and its subpaths exactly those listed below, its framework peers
// (Fastify) optional, @sso/react within its size budget, and the packed tarballs installed by npm
// into an ESM and a CommonJS app that type-check and run (scripts/pack-consumers/). Run after
// `pnpm build`.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { checkPackedConsumers, PACKAGES } from './pack-consumers/run.mjs'

const EXPECTED_DEPENDENCIES = {
  'packages/middleware': ['jose', 'path-to-regexp'],
  'packages/react': [],
  'packages/testing': ['jose'],
}
// Every subpath a package exports: a new one is added here on purpose, and attw and the packed
// consumers (scripts/pack-consumers/) then cover it.
const EXPECTED_SUBPATHS = {
  'packages/middleware': [
    '.',
    './fetch',
    './fastify',
    './vendor-kit',
    './vendors/*',
    './package.json',
  ],
}
const OPTIONAL_PEERS = { 'packages/middleware': ['fastify', 'fastify-plugin'] }
// Under `npx pnpm@…` pnpm may not be on PATH by name; npm_execpath points at the running one.
const PNPM = process.env.npm_execpath?.includes('pnpm') ? process.env.npm_execpath : 'pnpm'
const started = Date.now()
let failed = false
let missingDist = false
const fail = (message) => {
  console.error(`✗ ${message}`)
  failed = true
}
const run = (cmd, args, cwd) => spawnSync(cmd, args, { cwd, stdio: 'inherit' }).status === 0

for (const dir of PACKAGES) {
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'))
  if (!existsSync(`${dir}/dist`)) {
    fail(`${pkg.name}: no dist/ — run \`pnpm build\` first`)
    missingDist = true
    continue
  }
  const deps = Object.keys(pkg.dependencies ?? {}).sort()
  const expected = EXPECTED_DEPENDENCIES[dir]
  if (JSON.stringify(deps) !== JSON.stringify(expected)) {
    fail(`${pkg.name}: runtime dependencies are [${deps}], expected exactly [${expected}]`)
  } else {
    console.log(`✓ ${pkg.name}: runtime dependencies [${deps.join(', ')}]`)
  }
  const subpaths = EXPECTED_SUBPATHS[dir]
  if (subpaths) {
    const actual = Object.keys(pkg.exports ?? {})
    if (JSON.stringify(actual) !== JSON.stringify(subpaths)) {
      fail(`${pkg.name}: exports [${actual}], expected exactly [${subpaths}]`)
    } else {
      console.log(`✓ ${pkg.name}: subpaths [${actual.join(', ')}]`)
    }
  }
  // A framework peer is for the apps that import its subpath only: optional, so nobody else
  // installs it (or is warned about it).
  for (const name of OPTIONAL_PEERS[dir] ?? []) {
    if (!pkg.peerDependencies?.[name] || pkg.peerDependenciesMeta?.[name]?.optional !== true) {
      fail(`${pkg.name}: ${name} must be an optional peer dependency`)
    } else {
      console.log(`✓ ${pkg.name}: ${name} is an optional peer (${pkg.peerDependencies[name]})`)
    }
  }
  if (!run(PNPM, ['exec', 'publint', '--strict'], dir)) fail(`${pkg.name}: publint`)
  // attw cannot check a wildcard export (`./vendors/*`): name each file it stands for.
  const wildcards = Object.keys(pkg.exports ?? {})
    .filter((key) => key.endsWith('/*'))
    .flatMap((key) => {
      const folder = key.slice(2, -2)
      return readdirSync(`${dir}/dist/${folder}`)
        .filter((file) => file.endsWith('.js'))
        .map((file) => `./${folder}/${file.slice(0, -3)}`)
    })
  const entrypoints = wildcards.length ? ['--include-entrypoints', ...wildcards] : []
  const attw = ['exec', 'attw', '--pack', '.', '--profile', 'node16', '--format', 'table-flipped']
  if (!run(PNPM, [...attw, ...entrypoints], dir)) {
    fail(`${pkg.name}: @arethetypeswrong/cli`)
  }
}

// @sso/react's budgets, min+gz, as packages/react/scripts/size.mjs measures them: the Komo
// binding alone at most 2048 B, each other binding (intercom, canny, featurebase, metabase) at
// most 600 B more, the whole package under 4096 B.
if (!existsSync('packages/react/scripts/size.mjs')) {
  fail('@sso/react: packages/react/scripts/size.mjs (the size budgets) is missing')
} else if (!run('node', ['scripts/size.mjs'], 'packages/react')) {
  fail('@sso/react: size budgets')
}

if (!missingDist) {
  try {
    await checkPackedConsumers()
  } catch (error) {
    fail(`packed consumers: ${error.message}`)
  }
}

if (failed) process.exit(1)
console.log(`packaging checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
