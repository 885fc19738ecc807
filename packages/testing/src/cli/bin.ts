#!/usr/bin/env node
import { run } from './main'

run(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  write: (text) => process.stdout.write(text),
  error: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    // An unexpected failure is a bug; its message is printed, never the secret or the token.
    process.stderr.write(
      `sso-check: internal error: ${err instanceof Error ? err.name : 'unknown'}\n`,
    )
    process.exitCode = 2
  },
)
