// The demo (examples/express: Express 5, express-session, every vendor mounted) with all seven
// simulators, in its own process. Run with `node --import tsx`, since the demo is TypeScript.
import { serveParent } from '../lib/parent.mjs'
import { BENCH_HANDLERS } from './server-ipc.mjs'

await serveParent(async () => {
  const { startDemo } = await import('../../examples/express/src/demo.ts')
  const demo = await startDemo({ port: 0, real: {}, onEvent: () => {} })
  return {
    ready: { url: demo.url, simulators: demo.simulators },
    handlers: BENCH_HANDLERS,
    close: () => demo.close(),
  }
})
