// One server under test, in its own process: `node server.mjs <app name>` (see apps.mjs). It
// listens on 127.0.0.1 and answers the parent's `mark` (CPU time and memory) and `gc` messages.
import { createServer } from 'node:http'
import { APPS } from './apps.mjs'
import { answer } from './server-ipc.mjs'

const name = process.argv[2]
const factory = APPS[name]
if (!factory) {
  process.send?.({ type: 'fatal', error: `unknown app ${name}` })
  process.exit(1)
}

const app = await factory(process.env.BENCH_SECRET)
const server = createServer(app)
server.keepAliveTimeout = 60_000
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))

process.on('message', answer)
// A normal exit, so `--cpu-prof` can write its profile.
const stop = () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.on('SIGTERM', stop)
process.on('disconnect', stop)
process.send({ type: 'ready', port: server.address().port })
