// The demo (examples/express: Express 5, express-session, every vendor mounted) with all five
// simulators, in its own process. Run with `node --import tsx`, since the demo is TypeScript.
import { answer } from './server-ipc.mjs'

const { startDemo } = await import('../../examples/express/src/demo.ts')
const demo = await startDemo({ port: 0, real: {}, onEvent: () => {} })

process.on('message', answer)
const stop = () => {
  demo.close().then(
    () => process.exit(0),
    () => process.exit(0),
  )
  setTimeout(() => process.exit(0), 1000).unref()
}
process.on('SIGTERM', stop)
process.on('disconnect', stop)
process.send({ type: 'ready', url: demo.url, simulators: demo.simulators })
