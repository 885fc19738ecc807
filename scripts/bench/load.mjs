// The load generator: autocannon, in its own process so it never shares an event loop (or a
// core, on a 2-core machine) with the server it measures. Driven over IPC by bench/main.mjs.
import { createRequire } from 'node:module'

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

process.on('message', async (message) => {
  if (message?.type !== 'run') return
  try {
    const result = await autocannon({ ...message.options, renderProgressBar: false })
    process.send({ type: 'result', id: message.id, result: summarize(result) })
  } catch (error) {
    process.send({ type: 'result', id: message.id, error: String(error?.stack ?? error) })
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ type: 'ready' })
