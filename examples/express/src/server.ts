import { startDemo } from './demo'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const simulatorPortBase = Number(process.env.SIMULATOR_PORT_BASE ?? 4100)

const demo = await startDemo({ port, host, simulatorPortBase })
console.log(`@sso demo on ${demo.url}`)
for (const [vendor, url] of Object.entries(demo.simulators))
  console.log(`  ${vendor} simulator on ${url}`)

const stop = () => {
  demo.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
