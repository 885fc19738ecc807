#!/usr/bin/env node
// Size budget: dist/index.js minified and gzipped, with React left to the app, at most 2 kB.
// Also checks the two entries are built as package.json promises: 'use client' on the React
// entry only, the token store entry free of React, and one copy of the store (and SsoError)
// that the React entry imports rather than bundles.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const BUDGET = 2048
const dist = (file) => new URL(`../dist/${file}`, import.meta.url).pathname
const problems = []

async function minGz(file) {
  const result = await build({
    entryPoints: [dist(file)],
    bundle: true,
    minify: true,
    format: 'esm',
    external: ['react', 'react-dom'],
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].contents
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }
}

const react = await minGz('index.js')
console.log(
  `@sso/react: ${react.minified} B minified, ${react.gzipped} B min+gz (budget ${BUDGET} B)`,
)
if (react.gzipped > BUDGET) problems.push(`over budget by ${react.gzipped - BUDGET} B`)
const store = await minGz('token-store.js')
console.log(`@sso/react/token-store: ${store.minified} B minified, ${store.gzipped} B min+gz`)

const USE_CLIENT = /^(?:"use strict";\s*)?['"]use client['"];?\n/
for (const [file, storeEntry] of [
  ['index.js', './token-store.js'],
  ['index.cjs', './token-store.cjs'],
]) {
  const code = readFileSync(dist(file), 'utf8')
  if (!USE_CLIENT.test(code)) problems.push(`dist/${file} does not start with 'use client'`)
  if (!code.includes(storeEntry)) problems.push(`dist/${file} does not import ${storeEntry}`)
  if (/\bextends Error\b/.test(code)) problems.push(`dist/${file} bundles its own SsoError`)
}
for (const file of ['token-store.js', 'token-store.cjs']) {
  const code = readFileSync(dist(file), 'utf8')
  if (/use client/.test(code)) problems.push(`dist/${file} has a 'use client' directive`)
  if (/from\s*["']react|require\(["']react/.test(code)) problems.push(`dist/${file} imports react`)
}

for (const problem of problems) console.error(problem)
if (problems.length > 0) process.exit(1)
