import { startHonoExample } from './start'

const example = await startHonoExample({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  portBase: Number(process.env.SIMULATOR_PORT_BASE ?? 4100),
})
console.log(`@sso on Hono: ${example.url}`)
for (const [vendor, origin] of Object.entries(example.simulators.origins))
  console.log(`  ${vendor} simulator on ${origin}`)
const stop = () => {
  example.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
