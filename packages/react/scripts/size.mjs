#!/usr/bin/env node
// Size budgets, min+gz, measured as an app pays them: esbuild bundles a consumer module that
// re-exports what the app imports from the built entries (React left to the app, the token
// store included), minified, then gzip -9.
//   - an app importing only the Komo binding (`@sso/react`): at most 2048 B;
//   - each other binding (`@sso/react/intercom`, `/canny`, `/featurebase`, `/metabase`) adds at
//     most 600 B to that app;
//   - the whole package (every public entry at once): under 4096 B.
// Also checks the entries are built as package.json promises: 'use client' on every React
// entry, the token store entry free of React and 'use client', one copy of the store (and of
// SsoError) that the other entries import rather than bundle, and one copy of the push
// bindings' shared hook (`embed`).
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export const KOMO_BUDGET = 2048
export const BINDING_BUDGET = 600
export const PACKAGE_BUDGET = 4096
const BINDINGS = ['intercom', 'canny', 'featurebase', 'metabase']
const PUSH_BINDINGS = ['intercom', 'canny', 'featurebase']
const DIST = new URL('../dist/', import.meta.url).pathname
const dist = (file) => `${DIST}${file}`
const problems = []

/** min+gz of a consumer that re-exports everything from `entries` (file names in dist/). */
async function consumerSize(entries) {
  const result = await build({
    stdin: {
      // A client module, as the entries are: the directive stays in the output, as it did when
      // this script bundled dist/index.js itself (so the Komo figure compares with earlier ones).
      contents: `'use client'\n${entries.map((entry) => `export * from './${entry}'\n`).join('')}`,
      resolveDir: DIST,
      sourcefile: 'consumer.js',
      loader: 'js',
    },
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

const komo = await consumerSize(['index.js'])
console.log(
  `@sso/react (Komo): ${komo.minified} B minified, ${komo.gzipped} B min+gz (budget ${KOMO_BUDGET} B)`,
)
if (komo.gzipped > KOMO_BUDGET) {
  problems.push(`@sso/react (Komo) over budget by ${komo.gzipped - KOMO_BUDGET} B`)
}
for (const binding of BINDINGS) {
  const both = await consumerSize(['index.js', `${binding}.js`])
  const added = both.gzipped - komo.gzipped
  const alone = await consumerSize([`${binding}.js`])
  console.log(
    `@sso/react/${binding}: adds ${added} B min+gz to the Komo app (budget ${BINDING_BUDGET} B); ${alone.gzipped} B min+gz alone`,
  )
  if (added > BINDING_BUDGET) {
    problems.push(`@sso/react/${binding} over budget by ${added - BINDING_BUDGET} B`)
  }
}
const all = await consumerSize(['index.js', 'token-store.js', ...BINDINGS.map((b) => `${b}.js`)])
console.log(
  `@sso/react, every entry: ${all.minified} B minified, ${all.gzipped} B min+gz (budget: under ${PACKAGE_BUDGET} B)`,
)
if (all.gzipped >= PACKAGE_BUDGET) {
  problems.push(`the whole package is ${all.gzipped} B min+gz, not under ${PACKAGE_BUDGET} B`)
}
const store = await consumerSize(['token-store.js'])
console.log(`@sso/react/token-store: ${store.minified} B minified, ${store.gzipped} B min+gz`)

const USE_CLIENT = /^(?:"use strict";\s*)?['"]use client['"];?\n/
for (const name of ['index', 'embed', ...BINDINGS]) {
  for (const ext of ['js', 'cjs']) {
    const file = `${name}.${ext}`
    const code = readFileSync(dist(file), 'utf8')
    if (!USE_CLIENT.test(code)) problems.push(`dist/${file} does not start with 'use client'`)
    if (!code.includes(`./token-store.${ext}`)) {
      problems.push(`dist/${file} does not import ./token-store.${ext}`)
    }
    if (/\bextends Error\b/.test(code)) problems.push(`dist/${file} bundles its own SsoError`)
    if (/\bfunction createTokenStore\b/.test(code)) {
      problems.push(`dist/${file} bundles its own token store`)
    }
    if (PUSH_BINDINGS.includes(name)) {
      if (!code.includes(`./embed.${ext}`))
        problems.push(`dist/${file} does not import ./embed.${ext}`)
      if (/\bfunction useTokenBinding\b/.test(code)) {
        problems.push(`dist/${file} bundles its own useTokenBinding`)
      }
    }
  }
}
for (const file of ['token-store.js', 'token-store.cjs']) {
  const code = readFileSync(dist(file), 'utf8')
  if (/use client/.test(code)) problems.push(`dist/${file} has a 'use client' directive`)
  if (/from\s*["']react|require\(["']react/.test(code)) problems.push(`dist/${file} imports react`)
}

for (const problem of problems) console.error(problem)
if (problems.length > 0) process.exit(1)
