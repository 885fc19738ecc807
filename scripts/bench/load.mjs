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

/**
 * `spread: { template, start, count }`: each request goes to the next of `count` paths, `{i}` in
 * the template running from `start` (a template without `{i}` is one path, through the same
 * code, so both sides of a comparison cost the load generator alike).
 */
function withSpread({ spread, ...options }) {
  if (!spread) return options
  const [head, tail = ''] = spread.template.split('{i}')
  const numbered = spread.template.includes('{i}')
  const { start = 0, count = 1 } = spread
  let k = 0
  const setupRequest = (req) => {
    const i = start + (k++ % count)
    req.path = numbered ? `${head}${i}${tail}` : head
    return req
  }
  return { ...options, requests: [{ method: options.method, setupRequest }] }
}

await serveParent(() => ({
  handlers: {
    run: async ({ options }) => ({
      result: summarize(await autocannon({ ...withSpread(options), renderProgressBar: false })),
    }),
  },
}))
