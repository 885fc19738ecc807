// One server under test, in its own process: `node server.mjs <app name>` (see apps.mjs). It
// listens on 127.0.0.1 and answers the parent's `mark` (CPU time and memory) and `gc` messages,
// and `tenants` (how often the tenant resolver ran).
import { serveParent } from '../lib/parent.mjs'
import { closeServer, listen } from '../lib/http.mjs'
import { APPS } from './apps.mjs'
import { BENCH_HANDLERS } from './server-ipc.mjs'
import { TENANT_STATS } from './tenant-store.mjs'

await serveParent(async () => {
  const name = process.argv[2]
  const factory = APPS[name]
  if (!factory) throw new Error(`unknown app ${name}`)
  const app = await factory()
  const { server, url } = await listen(app, { keepAliveTimeout: 60_000 })
  return {
    ready: { url },
    handlers: { ...BENCH_HANDLERS, tenants: () => ({ ...TENANT_STATS }) },
    close: () => closeServer(server),
  }
})
