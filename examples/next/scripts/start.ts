// `npx -y pnpm@12.21.0 --filter @sso/example-next start`: build, then the simulators and `next start`.
// `… dev` (`--dev`): the simulators and `next dev` on 127.0.0.1, no build, with the development
// inspector at /sso/_inspect.
import { buildNext, startNextExample } from '../serve'

const dev = process.argv.includes('--dev')
if (!dev) {
  const ms = await buildNext('inherit')
  console.log(`next build: ${(ms / 1000).toFixed(1)} s`)
}
const example = await startNextExample({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  portBase: Number(process.env.SIMULATOR_PORT_BASE ?? 4100),
  output: 'inherit',
  dev,
})
console.log(`@sso on Next.js: ${example.url}`)
if (dev) console.log(`  the inspector: ${example.url}/sso/_inspect`)
for (const [vendor, origin] of Object.entries(example.simulators.origins))
  console.log(`  ${vendor} simulator on ${origin}`)
const stop = () => {
  example.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
