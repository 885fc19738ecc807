#!/usr/bin/env node
// `pnpm bench`: see scripts/bench/main.mjs (`pnpm bench --help`) and BENCHMARKS.md.
import './bench/main.mjs'
