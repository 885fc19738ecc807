#!/usr/bin/env node
// Size budget: dist/index.js minified and gzipped, with React left to the app, at most 2 kB.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const BUDGET = 2048
const entry = new URL('../dist/index.js', import.meta.url).pathname

const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  external: ['react', 'react-dom'],
  write: false,
  logLevel: 'silent',
})
const code = result.outputFiles[0].contents
const gzipped = gzipSync(code, { level: 9 }).length
console.log(`@sso/react: ${code.length} B minified, ${gzipped} B min+gz (budget ${BUDGET} B)`)
if (gzipped > BUDGET) {
  console.error(`over budget by ${gzipped - BUDGET} B`)
  process.exit(1)
}
