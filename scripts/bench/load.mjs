// The load generator: autocannon, in its own process so it never shares an event loop (or a
// core, on a 2-core machine) with the server it measures. Driven over IPC by bench/main.mjs.
import { createRequire } from 'node:module'
import { serveParent } from '../lib/parent.mjs'

const require = createRequire(import.meta.url)
const autocannon = require('autocannon')

function summarize(result) {
  const seconds = result.duration || 1
  const statuses = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {}))
    statuses[code] = count
  return {
    requests: result.requests.total,
    seconds,
    rps: result.requests.total / seconds,
    latency: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}

await serveParent(() => ({
  handlers: {
    run: async ({ options }) => ({
      result: summarize(await autocannon({ ...options, renderProgressBar: false })),
    }),
  },
}))
