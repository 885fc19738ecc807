import { startDemo } from './demo'

const demo = await startDemo({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  simulatorPortBase: Number(process.env.SIMULATOR_PORT_BASE ?? 4200),
})
console.log(`@sso on Fastify: ${demo.url}`)
for (const [vendor, url] of Object.entries(demo.simulators)) {
  console.log(`  ${vendor} simulator on ${url}`)
}
const stop = () => {
  demo.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
