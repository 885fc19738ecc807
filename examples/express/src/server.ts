import { DEMO_LOGIN_FLAG } from './config'
import { startDemo, UnsafeDemoLoginError } from './demo'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const simulatorPortBase = Number(process.env.SIMULATOR_PORT_BASE ?? 4100)

let demo: Awaited<ReturnType<typeof startDemo>>
try {
  demo = await startDemo({ port, host, simulatorPortBase })
} catch (error) {
  // The refusal is the whole message (what is loaded, why, which variable to set): no stack.
  if (!(error instanceof UnsafeDemoLoginError)) throw error
  console.error(error.message)
  process.exit(1)
}
console.log(`@sso demo on ${demo.url}`)
if (demo.realVendors.length > 0) {
  console.warn(
    `  WARNING: real vendors (${demo.realVendors.join(', ')}) behind a login that takes any email with no password (${DEMO_LOGIN_FLAG}=1). Keep it on your own machine.`,
  )
}
for (const [vendor, url] of Object.entries(demo.simulators))
  console.log(`  ${vendor} simulator on ${url}`)
for (const tenant of demo.tenants)
  console.log(
    `  tenant ${tenant.id}: ${tenant.name} (Bettermode) on ${tenant.bettermode.communityUrl}`,
  )

const stop = () => {
  demo.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
